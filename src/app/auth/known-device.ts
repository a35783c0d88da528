/**
 * The known-device mark: a value the sign-in pages keep in a cookie of the browser once a user
 * has signed in there (every factor passed), so that the next password sign-in of that user from
 * that browser takes the password queue's known lane (`password-queue.ts`) and is not crowded
 * out by a flood of made-up sign-ins.
 *
 * The mark is `<payload><signature>`, base64url throughout: the payload (JSON) names the user by
 * id and by a keyed digest of their lower-cased user name, with when it was issued, when it
 * expires and a random device id; the signature, its last 43 characters, is an HMAC-SHA256 under
 * the server's `web` key (`keys.ts`, domain-separated from the CSRF tokens signed under it). So
 * it cannot be forged without the key, and it counts only for the user it was issued to:
 * presented with another user name it is ignored. It grants nothing but a place in the known
 * lane: the password is checked as always, under the same per-user lockout.
 *
 * @example
 * const value = issueDeviceMark(key, { id: userId, userName: 'alice' }, clock.now(), random);
 * readDeviceMark(key, value, 'Alice', clock.now()); // → { userId, ... }
 * readDeviceMark(key, value, 'bob', clock.now()); // → null
 */
import type { Random } from '../../domain/runtime.ts';
import { safeEqual, sign } from './keys.ts';

/** How long a mark counts after the sign-in that earned it. */
export const KNOWN_DEVICE_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/** An HMAC-SHA256 in base64url, the mark's last characters. */
const SIGNATURE_LENGTH = 43;

/** Longest mark value accepted (what the pages issue is about 200 characters). */
const MAX_MARK_LENGTH = 400;

export interface DeviceMark {
  userId: string;
  issuedAt: number;
  expiresAt: number;
}

interface Payload {
  v: 1;
  u: string;
  n: string;
  iat: number;
  exp: number;
  d: string;
}

function nameDigest(key: Buffer, userName: string): string {
  return sign(key, `device-user:${userName.toLowerCase()}`).slice(0, 22);
}

function signature(key: Buffer, payload: string): string {
  return sign(key, `device:${payload}`);
}

/** A new mark for `user`, signed under `key` (the server's `web` key). */
export function issueDeviceMark(
  key: Buffer,
  user: { id: string; userName: string },
  now: number,
  random: Random,
): string {
  const payload: Payload = {
    v: 1,
    u: user.id,
    n: nameDigest(key, user.userName),
    iat: now,
    exp: now + KNOWN_DEVICE_LIFETIME_MS,
    d: random.bytes(12).toString('base64url'),
  };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}${signature(key, body)}`;
}

/**
 * The mark in `value` when it is ours, unexpired and issued to the user named `userName`
 * (compared lower-cased, as sign-in finds users); otherwise null.
 */
export function readDeviceMark(key: Buffer, value: string, userName: string, now: number): DeviceMark | null {
  if (value.length > MAX_MARK_LENGTH) return null;
  if (value.length <= SIGNATURE_LENGTH) return null;
  const body = value.slice(0, -SIGNATURE_LENGTH);
  if (!safeEqual(value.slice(-SIGNATURE_LENGTH), signature(key, body))) return null;
  let payload: Partial<Payload>;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
  } catch {
    return null;
  }
  const { v, u, n, iat, exp } = payload;
  if (v !== 1 || typeof u !== 'string' || typeof n !== 'string') return null;
  if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= now) return null;
  if (!safeEqual(n, nameDigest(key, userName))) return null;
  return { userId: u, issuedAt: iat, expiresAt: exp };
}
