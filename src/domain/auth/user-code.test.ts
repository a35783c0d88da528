import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vectors from '../../../test/vectors/oauth/user-code-rfc8628.json' with { type: 'json' };
import { systemRandom } from '../runtime.ts';
import {
  formatUserCode,
  generateUserCode,
  normalizeUserCode,
  USER_CODE_ALPHABET,
  USER_CODE_LENGTH,
} from './user-code.ts';

describe('user codes (RFC 8628 §6.1)', () => {
  it('uses the vector alphabet and length', () => {
    assert.equal(USER_CODE_ALPHABET, vectors.alphabet);
    assert.equal(USER_CODE_LENGTH, vectors.length);
    assert.equal(USER_CODE_ALPHABET.length ** USER_CODE_LENGTH, vectors.space);
  });

  it('normalises what people type', () => {
    for (const v of vectors.normalize) assert.equal(normalizeUserCode(v.input), v.stored, v.input);
  });

  it('rejects what cannot be a code, without lookup', () => {
    for (const v of vectors.reject_without_lookup) assert.equal(normalizeUserCode(v.input), null, v.why);
    assert.equal(normalizeUserCode(undefined), null);
    assert.equal(normalizeUserCode(12345678), null);
  });

  it('generates codes of the alphabet only, shown XXXX-XXXX', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const code = generateUserCode(systemRandom);
      assert.match(code, /^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      assert.match(formatUserCode(code), /^[A-Z]{4}-[A-Z]{4}$/);
      assert.equal(normalizeUserCode(formatUserCode(code)), code);
      seen.add(code);
    }
    assert.ok(seen.size > 495, 'codes are random');
  });
});
