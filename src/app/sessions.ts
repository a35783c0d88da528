/**
 * Sessions: listing and ending sign-ins, for the person (signing out, the portal API's Logout,
 * the profile page) and for an administrator (`idcenter sessions list|revoke`, beyond what AWS offers). A session is a portal
 * sign-in together with the CLI/SDK token families issued under it.
 *
 * Ending a session ends the portal session and its refresh and access tokens at once (they are
 * checked against the store on every use) and records revocations, so role credentials already
 * issued under it stop verifying on every replica at its next revocation refresh (within 60 s).
 * Each change is one transaction with its audit rows.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.ts';
import { type AuditEvent, type ChangeOrigin, withOrigin, writeAudit, writeAuditBatch } from './audit.ts';
import type { RequestMeta } from './auth/issue.ts';
import type { ResolvedAccessToken } from './auth/resolved-token.ts';
import { endSession } from './auth/sessions.ts';
import { revokeFamily } from './auth/tokens.ts';
import type { AppContext } from './context.ts';
import { ALL_SUBJECT, type RevocationKind, recordRevocations, revokingTransaction } from './revocation.ts';
import { endSignIns, revokeUserSessions } from './users.ts';

export interface SessionInfo {
  sessionId: string;
  userId: string;
  userName: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  revokedAt: number | null;
  sourceIp: string | null;
  userAgent: string | null;
  /** Names of the OIDC clients with live token families in this session. */
  clients: string[];
  /** Live CLI/SDK sign-ins (token families) under this session. */
  cliSignIns: number;
}

export interface ListSessionsOptions {
  /** One user's sessions, by id (the profile page) or by user name (the administrator). */
  userId?: string | undefined;
  userName?: string | undefined;
  /** Ended and expired sessions too. */
  all?: boolean;
  /** Only sessions that finished signing in (MFA done), as the profile page shows them. */
  signedInOnly?: boolean;
  limit?: number;
}

/**
 * Portal sessions (`s`) with their users' names (`u`), as the session lists read them (the admin
 * console pages them: `admin/console.ts`).
 */
export function sessionRows(db: Kysely<Database>) {
  return db
    .selectFrom('portal_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      's.id',
      's.user_id',
      'u.user_name',
      's.created_at',
      's.expires_at',
      's.last_seen_at',
      's.revoked_at',
      's.source_ip',
      's.user_agent',
    ]);
}

/** Sessions, newest first: live ones only unless `all`. */
export async function listSessions(
  ctx: AppContext,
  options: ListSessionsOptions = {},
): Promise<SessionInfo[]> {
  const now = ctx.clock.now();
  let q = sessionRows(ctx.store.db)
    .orderBy('s.created_at', 'desc')
    .orderBy('s.id')
    .limit(options.limit ?? 1000);
  if (!options.all) q = q.where('s.revoked_at', 'is', null).where('s.expires_at', '>', now);
  if (options.signedInOnly) q = q.where('s.mfa_done', '=', 1);
  if (options.userId !== undefined) q = q.where('s.user_id', '=', options.userId);
  if (options.userName !== undefined) q = q.where('u.user_name_lower', '=', options.userName.toLowerCase());
  const rows = await q.execute();
  const clients = new Map<string, string[]>();
  const signIns = new Map<string, number>();
  if (rows.length > 0) {
    const fams = await ctx.store.db
      .selectFrom('token_families as f')
      .leftJoin('oidc_clients as c', 'c.id', 'f.client_id')
      .select(['f.session_id', 'f.client_id', 'c.name'])
      .where(
        'f.session_id',
        'in',
        rows.map((r) => r.id),
      )
      .where('f.revoked_at', 'is', null)
      .where('f.expires_at', '>', now)
      .execute();
    for (const f of fams) {
      if (!f.session_id) continue;
      signIns.set(f.session_id, (signIns.get(f.session_id) ?? 0) + 1);
      const list = clients.get(f.session_id) ?? [];
      const name = f.name ?? f.client_id;
      if (!list.includes(name)) list.push(name);
      clients.set(f.session_id, list);
    }
  }
  return rows.map((r) => ({
    sessionId: r.id,
    userId: r.user_id,
    userName: r.user_name,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastSeenAt: r.last_seen_at,
    revokedAt: r.revoked_at,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
    clients: clients.get(r.id) ?? [],
    cliSignIns: signIns.get(r.id) ?? 0,
  }));
}

export interface RevocationOutcome {
  /** Sessions ended. */
  sessions: string[];
  /** Revocations written, for the caller to apply to this server's credential verifier at once. */
  revocations: Array<{ kind: RevocationKind; subject: string }>;
  /** The revocations' stamp: role credentials issued until this instant stop verifying (0 when none). */
  at: number;
}

/** The outcome of a revoking transaction, stamped with the instant its revocations carry. */
async function revoking(
  ctx: AppContext,
  body: (trx: Kysely<Database>) => Promise<Omit<RevocationOutcome, 'at'> | null>,
): Promise<RevocationOutcome | null> {
  const { value, notBefore } = await revokingTransaction(ctx, body);
  return value && { ...value, at: notBefore };
}

/** The outcome of a revoking transaction that always has one. */
async function revokingAlways(
  ctx: AppContext,
  body: (trx: Kysely<Database>) => Promise<Omit<RevocationOutcome, 'at'>>,
): Promise<RevocationOutcome> {
  const outcome = await revoking(ctx, body);
  if (!outcome) throw new Error('internal: a revoking transaction returned nothing');
  return outcome;
}

/**
 * End sessions and the token families under them, record their revocations and one
 * `session.revoke` audit row each. The one way a session ends on request, for the person and
 * for an administrator.
 */
async function endSessions(
  trx: Kysely<Database>,
  sessionIds: readonly string[],
  now: number,
  why: { reason: string; event: (sessionId: string, tokenFamilies: number) => AuditEvent },
): Promise<Array<{ kind: RevocationKind; subject: string }>> {
  const revocations: Array<{ kind: RevocationKind; subject: string }> = [];
  const events: AuditEvent[] = [];
  for (const sessionId of sessionIds) {
    const { families } = await endSession(trx, sessionId, now, why.reason);
    revocations.push({ kind: 'session', subject: sessionId });
    for (const f of families) revocations.push({ kind: 'family', subject: f });
    events.push(why.event(sessionId, families.length));
  }
  recordRevocations(trx, revocations);
  if (events.length > 0) await writeAuditBatch(trx, events);
  return revocations;
}

/**
 * The person signs out of the portal: the session ends with the token families issued under
 * it. Role credentials already issued run to their expiry, as on AWS.
 */
export async function signOut(
  ctx: AppContext,
  session: { sessionId: string; userId: string },
  meta: RequestMeta,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const { families } = await endSession(trx, session.sessionId, now, 'signout');
    await writeAudit(trx, {
      at: now,
      actor: `user:${session.userId}`,
      action: 'signout',
      targetType: 'PORTAL_SESSION',
      targetId: session.sessionId,
      detail: { tokenFamiliesRevoked: families.length },
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    });
  });
}

/**
 * The portal API's Logout: ends the bearer token and every access and refresh token issued with
 * it (its token family). Role credentials already issued run to their expiry, as on AWS;
 * `idcenter sessions revoke` goes further.
 */
export async function logOutToken(
  ctx: AppContext,
  who: ResolvedAccessToken,
  meta: RequestMeta,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    await revokeFamily(trx, who.familyId, now, 'logout');
    await writeAudit(trx, {
      at: now,
      actor: `user:${who.userId}`,
      action: 'token.logout',
      targetType: 'TOKEN_FAMILY',
      targetId: who.familyId,
      detail: { clientId: who.clientId, sessionId: who.sessionId },
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    });
  });
}

export interface RevokeOwnRequest {
  userId: string;
  /** One session id, or 'all' for sign-out everywhere. */
  which: string | 'all';
  sourceIp: string | null;
  requestId: string | null;
}

/**
 * Sign out one of the user's own sessions, or all of them (the profile page). A session id that
 * is not the user's, or already ended, changes nothing. "All" also ends the CLI sign-ins that
 * hang off no portal session: everywhere means everywhere.
 */
export async function revokeOwnSessions(ctx: AppContext, req: RevokeOwnRequest): Promise<RevocationOutcome> {
  const now = ctx.clock.now();
  return revokingAlways(ctx, async (trx) => {
    let q = trx
      .selectFrom('portal_sessions')
      .select('id')
      .where('user_id', '=', req.userId)
      .where('revoked_at', 'is', null);
    if (req.which !== 'all') q = q.where('id', '=', req.which);
    const sessions = (await q.execute()).map((r) => r.id);
    const revocations = await endSessions(trx, sessions, now, {
      reason: 'signed out from the profile page',
      event: (sessionId, tokenFamilies) => ({
        at: now,
        actor: `user:${req.userId}`,
        action: 'session.revoke',
        targetType: 'PORTAL_SESSION',
        targetId: sessionId,
        detail: { reason: req.which === 'all' ? 'sign-out everywhere' : 'profile', tokenFamilies },
        sourceIp: req.sourceIp,
        requestId: req.requestId,
      }),
    });
    if (req.which === 'all') {
      const loose = await trx
        .selectFrom('token_families')
        .select('id')
        .where('user_id', '=', req.userId)
        .where('session_id', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
      const families: Array<{ kind: RevocationKind; subject: string }> = [];
      for (const f of loose) {
        await revokeFamily(trx, f.id, now, 'sign-out everywhere');
        families.push({ kind: 'family', subject: f.id });
      }
      recordRevocations(trx, families);
      revocations.push(...families);
    }
    return { sessions, revocations };
  });
}

/** End one portal session, whoever's, and everything issued under it (administrator). Unknown id → null. */
export async function revokeSessionById(
  ctx: AppContext,
  sessionId: string,
  actor: string,
  origin?: ChangeOrigin,
): Promise<RevocationOutcome | null> {
  const now = ctx.clock.now();
  return revoking(ctx, async (trx) => {
    const s = await trx
      .selectFrom('portal_sessions')
      .select(['id', 'user_id'])
      .where('id', '=', sessionId)
      .executeTakeFirst();
    if (!s) return null;
    const revocations = await endSessions(trx, [sessionId], now, {
      reason: 'revoked by an administrator',
      event: (id, tokenFamilies) =>
        withOrigin(
          {
            at: now,
            actor,
            action: 'session.revoke',
            targetType: 'PORTAL_SESSION',
            targetId: id,
            detail: { userId: s.user_id, tokenFamilies },
          },
          origin,
        ),
    });
    return { sessions: [sessionId], revocations };
  });
}

/**
 * End every session, token and role credential of a user (the user stays enabled and may sign
 * in again). Unknown user → null.
 */
export async function revokeUserEverything(
  ctx: AppContext,
  userName: string,
  actor: string,
  origin?: ChangeOrigin,
): Promise<RevocationOutcome | null> {
  const now = ctx.clock.now();
  return revoking(ctx, async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'user_name'])
      .where('user_name_lower', '=', userName.toLowerCase())
      .executeTakeFirst();
    if (!user) return null;
    const sessions = (
      await trx
        .selectFrom('portal_sessions')
        .select('id')
        .where('user_id', '=', user.id)
        .where('revoked_at', 'is', null)
        .execute()
    ).map((r) => r.id);
    // Sessions, token families, access and refresh tokens, pending grants, and a `user`
    // revocation that stops every role credential issued until the transaction ends.
    await revokeUserSessions(trx, user.id, now, 'revoked by an administrator');
    await writeAudit(
      trx,
      withOrigin(
        {
          at: now,
          actor,
          action: 'user.sessions_revoke',
          targetType: 'USER',
          targetId: user.id,
          detail: { userName: user.user_name, sessions: sessions.length },
        },
        origin,
      ),
    );
    return { sessions, revocations: [{ kind: 'user' as const, subject: user.id }] };
  });
}

/**
 * End every sign-in and every role credential issued until now, of every user, in one
 * transaction: portal sessions, token families, access and refresh tokens, unredeemed codes and
 * device approvals stop at once, and an `all` revocation stops every role credential issued
 * until the transaction ends (on every server within 60 s). Users stay enabled and may sign in
 * again. This is how an operator cuts what was issued before a restore (whose later
 * revocations are lost).
 */
export async function revokeEverything(
  ctx: AppContext,
  actor: string,
  reason: string,
): Promise<RevocationOutcome> {
  const now = ctx.clock.now();
  return revokingAlways(ctx, async (trx) => {
    const sessions = (
      await trx
        .selectFrom('portal_sessions')
        .select('id')
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .execute()
    ).map((r) => r.id);
    await endSignIns(trx, now, reason, null);
    const revocations = [{ kind: 'all' as const, subject: ALL_SUBJECT }];
    recordRevocations(trx, revocations);
    await writeAudit(trx, {
      at: now,
      actor,
      action: 'sessions.revoke_all',
      targetType: 'INSTANCE',
      targetId: 'default',
      detail: { sessions: sessions.length, reason },
    });
    return { sessions, revocations };
  });
}
