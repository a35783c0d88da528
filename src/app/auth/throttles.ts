/**
 * Failure counters in the `throttles` table, so lockouts and budgets hold across replicas
 * (docs/decisions.md, "Shared store for replicas"). Each update runs in a transaction that locks
 * the row on PostgreSQL (`SELECT … FOR UPDATE`); SQLite serialises writers by itself.
 */
import type { Kysely } from 'kysely';
import {
  blockedForMs,
  type FailurePolicy,
  type FailureState,
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
};

function toState(row: {
  failures: number;
  window_start: number;
  last_failure_at: number;
  locked_until: number;
}): FailureState {
  return {
    failures: row.failures,
    windowStart: row.window_start,
    lastFailureAt: row.last_failure_at,
    lockedUntil: row.locked_until,
  };
}

export async function readThrottle(db: Kysely<Database>, key: string): Promise<FailureState | null> {
  const row = await db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirst();
  return row ? toState(row) : null;
}

/** Milliseconds until `key` may try again (0: now). */
export async function blockedFor(ctx: AppContext, key: string): Promise<number> {
  return blockedForMs(await readThrottle(ctx.store.db, key), ctx.clock.now());
}

/** Count one failure for `key`; returns the new state (its `lockedUntil` says whether it now blocks). */
export async function countFailure(
  ctx: AppContext,
  key: string,
  policy: FailurePolicy,
): Promise<FailureState> {
  const now = ctx.clock.now();
  const postgres = ctx.store.dialect === 'postgres';
  return ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('throttles')
      .values({ key, failures: 0, window_start: now, last_failure_at: 0, locked_until: 0 })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await trx
      .selectFrom('throttles')
      .selectAll()
      .where('key', '=', key)
      .$if(postgres, (qb) => qb.forUpdate())
      .executeTakeFirstOrThrow();
    const previous = row.failures === 0 && row.last_failure_at === 0 ? null : toState(row);
    const next = recordFailure(previous, now, policy);
    await trx
      .updateTable('throttles')
      .set({
        failures: next.failures,
        window_start: next.windowStart,
        last_failure_at: next.lastFailureAt,
        locked_until: next.lockedUntil,
      })
      .where('key', '=', key)
      .execute();
    return next;
  });
}

/** Forget the failures of `key` (after a success, or an administrator's reset). */
export async function clearThrottle(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('throttles').where('key', '=', key).execute();
}
