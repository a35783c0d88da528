import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Bytes, sha256Hex } from './digest.ts';
import { uuid } from './ids.ts';
import { systemRandom } from './runtime.ts';

describe('systemRandom', () => {
  it('returns the asked number of bytes, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = systemRandom.bytes(16);
      assert.equal(b.length, 16);
      const hex = b.toString('hex');
      assert.ok(!seen.has(hex), 'a 16-byte draw repeated');
      seen.add(hex);
    }
  });

  it('serves large requests and zero-length ones', () => {
    assert.equal(systemRandom.bytes(0).length, 0);
    const big = systemRandom.bytes(10_000);
    assert.equal(big.length, 10_000);
    assert.ok(big.some((x) => x !== 0));
  });

  it('makes version 4 UUIDs, lower-case, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = uuid(systemRandom);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(!seen.has(id), 'a UUID repeated');
      seen.add(id);
    }
  });
});

describe('sha256', () => {
  it('matches the FIPS 180-2 vector for "abc" as hex and bytes', () => {
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    assert.equal(sha256Hex('abc'), abc);
    assert.equal(sha256Hex(Buffer.from('abc')), abc);
    assert.equal(sha256Bytes('abc').toString('hex'), abc);
  });
});
