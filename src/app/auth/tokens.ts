/**
 * OIDC access and refresh tokens. Tokens are opaque high-entropy strings; the store keeps only
 * their SHA-256 (docs/decisions.md, "Secrets at rest"). Tokens issued together belong to a family
 * (one login of one client); revoking the family ends every access and refresh token in it.
 */
import type { Kysely } from 'kysely';
import { sha256Hex } from '../../domain/digest.ts';
import { opaqueToken, uuid } from '../../domain/ids.ts';
import { preparedRead } from '../../storage/prepared.ts';
import type { Database } from '../../storage/schema.ts';
import type { AppContext } from '../context.ts';
import type { ResolvedAccessToken } from './resolved-token.ts';

export function hashToken(token: string): string {
  return sha256Hex(token);
}

export interface IssuedTokens {
  familyId: string;
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  accessExpiresAt: number;
}

export interface NewFamily {
  userId: string;
  clientId: string;
  sessionId: string | null;
  scopes: string[];
  /** End of life of the family (the portal session's expiry), epoch ms. */
  familyExpiresAt: number;
  accessTtlMs: number;
}

/** Start a token family with its first access and refresh token. Call inside a transaction. */
export async function issueTokenFamily(
  ctx: AppContext,
  db: Kysely<Database>,
  input: NewFamily,
): Promise<IssuedTokens> {
  const now = ctx.clock.now();
  const familyId = uuid(ctx.random);
  await db
    .insertInto('token_families')
    .values({
      id: familyId,
      user_id: input.userId,
      client_id: input.clientId,
      session_id: input.sessionId,
      scopes: JSON.stringify(input.scopes),
      created_at: now,
      expires_at: input.familyExpiresAt,
      revoked_at: null,
      revoke_reason: null,
    })
    .execute();
  return issueInFamily(ctx, db, {
    familyId,
    userId: input.userId,
    familyExpiresAt: input.familyExpiresAt,
    accessTtlMs: input.accessTtlMs,
  });
}

/** A new access + refresh token pair in an existing family (refresh rotation). */
export async function issueInFamily(
  ctx: AppContext,
  db: Kysely<Database>,
  input: { familyId: string; userId: string; familyExpiresAt: number; accessTtlMs: number },
): Promise<IssuedTokens> {
  const now = ctx.clock.now();
  const accessToken = `aoa${opaqueToken(ctx.random, 32)}`;
  const refreshToken = `aor${opaqueToken(ctx.random, 32)}`;
  // An access token never outlives its family, but never drops under 15 minutes either
  // unless the family itself ends sooner (docs/client-files.md, "Access tokens").
  const accessExpiresAt = Math.min(now + input.accessTtlMs, input.familyExpiresAt);
  await db
    .insertInto('access_tokens')
    .values({
      token_hash: hashToken(accessToken),
      family_id: input.familyId,
      user_id: input.userId,
      created_at: now,
      expires_at: accessExpiresAt,
      revoked_at: null,
    })
    .execute();
  await db
    .insertInto('refresh_tokens')
    .values({
      token_hash: hashToken(refreshToken),
      family_id: input.familyId,
      user_id: input.userId,
      created_at: now,
      expires_at: input.familyExpiresAt,
      used_at: null,
      revoked_at: null,
    })
    .execute();
  return {
    familyId: input.familyId,
    accessToken,
    refreshToken,
    expiresIn: Math.max(0, Math.floor((accessExpiresAt - now) / 1000)),
    accessExpiresAt,
  };
}

/** The bearer token's row with its family, user and portal session: one prepared read. */
const accessTokenRow = preparedRead(['tokenHash'] as const, (db, p) =>
  db
    .selectFrom('access_tokens as t')
    .innerJoin('token_families as f', 'f.id', 't.family_id')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .leftJoin('portal_sessions as s', 's.id', 'f.session_id')
    .select([
      't.user_id',
      'u.user_name',
      'u.status',
      't.family_id',
      'f.session_id',
      'f.client_id',
      't.expires_at',
      't.revoked_at',
      'f.revoked_at as family_revoked_at',
      's.revoked_at as session_revoked_at',
    ])
    .where('t.token_hash', '=', p.tokenHash),
);

/**
 * The identity behind a bearer token, or null when the token is unknown, expired, revoked, its
 * family or portal session revoked, or its user disabled. Checked against committed state on
 * every use: the store generation is read each time, and the token's row is read again once
 * anything that could end it has changed anywhere, so a revocation stops the token at once.
 * `receivedAt`: when the request arrived (see `Store.generation`).
 */
export async function resolveAccessToken(
  ctx: AppContext,
  token: string,
  receivedAt?: number,
): Promise<ResolvedAccessToken | null> {
  if (typeof token !== 'string' || token.length < 16 || token.length > 512) return null;
  const now = ctx.clock.now();
  // Kept answers, keyed by the token itself (see `GenerationCache`).
  const cache = ctx.memory.resolvedTokens;
  const generation = await ctx.store.generation(receivedAt);
  const kept = cache.get(generation, token);
  if (kept) return kept.expiresAt > now ? kept : null;
  const [row] = await accessTokenRow(ctx.store, { tokenHash: hashToken(token) });
  if (!row) return null;
  if (row.revoked_at !== null || row.family_revoked_at !== null || row.session_revoked_at !== null)
    return null;
  if (row.expires_at <= now || row.status !== 'ENABLED') return null;
  const resolved: ResolvedAccessToken = Object.freeze({
    userId: row.user_id,
    userName: row.user_name,
    familyId: row.family_id,
    sessionId: row.session_id,
    clientId: row.client_id,
    expiresAt: row.expires_at,
  });
  cache.set(generation, token, resolved);
  return resolved;
}

/** End a token family: its access and refresh tokens stop at once. Call inside a transaction. */
export async function revokeFamily(
  db: Kysely<Database>,
  familyId: string,
  now: number,
  reason: string,
): Promise<void> {
  await db
    .updateTable('token_families')
    .set({ revoked_at: now, revoke_reason: reason })
    .where('id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('access_tokens')
    .set({ revoked_at: now })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}
