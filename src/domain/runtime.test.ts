import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Bytes, sha256Hex } from './digest.ts';
import { systemRandom } from './runtime.ts';

describe('systemRandom', () => {
  it('returns the asked number of bytes, a copy the pool never hands out again', () => {
    const seen = new Set<string>();
    // Enough small draws to refill the 4 KiB pool several times.
    for (let i = 0; i < 2000; i++) {
      const b = systemRandom.bytes(16);
      assert.equal(b.length, 16);
      const hex = b.toString('hex');
      assert.ok(!seen.has(hex), 'a 16-byte draw repeated');
      seen.add(hex);
    }
    const a = systemRandom.bytes(12);
    const copy = Buffer.from(a);
    systemRandom.bytes(4096);
    systemRandom.bytes(12);
    assert.deepEqual(a, copy, 'a returned buffer changed after later draws');
  });

  it('serves large requests and zero-length ones', () => {
    assert.equal(systemRandom.bytes(0).length, 0);
    const big = systemRandom.bytes(10_000);
    assert.equal(big.length, 10_000);
    assert.ok(big.some((x) => x !== 0));
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
