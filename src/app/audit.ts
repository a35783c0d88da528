/**
 * Audit events: every change and every security-relevant decision writes one row, inside the
 * same transaction as the change it records. Never put secrets in `detail`, and put what a
 * client sent only through `clientText`. Failures of callers who have not authenticated go
 * through `failure-audit.ts`, which counts their repeats.
 */
import type { Kysely } from 'kysely';
import { replaceFaults } from '../domain/wire-text.ts';
import type { AuditEventRow, Database } from '../storage/schema.ts';

/** An audit event as stored, with its id (what `idcenter audit tail` prints). */
export type StoredAuditEvent = AuditEventRow;

/**
 * Every action an audit row can record. A closed list, so that a misspelt action fails to
 * compile instead of writing rows no query finds. Rows already stored keep whatever action they
 * were written with; readers of the table see plain text.
 */
export type AuditAction =
  // Sign-in, MFA and lockout
  | 'signin.success'
  | 'signin.failure'
  | 'signin.locked'
  | 'signin.lockout'
  | 'signin.throttled'
  | 'signin.busy'
  | 'signout'
  | 'mfa.enroll'
  | 'mfa.failure'
  | 'mfa.remove'
  | 'mfa.reset'
  // Browser authorization (PKCE) and the device grant
  | 'pkce.approve'
  | 'pkce.deny'
  | 'device.approve'
  | 'device.deny'
  | 'device.user_code.miss'
  | 'device.user_code.blocked'
  // OIDC clients and tokens
  | 'oidc.client.register'
  | 'token.issue'
  | 'token.refresh'
  | 'token.reuse_detected'
  | 'token.logout'
  // Sessions
  | 'session.revoke'
  | 'sessions.revoke_all'
  | 'user.sessions_revoke'
  // Credentials and STS
  | 'credentials.issue'
  | 'credentials.withdraw'
  | 'credentials.issue_failure'
  // Console sign-in for federated accounts (a SAML POST to AWS), and one-time links for the CLI
  | 'console.signin'
  | 'console.link'
  | 'credential_keys.adopt'
  | 'sts.signature_failure'
  // The admin APIs (identitystore, sso-admin, organizations): refusals; changes use the actions below
  | 'admin.signature_failure'
  | 'admin.access_denied'
  // The organization (idcenter apply and the admin commands)
  | 'ou.create'
  | 'ou.delete'
  | 'ou.update'
  | 'organization.update'
  | 'federation.update'
  // Users from Active Directory or LDAP: the source apply sets, and each sync's result
  | 'identity_source.update'
  | 'directory.sync'
  | 'directory.sync_refused'
  | 'directory.sync_forced'
  | 'directory.sync_failure'
  // IAM in aws accounts (idcenter apply): one event per call made, or the one that failed
  | 'iam.change'
  | 'iam.change_failure'
  | 'account.create'
  | 'account.update'
  | 'account.delete'
  | 'group.create'
  | 'group.update'
  | 'group.delete'
  | 'user.create'
  | 'user.update'
  | 'user.delete'
  | 'user.disable'
  | 'user.enable'
  | 'user.password.set'
  | 'permission_set.create'
  | 'permission_set.update'
  | 'permission_set.delete'
  | 'membership.create'
  | 'membership.delete'
  | 'assignment.create'
  | 'assignment.delete'
  // The store and the log itself
  | 'store.restore'
  | 'audit.prune';

export interface AuditEvent {
  at: number;
  actor: string;
  action: AuditAction;
  targetType?: string | null;
  targetId?: string | null;
  detail?: Record<string, unknown> | null;
  sourceIp?: string | null;
  requestId?: string | null;
}

/**
 * Where a change was asked for, beyond its actor: the client address, the request id and the
 * channel (`via`, e.g. `admin-console`). Use cases shared by the CLI and the web take it as an
 * optional last argument and put it on their audit rows with `withOrigin`.
 */
export interface ChangeOrigin {
  sourceIp?: string | null;
  requestId?: string | null;
  via?: string;
}

/** `event` with the origin's address, request id and channel (when given). */
export function withOrigin(event: AuditEvent, origin: ChangeOrigin | undefined): AuditEvent {
  if (!origin) return event;
  return {
    ...event,
    sourceIp: origin.sourceIp ?? event.sourceIp ?? null,
    requestId: origin.requestId ?? event.requestId ?? null,
    detail: origin.via ? { ...(event.detail ?? {}), via: origin.via } : (event.detail ?? null),
  };
}

/** Who used a role: the person, the account, and the address the request came from. */
export interface RoleUser {
  userId: string;
  accountId: string;
  sourceIp: string | null;
}

/**
 * An event about a person's use of a role in an account (credentials issued, refused or
 * withdrawn; a console sign-in or link): the person acts on `<account>/<role>`.
 */
export function roleEvent(
  at: number,
  action: AuditAction,
  who: RoleUser,
  roleName: string,
  detail: Record<string, unknown>,
): AuditEvent {
  return {
    at,
    actor: `user:${who.userId}`,
    action,
    targetType: 'ROLE',
    targetId: `${who.accountId}/${roleName}`,
    detail,
    sourceIp: who.sourceIp,
  };
}

/** Characters of client-sent text an audit row may hold, all fields together. */
export const CLIENT_TEXT_LIMIT = 256;

/**
 * Invisible formatting (bidi overrides, zero-width characters) and line and paragraph
 * separators: with the control characters and lone surrogates `replaceFaults` replaces, what
 * could disguise a line of the audit log on a terminal.
 */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * The client's own text for an audit row's detail: the fields in order share
 * `CLIENT_TEXT_LIMIT` characters (a field that does not fit is cut, the ones after it are
 * empty), unsafe characters become U+FFFD, and when anything was cut, `truncated: true` and
 * `clientTextLength` (the characters sent, all fields together) say so.
 *
 * @example
 * clientText({ userName: 'x'.repeat(300) })
 * // { userName: 'xxx…' (256 characters), truncated: true, clientTextLength: 300 }
 */
export function clientText(fields: Record<string, string | null | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let room = CLIENT_TEXT_LIMIT;
  let sent = 0;
  let cut = false;
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) {
      out[name] = null;
      continue;
    }
    // Only the head is looked at: the work per row does not grow with what was sent.
    const points = Array.from(replaceFaults(value.slice(0, 2 * room + 2)).replace(INVISIBLE, '\uFFFD'));
    const kept = points.length > room ? points.slice(0, room) : points;
    if (kept.length < points.length || value.length > 2 * room + 2) cut = true;
    out[name] = kept.join('');
    room -= kept.length;
    sent += value.length;
  }
  if (cut) {
    out.truncated = true;
    out.clientTextLength = sent;
  }
  return out;
}

/** The stored form of an event (also used by the group-committed writer of the hot paths). */
export function auditRow(e: AuditEvent) {
  return {
    at: e.at,
    actor: e.actor,
    action: e.action,
    target_type: e.targetType ?? null,
    target_id: e.targetId ?? null,
    detail: e.detail ? JSON.stringify(e.detail) : null,
    source_ip: e.sourceIp ?? null,
    request_id: e.requestId ?? null,
  };
}

export async function writeAudit(db: Kysely<Database>, event: AuditEvent): Promise<void> {
  await db.insertInto('audit_events').values(auditRow(event)).execute();
}

/** Many events at once (bulk changes such as `idcenter apply`), in chunks the drivers accept. */
export async function writeAuditBatch(db: Kysely<Database>, events: AuditEvent[]): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < events.length; i += CHUNK) {
    await db
      .insertInto('audit_events')
      .values(events.slice(i, i + CHUNK).map(auditRow))
      .execute();
  }
}

/** Rows deleted per statement by `pruneAudit`. */
export const PRUNE_CHUNK = 5000;

/** The newest `n` audit events, oldest first. */
export async function newestAuditEvents(
  store: { db: Kysely<Database> },
  n: number,
): Promise<StoredAuditEvent[]> {
  const rows = await store.db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(n).execute();
  return rows.reverse();
}

/**
 * The user names of the users among the events' actors (`user:<id>`) and targets (`USER`), for
 * reading the log: ids say nothing to a person. Users deleted since keep their ids.
 */
export async function auditUserNames(
  store: { db: Kysely<Database> },
  events: readonly StoredAuditEvent[],
): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.actor.startsWith('user:')) ids.add(e.actor.slice('user:'.length));
    if (e.target_type === 'USER' && e.target_id) ids.add(e.target_id);
  }
  const names = new Map<string, string>();
  const list = [...ids];
  for (let i = 0; i < list.length; i += 500) {
    const rows = await store.db
      .selectFrom('users')
      .select(['id', 'user_name'])
      .where('id', 'in', list.slice(i, i + 500))
      .execute();
    for (const r of rows) names.set(r.id, r.user_name);
  }
  return names;
}

/** The id of the newest audit event, 0 when there is none. */
export async function lastAuditId(store: { db: Kysely<Database> }): Promise<number> {
  const top = await store.db.selectFrom('audit_events').select('id').orderBy('id', 'desc').limit(1).execute();
  return top[0] ? Number(top[0].id) : 0;
}

/** Up to `limit` audit events with an id above `afterId`, in id order. */
export async function auditEventsAfter(
  store: { db: Kysely<Database> },
  afterId: number,
  limit: number,
): Promise<StoredAuditEvent[]> {
  return store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** How many audit events are older than `before` (epoch ms): what `pruneAudit` would delete. */
export async function countAuditBefore(store: { db: Kysely<Database> }, before: number): Promise<number> {
  const row = await store.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('at', '<', before)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Delete the audit events older than `before` (epoch ms) — retention for a log that grows with
 * every issuance. Rows go in statements of `PRUNE_CHUNK`, each committed on its own, so no
 * transaction holds the store for long (a running server's audit writer waits for each), and
 * what was deleted stays deleted if the run is stopped. The deletion is itself an audit event
 * (`audit.prune`, with the cutoff and the count), written even when a chunk fails.
 */
export async function pruneAudit(
  store: { db: Kysely<Database> },
  input: { before: number; actor: string; now: () => number; onProgress?: (deleted: number) => void },
): Promise<number> {
  const db = store.db;
  let deleted = 0;
  try {
    for (;;) {
      const res = await db
        .deleteFrom('audit_events')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('audit_events')
            .select('id')
            .where('at', '<', input.before)
            .orderBy('id')
            .limit(PRUNE_CHUNK),
        )
        .executeTakeFirst();
      const n = Number(res.numDeletedRows);
      deleted += n;
      if (n < PRUNE_CHUNK) break;
      input.onProgress?.(deleted);
    }
  } finally {
    await writeAudit(db, {
      at: input.now(),
      actor: input.actor,
      action: 'audit.prune',
      targetType: 'AUDIT_LOG',
      targetId: null,
      detail: { before: new Date(input.before).toISOString(), deleted },
    });
  }
  return deleted;
}
