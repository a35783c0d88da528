/**
 * Portal sessions: what a person holds after signing in. The browser keeps an opaque token in
 * a cookie; the store keeps its SHA-256. A session whose user still owes a second factor exists
 * with `mfa_done = 0` and a short life; it only becomes a real session when the factor passes,
 * and then its token is replaced (no session fixation across the privilege change).
 */
import type { Kysely } from 'kysely';
import { opaqueToken, uuid } from '../../domain/ids.ts';
import type { Database } from '../../storage/schema.ts';
import type { AppContext } from '../context.ts';
import { hashToken, revokeFamily } from './tokens.ts';

/** How long a sign-in may wait on its second factor (or on MFA enrolment). */
export const PENDING_MFA_TTL_MS = 10 * 60 * 1000;

export interface NewSession {
  sessionId: string;
  token: string;
  expiresAt: number;
}

export interface SessionRecord {
  sessionId: string;
  userId: string;
  userName: string;
  displayName: string;
  userStatus: string;
  /** The public origin the session was made for; null for sessions made before origins were kept. */
  origin: string | null;
  mfaDone: boolean;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  revokedAt: number | null;
}

/**
 * Open a session for a user. `mfaDone=false` makes a short-lived pending session. `db` is a
 * transaction the session is part of; by default the store itself.
 */
export async function createSession(
  ctx: AppContext,
  input: {
    userId: string;
    /** The public origin (scheme://host:port) the session is made for and only valid at. */
    origin: string;
    mfaDone: boolean;
    ttlMs: number;
    sourceIp?: string | null;
    userAgent?: string | null;
  },
  db: Kysely<Database> = ctx.store.db,
): Promise<NewSession> {
  const now = ctx.clock.now();
  const token = opaqueToken(ctx.random, 32);
  const sessionId = uuid(ctx.random);
  const expiresAt = now + (input.mfaDone ? input.ttlMs : Math.min(input.ttlMs, PENDING_MFA_TTL_MS));
  await db
    .insertInto('portal_sessions')
    .values({
      id: sessionId,
      token_hash: hashToken(token),
      user_id: input.userId,
      origin: input.origin,
      mfa_done: input.mfaDone ? 1 : 0,
      created_at: now,
      expires_at: expiresAt,
      last_seen_at: now,
      revoked_at: null,
      source_ip: input.sourceIp ?? null,
      user_agent: input.userAgent ? input.userAgent.slice(0, 256) : null,
    })
    .execute();
  return { sessionId, token, expiresAt };
}

/** The session a cookie token names, with its user, or null. Performs no validity checks. */
export async function findSessionByToken(ctx: AppContext, token: string): Promise<SessionRecord | null> {
  if (typeof token !== 'string' || token.length < 16 || token.length > 256) return null;
  const row = await ctx.store.db
    .selectFrom('portal_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      's.id',
      's.user_id',
      's.mfa_done',
      's.origin',
      's.created_at',
      's.expires_at',
      's.last_seen_at',
      's.revoked_at',
      'u.user_name',
      'u.display_name',
      'u.status',
    ])
    .where('s.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row) return null;
  return {
    sessionId: row.id,
    userId: row.user_id,
    userName: row.user_name,
    displayName: row.display_name,
    userStatus: row.status,
    origin: row.origin,
    mfaDone: row.mfa_done === 1,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
    revokedAt: row.revoked_at,
  };
}

/** True when the session is alive: not revoked, not expired, user enabled (MFA not considered). */
export function isSessionAlive(s: SessionRecord, now: number): boolean {
  return s.revokedAt === null && s.expiresAt > now && s.userStatus === 'ENABLED';
}

/**
 * The second factor passed: mark the session complete, give it its full life and a new token.
 * Conditional on the session still pending and alive; returns null when it was not.
 */
export async function completeSessionMfa(
  ctx: AppContext,
  sessionId: string,
  ttlMs: number,
): Promise<NewSession | null> {
  const db = ctx.store.db;
  const now = ctx.clock.now();
  const token = opaqueToken(ctx.random, 32);
  const expiresAt = now + ttlMs;
  const res = await db
    .updateTable('portal_sessions')
    .set({ mfa_done: 1, token_hash: hashToken(token), expires_at: expiresAt, last_seen_at: now })
    .where('id', '=', sessionId)
    .where('mfa_done', '=', 0)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return null;
  return { sessionId, token, expiresAt };
}

/** Record activity at most once a minute (one cheap conditional update). */
export async function touchSession(ctx: AppContext, sessionId: string, lastSeenAt: number): Promise<void> {
  const now = ctx.clock.now();
  if (now - lastSeenAt < 60_000) return;
  await ctx.store.db
    .updateTable('portal_sessions')
    .set({ last_seen_at: now })
    .where('id', '=', sessionId)
    .execute();
}

/**
 * End a portal session and every token family issued under it (sign-out). Role credentials
 * already issued keep working until they expire, as on AWS. Call inside a transaction.
 */
export async function endSession(
  db: Kysely<Database>,
  sessionId: string,
  now: number,
  reason: string,
): Promise<{ families: string[] }> {
  await db
    .updateTable('portal_sessions')
    .set({ revoked_at: now })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
  const families = await db
    .selectFrom('token_families')
    .select('id')
    .where('session_id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
  for (const f of families) await revokeFamily(db, f.id, now, reason);
  await db
    .updateTable('device_grants')
    .set({ status: 'denied' })
    .where('session_id', '=', sessionId)
    .where('status', '=', 'approved')
    .execute();
  return { families: families.map((f) => f.id) };
}
