/**
 * Failure counters in the `throttles` table, so lockouts and budgets hold across replicas
 * (docs/decisions.md, "Shared store for replicas").
 *
 * Every change is one statement (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, on SQLite and
 * PostgreSQL alike) that computes the next state in SQL from the row as it is when the statement
 * runs; nothing is read first, so a counter deleted or changed by another request in between
 * (a success clearing it, another failure) can neither fail the count nor lose it.
 *
 * Two ways to count:
 *
 * - `countFailure`: count a failure that has happened (device user codes, client registrations).
 * - `reserveAttempt`, then `forgive` on success: count the attempt as a failure *before* the
 *   (slow) check, and only while the key is not blocked; a burst of parallel attempts is then
 *   checked no more often than the policy allows, because each one takes its slot first. A success
 *   gives its reservation back, with every failure counted before it (a success clears the count)
 *   but not the ones counted after it by parallel attempts.
 *
 * The SQL mirrors `recordFailure` in domain/auth/lockout.ts; the waits of a lockout are written
 * into the statement from `lockoutWaitMs`, so both say the same.
 */
import { type Expression, type Kysely, type RawBuilder, sql } from 'kysely';
import {
  blockedForMs,
  type FailurePolicy,
  type FailureState,
  type LockoutPolicy,
  lockoutWaitMs,
  recordFailure,
} from '../../domain/auth/lockout.ts';
import type { Database } from '../../storage/schema.ts';
import type { AppContext } from '../context.ts';

export const throttleKey = {
  password: (userId: string) => `pw:${userId}`,
  totp: (userId: string) => `totp:${userId}`,
  userCode: (userId: string) => `ucode:${userId}`,
  registration: (sourceIp: string) => `reg:${sourceIp}`,
  deviceStartClient: (clientId: string) => `dstart:${clientId}`,
  deviceStartAddress: (sourceIp: string) => `dstartip:${sourceIp}`,
  /** Password sign-ins from one source address (an IPv6 /64), see `addressBucket`. */
  signinAddress: (bucket: string) => `signin-ip:${bucket}`,
};

function toState(row: {
  failures: number;
  window_start: number;
  last_failure_at: number;
  locked_until: number;
}): FailureState {
  return {
    failures: Number(row.failures),
    windowStart: Number(row.window_start),
    lastFailureAt: Number(row.last_failure_at),
    lockedUntil: Number(row.locked_until),
  };
}

const COLUMNS = ['failures', 'window_start', 'last_failure_at', 'locked_until', 'forgiven'] as const;

export async function readThrottle(db: Kysely<Database>, key: string): Promise<FailureState | null> {
  const row = await db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirst();
  return row ? toState(row) : null;
}

/** Milliseconds until `key` may try again (0: now). */
export async function blockedFor(ctx: AppContext, key: string): Promise<number> {
  return blockedForMs(await readThrottle(ctx.store.db, key), ctx.clock.now());
}

/** A number written into the statement (only our own integers, never client input). */
function lit(n: number): RawBuilder<number> {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return sql.lit(n);
}

/** A column of the row already stored (in an upsert's update, next to `excluded`). */
const stored = (column: (typeof COLUMNS)[number]) => sql<number>`${sql.ref(`throttles.${column}`)}`;

/** `now + lockoutWaitMs(failures)` (0 below the threshold), as a SQL `CASE`. */
function lockedUntilSql(failures: Expression<number>, now: number, policy: LockoutPolicy) {
  const whens: RawBuilder<unknown>[] = [];
  for (let d = 0; ; d++) {
    const count = policy.threshold + d;
    const wait = lockoutWaitMs(count, policy);
    if (wait >= policy.maxWaitMs || d >= 30) {
      whens.push(sql`when ${failures} >= ${lit(count)} then ${lit(now + wait)}`);
      break;
    }
    whens.push(sql`when ${failures} = ${lit(count)} then ${lit(now + wait)}`);
  }
  return sql<number>`case ${sql.join(whens, sql` `)} else 0 end`;
}

/** The stored row after one more failure at `now`, as SQL over the stored row. */
function nextStateSql(now: number, policy: FailurePolicy) {
  const fresh =
    policy.kind === 'lockout'
      ? sql`(${lit(now)} - ${stored('last_failure_at')} > ${lit(policy.resetAfterMs)})`
      : sql`(${lit(now)} - ${stored('window_start')} >= ${lit(policy.windowMs)})`;
  const failures = sql<number>`(case when ${fresh} then 1 else ${stored('failures')} + 1 end)`;
  const windowStart = sql<number>`(case when ${fresh} then ${lit(now)} else ${stored('window_start')} end)`;
  const lockedUntil =
    policy.kind === 'lockout'
      ? lockedUntilSql(failures, now, policy)
      : sql<number>`case when ${failures} >= ${lit(policy.maxFailures)} then ${windowStart} + ${lit(policy.windowMs)} else 0 end`;
  const forgiven = sql<number>`(case when ${fresh} then 0 else ${stored('forgiven')} end)`;
  return {
    failures,
    window_start: windowStart,
    last_failure_at: lit(now),
    locked_until: lockedUntil,
    forgiven,
  };
}

/**
 * Count one failure for `key` at `now` in one statement; with `onlyIfOpen`, only when the key is
 * not blocked at `now` (then `undefined` when it is).
 */
async function upsertFailure(
  db: Kysely<Database>,
  key: string,
  now: number,
  policy: FailurePolicy,
  onlyIfOpen: boolean,
): Promise<(FailureState & { attempt: number }) | undefined> {
  const first = recordFailure(null, now, policy);
  const row = await db
    .insertInto('throttles')
    .values({
      key,
      failures: first.failures,
      window_start: first.windowStart,
      last_failure_at: first.lastFailureAt,
      locked_until: first.lockedUntil,
      forgiven: 0,
    })
    .onConflict((oc) => {
      const update = oc.column('key').doUpdateSet(nextStateSql(now, policy));
      return onlyIfOpen ? update.where(sql<boolean>`${stored('locked_until')} <= ${lit(now)}`) : update;
    })
    .returning([...COLUMNS])
    .executeTakeFirst();
  return row ? { ...toState(row), attempt: Number(row.failures) + Number(row.forgiven) } : undefined;
}

/** Count one failure for `key`; returns the new state (its `lockedUntil` says whether it now blocks). */
export async function countFailure(
  ctx: AppContext,
  key: string,
  policy: FailurePolicy,
): Promise<FailureState> {
  const now = ctx.clock.now();
  const counted = await upsertFailure(ctx.store.db, key, now, policy, false);
  if (!counted) return recordFailure(null, now, policy); // an unconditional upsert returns its row
  const { attempt: _, ...state } = counted;
  return state;
}

/** An attempt counted before its check (`reserveAttempt`), or refused because the key is blocked. */
export type Reservation =
  | {
      kind: 'reserved';
      key: string;
      policy: FailurePolicy;
      /** The state with this attempt counted. */
      state: FailureState;
      /** This attempt's number since the count last started (failures + forgiven). */
      attempt: number;
    }
  | { kind: 'blocked'; retryAfterMs: number };

/**
 * Count an attempt on `key` as a failure before checking it, unless `key` is blocked. A
 * `reserved` answer carries the state with this attempt counted (its `lockedUntil` says whether
 * this very failure locks); the attempt may then be checked, and `forgive`n if it succeeds.
 */
export async function reserveAttempt(
  ctx: AppContext,
  key: string,
  policy: FailurePolicy,
): Promise<Reservation> {
  const now = ctx.clock.now();
  for (let i = 0; i < 3; i++) {
    const counted = await upsertFailure(ctx.store.db, key, now, policy, true);
    if (counted) {
      const { attempt, ...state } = counted;
      return { kind: 'reserved', key, policy, state, attempt };
    }
    const wait = blockedForMs(await readThrottle(ctx.store.db, key), now);
    if (wait > 0) return { kind: 'blocked', retryAfterMs: wait };
    // Cleared or changed between the two statements: try again.
  }
  return { kind: 'blocked', retryAfterMs: 1000 };
}

/**
 * Give back a reserved attempt that succeeded. Under a lockout, the success takes away every
 * failure counted up to and including its own attempt (a success clears the count) and keeps the
 * ones parallel attempts counted after it: `forgiven` remembers how far earlier successes went, so
 * two successes never take the same failure twice. Under a window it takes away its own attempt.
 * Nothing changes when the count has started again since (a new window, a reset, a clear).
 */
export async function forgive(ctx: AppContext, reservation: Reservation): Promise<void> {
  if (reservation.kind !== 'reserved') return;
  const { key, policy, state, attempt } = reservation;
  const failures = stored('failures');
  if (policy.kind === 'lockout') {
    // Attempts up to `attempt` not yet forgiven: every one of them a failure now.
    const more = sql<number>`(${lit(attempt)} - ${stored('forgiven')})`;
    await ctx.store.db
      .updateTable('throttles')
      .set({
        failures: sql<number>`${failures} - ${more}`,
        forgiven: lit(attempt),
        locked_until: sql<number>`case when ${failures} - ${more} >= ${lit(policy.threshold)} then ${stored('locked_until')} else 0 end`,
      })
      .where('key', '=', key)
      .where('window_start', '=', state.windowStart)
      .where(sql<boolean>`${stored('forgiven')} < ${lit(attempt)}`)
      .where(sql<boolean>`${failures} >= ${sql`(${lit(attempt)} - ${stored('forgiven')})`}`)
      .execute();
    return;
  }
  await ctx.store.db
    .updateTable('throttles')
    .set({
      failures: sql<number>`${failures} - 1`,
      locked_until: sql<number>`case when ${failures} - 1 >= ${lit(policy.maxFailures)} then ${stored('locked_until')} else 0 end`,
    })
    .where('key', '=', key)
    .where('window_start', '=', state.windowStart)
    .where('failures', '>', 0)
    .execute();
}

/** Forget the failures of `key` (after a success, or an administrator's reset). */
export async function clearThrottle(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('throttles').where('key', '=', key).execute();
}
