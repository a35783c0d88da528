import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vectors from '../../../test/vectors/oauth/pkce-rfc7636.json' with { type: 'json' };
import { isValidChallenge, isValidVerifier, s256, verifyS256 } from './pkce.ts';

describe('PKCE S256 (RFC 7636)', () => {
  it('matches the RFC 7636 Appendix B vector', () => {
    const v = vectors.rfc_vector;
    assert.equal(s256(v.code_verifier), v.code_challenge);
    assert.equal(verifyS256(v.code_verifier, v.code_challenge), true);
  });

  it('accepts the boundary verifiers', () => {
    for (const v of vectors.valid_verifiers) {
      assert.equal(isValidVerifier(v.code_verifier), true, v.note);
      assert.equal(s256(v.code_verifier), v.code_challenge, v.note);
      assert.equal(verifyS256(v.code_verifier, v.code_challenge), true, v.note);
    }
  });

  it('rejects malformed verifiers even when their hash would match', () => {
    for (const v of vectors.invalid_verifiers) {
      assert.equal(isValidVerifier(v.code_verifier), false, v.why);
      assert.equal(verifyS256(v.code_verifier, s256(v.code_verifier)), false, v.why);
    }
  });

  it('rejects a wrong verifier and malformed challenges', () => {
    const v = vectors.rfc_vector;
    assert.equal(verifyS256(`${v.code_verifier.slice(0, -1)}A`, v.code_challenge), false);
    assert.equal(isValidChallenge(`${v.code_challenge}=`), false);
    assert.equal(isValidChallenge(v.code_verifier), true);
    assert.equal(isValidChallenge('short'), false);
    assert.equal(verifyS256(undefined, v.code_challenge), false);
  });
});
