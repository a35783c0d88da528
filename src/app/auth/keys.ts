/**
 * Server secrets for sign-in: the key that signs pre-session CSRF tokens (`web`) and the key that
 * seals TOTP secrets at rest (`mfa`); and the key that signs the admin APIs' NextTokens
 * (`pagination`). Each lives in `server_keys`, so every replica sharing the
 * store uses the same one; the first replica to need a key creates it (a fixed id makes the race
 * harmless: the loser reads the winner's row). A server keeps the keys it has read for its life
 * (`ServerKeys`, its context's `memory.serverKeys`).
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock, Random } from '../../domain/runtime.ts';
import type { Store } from '../../storage/db.ts';

export type KeyPurpose = 'web' | 'mfa' | 'pagination';

/** The server keys of one store, read (or created) on first use and then kept. */
export class ServerKeys {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly keys = new Map<KeyPurpose, Promise<Buffer>>();

  constructor(store: Store, clock: Clock, random: Random) {
    this.store = store;
    this.clock = clock;
    this.random = random;
  }

  /** The 32-byte server key for a purpose, created on first use. */
  get(purpose: KeyPurpose): Promise<Buffer> {
    let key = this.keys.get(purpose);
    if (!key) {
      key = this.loadOrCreate(purpose);
      // A failed load (store down) must not be kept.
      key.catch(() => this.keys.delete(purpose));
      this.keys.set(purpose, key);
    }
    return key;
  }

  private async loadOrCreate(purpose: KeyPurpose): Promise<Buffer> {
    const id = `${purpose}-1`;
    const db = this.store.db;
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
        secret: this.random.bytes(32).toString('base64'),
        created_at: this.clock.now(),
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
export function seal(random: Random, key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = random.bytes(12);
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
