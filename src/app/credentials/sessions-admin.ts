/**
 * Administration of sign-ins, beyond what AWS offers (`idcenter sessions list|revoke`): a
 * session is a portal sign-in together with the CLI/SDK token families issued under it.
 * Revoking ends the portal session, its refresh and access tokens at once (they are checked
 * against the store on every use) and records revocations, so role credentials already issued
 * under it stop verifying on every replica at its next revocation refresh (within 60 s).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.ts';
import { writeAudit } from '../audit.ts';
import { endSession } from '../auth/sessions.ts';
import type { AppContext } from '../context.ts';
import { ALL_SUBJECT, type RevocationKind, recordRevocations, revokingTransaction } from '../revocation.ts';
import { endSignIns, revokeUserSessions } from '../users.ts';

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
}

/** Sessions, newest first: live ones only unless `all`; one user's when `userName` is given. */
export async function listSessions(
  ctx: AppContext,
  options: { userName?: string | undefined; all?: boolean; limit?: number } = {},
): Promise<SessionInfo[]> {
  const now = ctx.clock.now();
  let q = ctx.store.db
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
    ])
    .orderBy('s.created_at', 'desc')
    .orderBy('s.id')
    .limit(options.limit ?? 1000);
  if (!options.all) q = q.where('s.revoked_at', 'is', null).where('s.expires_at', '>', now);
  if (options.userName !== undefined) q = q.where('u.user_name_lower', '=', options.userName.toLowerCase());
  const rows = await q.execute();
  const clients = new Map<string, string[]>();
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
  }));
}

export interface RevocationOutcome {
  sessions: string[];
  revocations: Array<{ kind: RevocationKind; subject: string }>;
  /** The revocations' stamp: role credentials issued until this instant stop verifying. */
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

/** End one portal session and everything issued under it. Unknown id → null. */
export async function revokeSessionById(
  ctx: AppContext,
  sessionId: string,
  actor: string,
): Promise<RevocationOutcome | null> {
  const now = ctx.clock.now();
  return revoking(ctx, async (trx) => {
    const s = await trx
      .selectFrom('portal_sessions')
      .select(['id', 'user_id'])
      .where('id', '=', sessionId)
      .executeTakeFirst();
    if (!s) return null;
    const { families } = await endSession(trx, sessionId, now, 'revoked by an administrator');
    const revocations: Array<{ kind: RevocationKind; subject: string }> = [
      { kind: 'session', subject: sessionId },
      ...families.map((f) => ({ kind: 'family' as const, subject: f })),
    ];
    recordRevocations(trx, revocations);
    await writeAudit(trx, {
      at: now,
      actor,
      action: 'session.revoke',
      targetType: 'PORTAL_SESSION',
      targetId: sessionId,
      detail: { userId: s.user_id, tokenFamilies: families.length },
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
    await writeAudit(trx, {
      at: now,
      actor,
      action: 'user.sessions_revoke',
      targetType: 'USER',
      targetId: user.id,
      detail: { userName: user.user_name, sessions: sessions.length },
    });
    return { sessions, revocations: [{ kind: 'user', subject: user.id }] };
  });
}

/**
 * End every sign-in and every role credential issued until now, of every user, in one
 * transaction: portal sessions, token families, access and refresh tokens, unredeemed codes and
 * device approvals stop at once, and an `all` revocation stops every role credential issued
 * until the transaction ends (on every server within 60 s). Users stay enabled and may sign in again. This is
 * how an operator cuts what was issued before a restore (whose later revocations are lost).
 */
export async function revokeEverything(
  ctx: AppContext,
  actor: string,
  reason: string,
): Promise<RevocationOutcome> {
  const now = ctx.clock.now();
  const outcome = await revoking(ctx, async (trx) => {
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
  if (!outcome) throw new Error('internal: revoking everything returned nothing');
  return outcome;
}
