/**
 * PKCE (RFC 7636) for public clients: only the S256 method (RFC 9700 §2.1.1; `plain` is
 * refused). A verifier is 43–128 characters of ALPHA / DIGIT / "-" / "." / "_" / "~" (§4.1);
 * the challenge is base64url(SHA-256(verifier)) without padding, 43 characters (§4.2).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const PKCE_METHOD = 'S256';
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function isValidVerifier(verifier: unknown): verifier is string {
  return typeof verifier === 'string' && VERIFIER.test(verifier);
}

export function isValidChallenge(challenge: unknown): challenge is string {
  return typeof challenge === 'string' && CHALLENGE.test(challenge);
}

/** base64url(SHA-256(verifier)), no padding. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * True when `verifier` is well-formed and hashes to `challenge` (constant-time comparison).
 *
 * @example verifyS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM') // true
 */
export function verifyS256(verifier: unknown, challenge: string): boolean {
  if (!isValidVerifier(verifier) || !isValidChallenge(challenge)) return false;
  const a = Buffer.from(s256(verifier), 'ascii');
  const b = Buffer.from(challenge, 'ascii');
  return a.length === b.length && timingSafeEqual(a, b);
}
