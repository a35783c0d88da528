/**
 * NextToken of the admin APIs: opaque to clients, and only ever one this server issued for the
 * same operation and the same question. A token is the cursor followed by its MAC, both
 * base64url (inside every model's NextToken pattern; the MAC has a fixed length): the cursor names the operation, a digest of the request's
 * parameters other than paging, where the next page starts and when the token was issued; the
 * MAC is an HMAC under the store's `pagination` server key, so every replica accepts the tokens
 * of every other, and a forged or edited token, one from another operation or query, or one older
 * than a day, is refused with the service's validation error.
 */
import { createHash } from 'node:crypto';
import { safeEqual, sign } from '../../app/auth/keys.ts';

/** How long a NextToken may be used. */
export const NEXT_TOKEN_LIFETIME_MS = 24 * 3600 * 1000;

/** Characters of an HMAC-SHA256 in base64url. */
const MAC_LENGTH = 43;

interface Cursor {
  v: 1;
  o: string;
  q: string;
  a: string;
  t: number;
}

/** The digest of a request's parameters that a token is bound to. */
export function queryDigest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

export function issueNextToken(
  key: Buffer,
  operation: string,
  query: string,
  after: string,
  now: number,
): string {
  const cursor: Cursor = { v: 1, o: operation, q: query, a: after, t: now };
  const body = Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
  return `${body}${sign(key, body)}`;
}

/**
 * Where the page starts: undefined for the first page; a token that is not valid here returns
 * null (the caller answers its service's error).
 */
export function readNextToken(
  key: Buffer,
  token: string | undefined,
  operation: string,
  query: string,
  now: number,
): string | undefined | null {
  if (token === undefined) return undefined;
  const cut = token.length - MAC_LENGTH;
  if (cut <= 0 || token.length > 4096) return null;
  const body = token.slice(0, cut);
  if (!safeEqual(sign(key, body), token.slice(cut))) return null;
  try {
    const c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (c.v !== 1 || c.o !== operation || c.q !== query || typeof c.a !== 'string') return null;
    if (typeof c.t !== 'number' || now - c.t > NEXT_TOKEN_LIFETIME_MS || c.t - now > 60_000) return null;
    return c.a;
  } catch {
    return null;
  }
}
