/**
 * The expiry sweep: deletes the rows of short-lived kinds that can never be used again, so the
 * store does not grow without end. Each kind has an expiry; a row goes a grace period after it
 * (a day by default), so whoever investigates an incident still sees yesterday's rows. Rows go in
 * statements of at most `SWEEP_BATCH`, each committed on its own, looping until none is left, so
 * no statement holds the store for long while servers run. The audit log is not swept here
 * (`idcenter audit prune` keeps it to a retention period).
 *
 * What goes, and why it is safe:
 *
 * - device authorizations and authorization codes past their expiry (redeemed ones too: a
 *   redeemed code is refused as unknown just the same);
 * - access and refresh tokens past their expiry. A spent refresh token is kept for reuse
 *   detection only while it could be redeemed: once expired, presenting it is refused before
 *   reuse is considered, so nothing is lost;
 * - token families past their expiry that no token names any more;
 * - portal sessions past their expiry that no token family names any more (a token's check
 *   reads its family's session; a missing one must never make it look alive);
 * - client registrations past their secret's expiry that no token family names any more;
 * - throttle counters that block nothing and are older than the longest memory of any policy
 *   (`THROTTLE_MEMORY_MS`): forgetting them changes no answer;
 * - revocations past their own expiry, set at creation to the longest role-credential lifetime
 *   after `not_before` (`app/revocation.ts`): no credential they could stop is still alive;
 * - one-time console links past their expiry (a minute after they were made), used or not.
 *
 * On PostgreSQL one process sweeps at a time (a session advisory lock); another that finds it
 * taken skips its turn. The deletes are idempotent anyway.
 */
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import {
  DEVICE_START_ADDRESS_BUDGET,
  DEVICE_START_CLIENT_BUDGET,
  PASSWORD_LOCKOUT,
  REGISTRATION_BUDGET,
  TOTP_LOCKOUT,
  USER_CODE_BUDGET,
} from '../domain/auth/lockout.ts';
import type { Database } from '../storage/schema.ts';
import type { AppContext } from './context.ts';

/** How long after its expiry a row is kept for investigators. */
export const SWEEP_GRACE_MS = 86_400_000;

/** Rows deleted per statement. */
export const SWEEP_BATCH = 1000;

/**
 * How long a throttle counter matters after its last failure: the longest reset window of the
 * failure policies (a lockout's count resets after 12 hours without failure).
 */
export const THROTTLE_MEMORY_MS = Math.max(
  PASSWORD_LOCKOUT.resetAfterMs,
  TOTP_LOCKOUT.resetAfterMs,
  USER_CODE_BUDGET.windowMs,
  REGISTRATION_BUDGET.windowMs,
  DEVICE_START_CLIENT_BUDGET.windowMs,
  DEVICE_START_ADDRESS_BUDGET.windowMs,
);

/** Rows deleted by one sweep, by kind. */
export interface SweepCounts {
  deviceAuthorizations: number;
  authorizationCodes: number;
  accessTokens: number;
  refreshTokens: number;
  tokenFamilies: number;
  portalSessions: number;
  clientRegistrations: number;
  throttles: number;
  revocations: number;
  consoleLinks: number;
}

export type SweepKind = keyof SweepCounts;

interface SweptKind {
  kind: SweepKind;
  table: keyof Database & string;
  key: string;
  /** The rows of `table` that can go, given the instant before which expiries count. */
  gone(cutoff: number): RawBuilder<SqlBool>;
}

const expiredBefore = (cutoff: number) => sql<SqlBool>`expires_at < ${cutoff}`;

/**
 * Expired, and no row of the `referrers` (table and column) points at it: `id` names the row's
 * own key, qualified (`token_families.id`). Constants of this file only, never input.
 */
function expiredAndUnreferenced(id: string, referrers: ReadonlyArray<readonly [string, string]>) {
  const none = referrers.map(
    ([table, column]) =>
      sql` and not exists (select 1 from ${sql.raw(table)} r where r.${sql.raw(column)} = ${sql.raw(id)})`,
  );
  return (cutoff: number) => sql<SqlBool>`expires_at < ${cutoff}${sql.join(none, sql``)}`;
}

/** In this order: tokens before their families, families before their sessions and clients. */
const KINDS: readonly SweptKind[] = [
  { kind: 'deviceAuthorizations', table: 'device_grants', key: 'id', gone: expiredBefore },
  { kind: 'authorizationCodes', table: 'auth_codes', key: 'code_hash', gone: expiredBefore },
  { kind: 'accessTokens', table: 'access_tokens', key: 'token_hash', gone: expiredBefore },
  { kind: 'refreshTokens', table: 'refresh_tokens', key: 'token_hash', gone: expiredBefore },
  {
    kind: 'tokenFamilies',
    table: 'token_families',
    key: 'id',
    gone: expiredAndUnreferenced('token_families.id', [
      ['access_tokens', 'family_id'],
      ['refresh_tokens', 'family_id'],
    ]),
  },
  {
    kind: 'portalSessions',
    table: 'portal_sessions',
    key: 'id',
    gone: expiredAndUnreferenced('portal_sessions.id', [['token_families', 'session_id']]),
  },
  {
    kind: 'clientRegistrations',
    table: 'oidc_clients',
    key: 'id',
    gone: expiredAndUnreferenced('oidc_clients.id', [['token_families', 'client_id']]),
  },
  {
    kind: 'throttles',
    table: 'throttles',
    key: 'key',
    gone: (cutoff) =>
      sql<SqlBool>`locked_until < ${cutoff} and last_failure_at < ${cutoff - THROTTLE_MEMORY_MS}`,
  },
  { kind: 'revocations', table: 'revocations', key: 'id', gone: expiredBefore },
  { kind: 'consoleLinks', table: 'console_links', key: 'code_hash', gone: expiredBefore },
];

export const SWEEP_KINDS: readonly SweepKind[] = KINDS.map((k) => k.kind);

export interface SweepOptions {
  /** Kept this long after expiry (default `SWEEP_GRACE_MS`). */
  graceMs?: number;
  /** Rows per statement (default `SWEEP_BATCH`). */
  batchSize?: number;
}

/** What one sweep did: the counts, or `skipped` when another process was sweeping. */
export type SweepResult = { skipped: false; counts: SweepCounts } | { skipped: true };

/** The PostgreSQL session advisory lock of the sweep: "idcswp" in ASCII. */
const SWEEP_LOCK_KEY = 0x6964_6373_7770;

/** The total of a sweep's counts. */
export function sweptTotal(counts: SweepCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Delete every row that can never be used again (see the module comment). */
export async function sweepExpired(ctx: AppContext, options: SweepOptions = {}): Promise<SweepResult> {
  const cutoff = ctx.clock.now() - (options.graceMs ?? SWEEP_GRACE_MS);
  const batch = options.batchSize ?? SWEEP_BATCH;
  if (ctx.store.dialect !== 'postgres') {
    return { skipped: false, counts: await sweepAll(ctx.store.db, cutoff, batch) };
  }
  // The statements run on the connection that holds the lock, each committed on its own.
  return ctx.store.db.connection().execute(async (conn) => {
    const lock = await sql<{
      taken: boolean;
    }>`select pg_try_advisory_lock(${SWEEP_LOCK_KEY}::bigint) as taken`.execute(conn);
    if (lock.rows[0]?.taken !== true) return { skipped: true };
    try {
      return { skipped: false, counts: await sweepAll(conn, cutoff, batch) };
    } finally {
      await sql`select pg_advisory_unlock(${SWEEP_LOCK_KEY}::bigint)`.execute(conn);
    }
  });
}

async function sweepAll(db: Kysely<Database>, cutoff: number, batch: number): Promise<SweepCounts> {
  const counts = Object.fromEntries(SWEEP_KINDS.map((k) => [k, 0])) as unknown as SweepCounts;
  for (const k of KINDS) counts[k.kind] = await sweepKind(db, k, cutoff, batch);
  return counts;
}

/**
 * One kind, a batch at a time: read the keys of up to `batch` rows that can go, then delete
 * those rows that still can (a row changed in between stays). An empty read deletes nothing,
 * so a sweep with nothing to do writes nothing (on PostgreSQL a delete statement would raise the
 * store generation even when it removed no row).
 */
async function sweepKind(db: Kysely<Database>, k: SweptKind, cutoff: number, batch: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const found = await sql<{
      swept_key: string | number;
    }>`select ${sql.ref(k.key)} as swept_key from ${sql.table(
      k.table,
    )} where ${k.gone(cutoff)} limit ${batch}`.execute(db);
    const keys = found.rows.map((r) => r.swept_key);
    if (keys.length === 0) break;
    const res = await sql`delete from ${sql.table(k.table)} where ${sql.ref(k.key)} in (${sql.join(
      keys,
    )}) and ${k.gone(cutoff)}`.execute(db);
    deleted += Number(res.numAffectedRows ?? 0n);
    if (keys.length < batch) break;
    // Let requests waiting for the store go first.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return deleted;
}
