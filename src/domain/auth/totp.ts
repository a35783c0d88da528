/**
 * TOTP (RFC 6238) over HOTP (RFC 4226), as authenticator apps do it: SHA-1, 6 digits, 30 s
 * steps, secrets shown in base32 (RFC 4648) inside an `otpauth://totp/…` URI. A code is accepted
 * for the current step or one step back (RFC 6238 §5.2, network delay) and never twice: the
 * caller keeps the last accepted step and passes it in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** 160-bit secrets, the RFC 4226 §4 recommendation. */
export const TOTP_SECRET_BYTES = 20;

/** HOTP value (RFC 4226 §5.3) of `counter` under `secret`, zero-padded to `digits`. */
export function hotp(
  secret: Buffer,
  counter: bigint,
  digits = TOTP_DIGITS,
  algorithm: TotpAlgorithm = 'SHA1',
): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm.toLowerCase(), secret).update(msg).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, '0');
}

/** The time step of an instant (epoch ms). */
export function timeStep(epochMs: number, stepSeconds = TOTP_STEP_SECONDS): number {
  return Math.floor(epochMs / 1000 / stepSeconds);
}

/** The TOTP code at an instant (epoch ms). */
export function totp(
  secret: Buffer,
  epochMs: number,
  options: { digits?: number; algorithm?: TotpAlgorithm; stepSeconds?: number } = {},
): string {
  return hotp(
    secret,
    BigInt(timeStep(epochMs, options.stepSeconds)),
    options.digits ?? TOTP_DIGITS,
    options.algorithm ?? 'SHA1',
  );
}

/** What a person typed → 6 digits, or null (spaces are ignored, nothing else is). */
export function normalizeTotpInput(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 16) return null;
  const s = input.replace(/\s/g, '');
  return /^\d{6}$/.test(s) ? s : null;
}

/**
 * The step a code matches — the current one or the one before — provided it is later than
 * `lastAcceptedStep` (replay), else null.
 *
 * @example const step = matchTotp(secret, '287082', now, device.lastStep); if (step !== null) saveLastStep(step)
 */
export function matchTotp(
  secret: Buffer,
  code: string,
  epochMs: number,
  lastAcceptedStep: number,
): number | null {
  const current = timeStep(epochMs);
  const given = Buffer.from(code, 'ascii');
  for (const step of [current, current - 1]) {
    if (step <= lastAcceptedStep || step < 0) continue;
    const expected = Buffer.from(hotp(secret, BigInt(step)), 'ascii');
    if (expected.length === given.length && timingSafeEqual(expected, given)) return step;
  }
  return null;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (what authenticator apps expect). */
export function base32Encode(data: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Inverse of `base32Encode` (case-insensitive, padding and spaces ignored); null when invalid. */
export function base32Decode(text: string): Buffer | null {
  const s = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of s) {
    const idx = BASE32.indexOf(ch);
    if (idx === -1) return null;
    value = ((value << 5) | idx) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The `otpauth://` URI an authenticator app scans (Key Uri Format). */
export function otpauthUri(secret: Buffer, issuer: string, account: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}
