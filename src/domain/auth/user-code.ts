/**
 * Device-flow user codes (RFC 8628 §6.1): 8 letters from a 20-consonant alphabet (no vowels, so
 * no words; no look-alike digits), shown `XXXX-XXXX`, typed in any case with or without spaces
 * and hyphens. 20^8 ≈ 2^34.6 codes; with 5 misses allowed per user per 10 minutes a guess
 * succeeds with negligible probability (RFC 8628 §5.1).
 */
import { randomString } from '../ids.ts';
import type { Random } from '../runtime.ts';

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;
/** Longest input we even try to normalise: anything longer is not a code. */
export const USER_CODE_MAX_INPUT = 32;

const STORED = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`);

/** A new user code in stored form (8 letters, no hyphen). */
export function generateUserCode(random: Random): string {
  return randomString(random, USER_CODE_ALPHABET, USER_CODE_LENGTH);
}

/** `WDJBMJHT` → `WDJB-MJHT`. */
export function formatUserCode(stored: string): string {
  return `${stored.slice(0, 4)}-${stored.slice(4)}`;
}

/**
 * What a person typed → stored form, or null when it cannot be a code (then no lookup happens).
 *
 * @example normalizeUserCode(' wdjb-mjht ') // 'WDJBMJHT'
 */
export function normalizeUserCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > USER_CODE_MAX_INPUT) return null;
  const s = input.replace(/[\s-]/g, '').toUpperCase();
  return STORED.test(s) ? s : null;
}
