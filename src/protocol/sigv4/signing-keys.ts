/**
 * The signing keys a verifier has derived, kept for the requests that follow: a key changes once
 * a day per credential and scope, and deriving one costs four HMACs, more than checking the
 * signature it signs. The cache belongs to the object that verifies (a server builds one when it
 * starts); nothing is kept in a module.
 *
 * A secret never becomes a map key: entries are found by a SHA-256 digest of the secret and the
 * scope. The cache holds at most `limit` keys and forgets the oldest first.
 */
import { sha256Hex } from '../../domain/digest.ts';
import { deriveSigningKey } from '../../domain/sigv4.ts';

/** How many keys a cache keeps unless told otherwise. */
export const SIGNING_KEY_LIMIT = 10_000;

export class SigningKeyCache {
  private readonly keys = new Map<string, Buffer>();
  private readonly limit: number;

  constructor(limit = SIGNING_KEY_LIMIT) {
    if (!(Number.isInteger(limit) && limit >= 1))
      throw new RangeError('the limit must be a whole number from 1');
    this.limit = limit;
  }

  /** How many keys are kept now. */
  get size(): number {
    return this.keys.size;
  }

  /** The signing key of `secret` for the scope, derived once and then kept. */
  get(secret: string, date: string, region: string, service: string): Buffer {
    // Each scope part led by its length: the text names one (secret, scope), whatever
    // characters the parts hold.
    const id = sha256Hex(
      `${date.length}:${date}${region.length}:${region}${service.length}:${service}${secret}`,
    );
    const hit = this.keys.get(id);
    if (hit) return hit;
    const key = deriveSigningKey(secret, date, region, service);
    if (this.keys.size >= this.limit) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    this.keys.set(id, key);
    return key;
  }

  /** The digests the keys are kept under (for tests: no secret among them). */
  ids(): string[] {
    return [...this.keys.keys()];
  }
}
