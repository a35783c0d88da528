/**
 * The profile page's "Active sessions": a person's own portal sessions, and signing one or all
 * of them out. Signing a session out ends it and every CLI/SDK token family issued under it
 * (`endSession`), and — beyond AWS, like `idcenter sessions revoke` — records revocations so
 * role credentials already issued under it stop verifying on every replica. All in one
 * transaction, audited.
 */

import { type AuditEvent, writeAuditBatch } from '../../app/audit.ts';
import { endSession } from '../../app/auth/sessions.ts';
import { revokeFamily } from '../../app/auth/tokens.ts';
import type { AppContext } from '../../app/context.ts';
import { type RevocationKind, recordRevocations, revokingTransaction } from '../../app/revocation.ts';

export interface ActiveSession {
  sessionId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  sourceIp: string | null;
  userAgent: string | null;
  /** Live CLI/SDK sign-ins (token families) under this session. */
  cliSignIns: number;
}

/** The user's live sessions, newest first. */
export async function listActiveSessions(ctx: AppContext, userId: string): Promise<ActiveSession[]> {
  const now = ctx.clock.now();
  const rows = await ctx.store.db
    .selectFrom('portal_sessions')
    .select(['id', 'created_at', 'last_seen_at', 'expires_at', 'source_ip', 'user_agent'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('mfa_done', '=', 1)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
  const counts = new Map<string, number>();
  if (rows.length > 0) {
    const fam = await ctx.store.db
      .selectFrom('token_families')
      .select(['session_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where(
        'session_id',
        'in',
        rows.map((r) => r.id),
      )
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .groupBy('session_id')
      .execute();
    for (const f of fam) if (f.session_id) counts.set(f.session_id, Number(f.n));
  }
  return rows.map((r) => ({
    sessionId: r.id,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
    cliSignIns: counts.get(r.id) ?? 0,
  }));
}

export interface RevokeRequest {
  userId: string;
  /** One session id, or 'all' for sign-out everywhere. */
  which: string | 'all';
  sourceIp: string | null;
  requestId: string | null;
}

export interface RevokeResult {
  /** Sessions ended (empty when the id was not the user's or had already ended). */
  sessions: string[];
  /** Revocations written, for the caller to apply to this server's credential verifier at once. */
  revocations: Array<{ kind: RevocationKind; subject: string }>;
  /** The revocations' stamp (0 when there are none). */
  at: number;
}

/**
 * Sign out one of the user's own sessions, or all of them. A session id that is not the
 * user's, or already ended, changes nothing.
 */
export async function revokeOwnSessions(ctx: AppContext, req: RevokeRequest): Promise<RevokeResult> {
  const now = ctx.clock.now();
  const { value, notBefore } = await revokingTransaction(ctx, async (trx) => {
    let q = trx
      .selectFrom('portal_sessions')
      .select('id')
      .where('user_id', '=', req.userId)
      .where('revoked_at', 'is', null);
    if (req.which !== 'all') q = q.where('id', '=', req.which);
    const sessions = (await q.execute()).map((r) => r.id);
    const revocations: Array<{ kind: RevocationKind; subject: string }> = [];
    const events: AuditEvent[] = [];
    for (const sessionId of sessions) {
      const { families } = await endSession(trx, sessionId, now, 'signed out from the profile page');
      revocations.push({ kind: 'session', subject: sessionId });
      for (const f of families) revocations.push({ kind: 'family', subject: f });
      events.push({
        at: now,
        actor: `user:${req.userId}`,
        action: 'session.revoke',
        targetType: 'PORTAL_SESSION',
        targetId: sessionId,
        detail: {
          reason: req.which === 'all' ? 'sign-out everywhere' : 'profile',
          tokenFamilies: families.length,
        },
        sourceIp: req.sourceIp,
        requestId: req.requestId,
      });
    }
    if (req.which === 'all') {
      // CLI sign-ins that hang off no portal session end too: "everywhere" means everywhere.
      const loose = await trx
        .selectFrom('token_families')
        .select('id')
        .where('user_id', '=', req.userId)
        .where('session_id', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
      for (const f of loose) {
        await revokeFamily(trx, f.id, now, 'sign-out everywhere');
        revocations.push({ kind: 'family', subject: f.id });
      }
    }
    recordRevocations(trx, revocations);
    if (events.length > 0) await writeAuditBatch(trx, events);
    return { sessions, revocations };
  });
  return { ...value, at: notBefore };
}
