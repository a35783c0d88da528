/**
 * Server secrets for sign-in: the key that signs pre-session CSRF tokens (`web`) and the key that
 * seals TOTP secrets at rest (`mfa`). Each lives in `server_keys`, so every replica sharing the
 * store uses the same one; the first replica to need a key creates it (a fixed id makes the race
 * harmless: the loser reads the winner's row). Keys are cached per store for the process life.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '../../storage/db.ts';
import type { AppContext } from '../context.ts';

export type KeyPurpose = 'web' | 'mfa';

const cache = new WeakMap<Store, Map<KeyPurpose, Promise<Buffer>>>();

async function loadOrCreate(ctx: AppContext, purpose: KeyPurpose): Promise<Buffer> {
  const id = `${purpose}-1`;
  const db = ctx.store.db;
  const existing = await db
    .selectFrom('server_keys')
    .select('secret')
    .where('id', '=', id)
    .executeTakeFirst();
  if (existing) return Buffer.from(existing.secret, 'base64');
  await db
    .insertInto('server_keys')
    .values({
      id,
      purpose,
      secret: ctx.random.bytes(32).toString('base64'),
      created_at: ctx.clock.now(),
      retired_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const row = await db
    .selectFrom('server_keys')
    .select('secret')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return Buffer.from(row.secret, 'base64');
}

/** The 32-byte server key for a purpose, created on first use. */
export function serverKey(ctx: AppContext, purpose: KeyPurpose): Promise<Buffer> {
  let byPurpose = cache.get(ctx.store);
  if (!byPurpose) {
    byPurpose = new Map();
    cache.set(ctx.store, byPurpose);
  }
  let key = byPurpose.get(purpose);
  if (!key) {
    key = loadOrCreate(ctx, purpose);
    // A failed load (store down) must not be cached forever.
    key.catch(() => byPurpose?.delete(purpose));
    byPurpose.set(purpose, key);
  }
  return key;
}

/** HMAC-SHA256 of `message` under `key`, base64url. */
export function sign(key: Buffer, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('base64url');
}

/** Constant-time string comparison (false on length mismatch). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** AES-256-GCM seal: `v1.<iv>.<tag>.<ciphertext>` (base64url parts); `aad` binds it to its owner. */
export function seal(ctx: AppContext, key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = ctx.random.bytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [
    'v1',
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.');
}

/** Open a value made by `seal`; throws when it was tampered with or sealed for another owner. */
export function unseal(key: Buffer, sealed: string, aad: string): Buffer {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unknown sealed format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
}
