import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressBucket } from './address.ts';

describe('addressBucket', () => {
  it('keeps an IPv4 address, also written IPv4-mapped', () => {
    assert.equal(addressBucket('192.0.2.1'), '192.0.2.1');
    assert.equal(addressBucket('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(addressBucket('::FFFF:c000:0201'), '192.0.2.1');
  });

  it('counts an IPv6 address as its /64, however it is written', () => {
    const bucket = '2001:db8:1234:5678::/64';
    assert.equal(addressBucket('2001:db8:1234:5678::1'), bucket);
    assert.equal(addressBucket('2001:DB8:1234:5678:ffff:ffff:ffff:fffe'), bucket);
    assert.equal(addressBucket('2001:0db8:1234:5678:0:0:0:1%eth0'), bucket);
    assert.equal(addressBucket('::1'), '0:0:0:0::/64');
    assert.notEqual(addressBucket('2001:db8:1234:5679::1'), bucket);
  });

  it('uses anything else as it is, bounded', () => {
    assert.equal(addressBucket('unknown'), 'unknown');
    assert.equal(addressBucket('x'.repeat(100)).length, 64);
  });
});
