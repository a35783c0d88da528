/**
 * The signing-key cache of a verifier: the keys it hands out are the derived ones, it keeps at
 * most its limit (forgetting the oldest), and no secret is ever one of its map keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveSigningKey } from '../../domain/sigv4.ts';
import { SigningKeyCache } from './signing-keys.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

describe('SigningKeyCache', () => {
  it('hands out the derived key, derived once per secret and scope', () => {
    const cache = new SigningKeyCache();
    const key = cache.get(SECRET, '20150830', 'us-east-1', 'iam');
    // The AWS documentation's example signing key.
    assert.equal(key.toString('hex'), 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
    assert.equal(
      cache.get(SECRET, '20150830', 'us-east-1', 'iam'),
      key,
      'the same key object, not derived again',
    );
    assert.equal(cache.size, 1);
    for (const [secret, date, region, service] of [
      [`${SECRET}x`, '20150830', 'us-east-1', 'iam'],
      [SECRET, '20150831', 'us-east-1', 'iam'],
      [SECRET, '20150830', 'eu-west-1', 'iam'],
      [SECRET, '20150830', 'us-east-1', 'sts'],
    ] as const) {
      assert.deepEqual(
        cache.get(secret, date, region, service),
        deriveSigningKey(secret, date, region, service),
      );
    }
    assert.equal(cache.size, 5);
  });

  it('keeps at most its limit, forgetting the oldest first', () => {
    const cache = new SigningKeyCache(3);
    const first = cache.get('secret-0', '20261128', 'us-east-1', 'sts');
    const second = cache.get('secret-1', '20261128', 'us-east-1', 'sts');
    for (let i = 2; i < 6; i++) cache.get(`secret-${i}`, '20261128', 'us-east-1', 'sts');
    assert.equal(cache.size, 3);
    assert.notEqual(cache.get('secret-0', '20261128', 'us-east-1', 'sts'), first, 'the oldest was forgotten');
    assert.notEqual(cache.get('secret-1', '20261128', 'us-east-1', 'sts'), second);
    assert.equal(cache.size, 3);
    assert.throws(() => new SigningKeyCache(0), RangeError);
  });

  it('keeps keys under digests, never under a secret', () => {
    const cache = new SigningKeyCache();
    const secrets = [SECRET, 'short', 'a'.repeat(200)];
    for (const s of secrets) cache.get(s, '20261128', 'us-east-1', 'sts');
    const ids = cache.ids();
    assert.equal(ids.length, secrets.length);
    for (const id of ids) {
      assert.match(id, /^[0-9a-f]{64}$/);
      for (const s of secrets) assert.ok(!id.includes(s));
    }
  });
});
