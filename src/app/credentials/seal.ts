/**
 * Stateless role credentials (docs/decisions.md, "Stateless role credentials"; docs/behaviour.md,
 * "Role sessions").
 *
 * Session token = base64url( 0x01 | len(keyId) | keyId | nonce(12) | AES-256-GCM(claims) | tag(16) ),
 * the header bytes being the GCM additional data. The claims say who, which account and
 * permission set, the role names the verifier reports, the access key id, and when the
 * credentials were issued and expire. The secret access key is HMAC-SHA256 of the whole sealed
 * token under the same key's secret subkey, so a verifier recomputes it from the token alone:
 * nothing secret is stored, and a forged, truncated or re-keyed token does not open.
 *
 * Access key id = `ASIA` + 16 base32 characters of 80 bits: 40 random bits, then the 12-digit
 * account id masked with a hash of those random bits, so `GetAccessKeyInfo` can name the
 * account of any key id, as AWS does.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { sha256Bytes } from '../../domain/digest.ts';
import type { Random } from '../../domain/runtime.ts';
import type { CredentialKey, KeyRing } from './keys.ts';

export interface RoleSessionClaims {
  /** Access key id the token belongs to. */
  accessKeyId: string;
  userId: string;
  userName: string;
  accountId: string;
  permissionSetId: string;
  /** Permission-set name (the portal API's roleName). */
  roleName: string;
  /** 16 hex: AWSReservedSSO_<roleName>_<roleHash>. */
  roleHash: string;
  /** AROA…: the role id in UserId. */
  roleId: string;
  sessionId: string | null;
  familyId: string | null;
  /** Issued at, epoch ms. */
  issuedAt: number;
  /** Expires at, epoch ms. */
  expiresAt: number;
}

export interface SealedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Longest session token we try to open: the claims are a few hundred bytes. */
export const MAX_TOKEN_LENGTH = 4096;

// ---- access key ids ----

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function unbase32(text: string): Buffer | null {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return null;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const MASK_LABEL = Buffer.from('idcenter access key id v1');

function accountMask(randomPart: Buffer): Buffer {
  return sha256Bytes(Buffer.concat([MASK_LABEL, randomPart])).subarray(0, 5);
}

export function newAccessKeyId(random: Random, accountId: string): string {
  // Twelve digits fit in 40 bits, and in a double exactly.
  const bytes = Buffer.alloc(10);
  random.bytes(5).copy(bytes, 0);
  const mask = accountMask(bytes.subarray(0, 5));
  let v = Number(accountId);
  for (let i = 9; i >= 5; i--) {
    bytes[i] = (v % 256) ^ (mask[i - 5] ?? 0);
    v = Math.floor(v / 256);
  }
  return `ASIA${base32(bytes)}`;
}

export const ACCESS_KEY_ID = /^(ASIA|AKIA)[A-Z2-7]{16}$/;

/** The account an access key id was issued for, or null when it is not one of ours. */
export function accountOfAccessKeyId(accessKeyId: string): string | null {
  if (!ACCESS_KEY_ID.test(accessKeyId)) return null;
  const bytes = unbase32(accessKeyId.slice(4));
  if (bytes?.length !== 10) return null;
  const r = bytes.subarray(0, 5);
  const mask = accountMask(r);
  let v = 0n;
  for (let i = 0; i < 5; i++) v = (v << 8n) | BigInt((bytes[5 + i] ?? 0) ^ (mask[i] ?? 0));
  if (v > 999_999_999_999n) return null;
  return v.toString().padStart(12, '0');
}

// ---- sealing ----

interface WireClaims {
  k: string;
  u: string;
  n: string;
  a: string;
  p: string;
  r: string;
  h: string;
  i: string;
  s: string | null;
  f: string | null;
  t: number;
  e: number;
}

function toWire(c: RoleSessionClaims): WireClaims {
  return {
    k: c.accessKeyId,
    u: c.userId,
    n: c.userName,
    a: c.accountId,
    p: c.permissionSetId,
    r: c.roleName,
    h: c.roleHash,
    i: c.roleId,
    s: c.sessionId,
    f: c.familyId,
    t: c.issuedAt,
    e: c.expiresAt,
  };
}

function fromWire(w: unknown): RoleSessionClaims | null {
  if (!w || typeof w !== 'object') return null;
  const o = w as Record<string, unknown>;
  const str = (v: unknown) => typeof v === 'string';
  const strOrNull = (v: unknown) => v === null || typeof v === 'string';
  if (
    !str(o.k) ||
    !str(o.u) ||
    !str(o.n) ||
    !str(o.a) ||
    !str(o.p) ||
    !str(o.r) ||
    !str(o.h) ||
    !str(o.i) ||
    !strOrNull(o.s) ||
    !strOrNull(o.f) ||
    typeof o.t !== 'number' ||
    typeof o.e !== 'number'
  )
    return null;
  return {
    accessKeyId: o.k as string,
    userId: o.u as string,
    userName: o.n as string,
    accountId: o.a as string,
    permissionSetId: o.p as string,
    roleName: o.r as string,
    roleHash: o.h as string,
    roleId: o.i as string,
    sessionId: o.s as string | null,
    familyId: o.f as string | null,
    issuedAt: o.t as number,
    expiresAt: o.e as number,
  };
}

interface PreparedKey {
  header: Buffer;
  seal: KeyObject;
  secret: KeyObject;
}

const prepared = new WeakMap<CredentialKey, PreparedKey>();

/**
 * A key's token header, and its sealing key and secret subkey as KeyObjects (Node imports a raw
 * key per use), made once.
 */
function prepare(key: CredentialKey): PreparedKey {
  let p = prepared.get(key);
  if (!p) {
    const kid = Buffer.from(key.id, 'utf8');
    p = {
      header: Buffer.concat([Buffer.from([VERSION, kid.length]), kid]),
      seal: createSecretKey(key.sealKey),
      secret: createSecretKey(key.secretKey),
    };
    prepared.set(key, p);
  }
  return p;
}

/** The secret access key of a sealed token: 40 characters, as AWS secrets are. */
export function deriveSecret(key: CredentialKey, tokenBytes: Buffer): string {
  return createHmac('sha256', prepare(key).secret).update(tokenBytes).digest('base64').slice(0, 40);
}

/** Seal claims into a session token under the ring's current key and derive the secret. */
export function sealCredentials(ring: KeyRing, random: Random, claims: RoleSessionClaims): SealedCredentials {
  const key = ring.current;
  const { header, seal } = prepare(key);
  const nonce = random.bytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', seal, nonce);
  cipher.setAAD(header);
  const first = cipher.update(JSON.stringify(toWire(claims)), 'utf8');
  const last = cipher.final();
  const bytes = Buffer.concat([header, nonce, first, last, cipher.getAuthTag()]);
  return {
    accessKeyId: claims.accessKeyId,
    secretAccessKey: deriveSecret(key, bytes),
    sessionToken: bytes.toString('base64url'),
  };
}

export interface OpenedToken {
  claims: RoleSessionClaims;
  secretAccessKey: string;
  keyId: string;
}

/**
 * Open a session token: null when it is malformed, names an unknown key, or fails
 * authentication (forged, truncated, tampered or sealed under another key). Expiry and
 * revocation are the caller's checks.
 */
export function openSessionToken(ring: KeyRing, token: string): OpenedToken | null {
  if (typeof token !== 'string' || token.length < 40 || token.length > MAX_TOKEN_LENGTH) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length < 2 || bytes[0] !== VERSION) return null;
  const kidLen = bytes[1] ?? 0;
  const headerLen = 2 + kidLen;
  if (bytes.length < headerLen + NONCE_BYTES + TAG_BYTES + 2) return null;
  const keyId = bytes.subarray(2, headerLen).toString('utf8');
  const key = ring.byId.get(keyId);
  if (!key) return null;
  const nonce = bytes.subarray(headerLen, headerLen + NONCE_BYTES);
  const body = bytes.subarray(headerLen + NONCE_BYTES, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', prepare(key).seal, nonce);
    decipher.setAAD(bytes.subarray(0, headerLen));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain);
  } catch {
    return null;
  }
  const claims = fromWire(parsed);
  if (!claims) return null;
  return { claims, secretAccessKey: deriveSecret(key, bytes), keyId };
}

// ---- names the verifier reports (docs/wire-protocols.md, "Role session identifiers") ----

/** Role session name: the user name, outside [\w+=,.@-] replaced by '-', at most 64 characters. */
export function sessionName(userName: string): string {
  const cleaned = userName.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return cleaned.length >= 2 ? cleaned : cleaned.padEnd(2, '-');
}

export function roleName(claims: Pick<RoleSessionClaims, 'roleName' | 'roleHash'>): string {
  return `AWSReservedSSO_${claims.roleName}_${claims.roleHash}`;
}

export function assumedRoleArn(partition: string, claims: RoleSessionClaims): string {
  return `arn:${partition}:sts::${claims.accountId}:assumed-role/${roleName(claims)}/${sessionName(claims.userName)}`;
}

export function callerUserId(claims: RoleSessionClaims): string {
  return `${claims.roleId}:${sessionName(claims.userName)}`;
}
