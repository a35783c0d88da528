import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { HmacSha256, sha256Bytes, sha256Hex } from './digest.ts';
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

describe('HmacSha256', () => {
  // RFC 4231 test cases 1, 2 and 6 (a key longer than the 64-byte block).
  const vectors: Array<{ key: Buffer; data: string; mac: string }> = [
    {
      key: Buffer.alloc(20, 0x0b),
      data: 'Hi There',
      mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    },
    {
      key: Buffer.from('Jefe'),
      data: 'what do ya want for nothing?',
      mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    },
    {
      key: Buffer.alloc(131, 0xaa),
      data: 'Test Using Larger Than Block-Size Key - Hash Key First',
      mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    },
  ];

  it('matches the RFC 4231 vectors, for strings and bytes', () => {
    for (const v of vectors) {
      const mac = new HmacSha256(v.key);
      assert.equal(mac.digest(v.data, 'hex'), v.mac);
      assert.equal(mac.digest(Buffer.from(v.data), 'hex'), v.mac);
      assert.equal(mac.digest(v.data, 'base64'), Buffer.from(v.mac, 'hex').toString('base64'));
    }
  });

  it('agrees with createHmac on any message, one key after another', () => {
    const keys = [systemRandom.bytes(32), systemRandom.bytes(16), systemRandom.bytes(64)];
    const macs = keys.map((k) => new HmacSha256(k));
    // Empty, multi-byte text, and messages on both sides of the reused buffer's sizes.
    const messages: Array<string | Buffer> = [
      '',
      'é€😀 AWS4-HMAC-SHA256\n',
      'x'.repeat(1000),
      systemRandom.bytes(3000),
      'ü'.repeat(6000),
      systemRandom.bytes(20_000),
      'short again',
    ];
    for (const m of messages) {
      for (let i = 0; i < keys.length; i++) {
        const expected = createHmac('sha256', keys[i]!).update(m).digest('hex');
        assert.equal(macs[i]!.digest(m, 'hex'), expected);
      }
    }
  });
});
