/**
 * Revocation of stateless role credentials. A role credential carries who (user id), which
 * portal session and token family it came from, the account and permission set, and when it was
 * issued. A revocation row says "credentials for this subject issued at or before
 * `not_before` no longer verify". Every replica reads the rows it has not seen yet, in the order
 * of their `id` (see the credential verifier), so a revocation is seen everywhere within its poll
 * interval. Rows expire once no credential they could stop is still alive (the longest session
 * duration is 12 h).
 *
 * What is promised: a credential minted from access state read before the revoking transaction
 * committed is stopped. Vending checks its own side (it reads the store generation again after
 * minting and re-checks access when it moved, see `credentials/vend.ts`); this module makes sure
 * of the other side:
 *
 * - The stamp is taken at the end of the revoking transaction, not before it starts: a
 *   transaction that waited for a lock, or a large `apply --prune`, may commit long after it
 *   began, and credentials minted meanwhile carry later issue times. Revocations made inside a
 *   transaction are queued (`recordRevocations`) and written by `finishRevocations`, the last
 *   step before the commit. It first raises the store generation — on PostgreSQL that takes the
 *   generation row's lock, on SQLite the transaction already holds the single write lock — and
 *   only then reads the clock.
 * - SQLite: writers are serialised, and vending commits its audit event (a write) before it reads
 *   the generation again. So a vend that still saw the old generation committed its audit event
 *   before the revoking transaction took the write lock, and minted before that: its issue time is
 *   before the stamp. The stamp inside the write transaction is enough.
 * - PostgreSQL: writers are not serialised with vending, so a vend could mint between the stamp
 *   and the commit and still see the old generation. `confirmRevocations` closes that window: once
 *   the transaction has committed it writes the same revocations again, stamped after the commit
 *   (replacing the first rows).
 *   (Should the process die between the commit and the confirmation, only credentials minted in
 *   those few milliseconds escape.)
 * - Rows are written while the generation row's lock is held (PostgreSQL) or under the write lock
 *   (SQLite), so their ids grow in commit order: a replica that read up to id N has seen every
 *   revocation committed before the one with id N. That is what lets replicas read "id > last
 *   seen" instead of a time window, whatever clock stamped the rows and however late they
 *   committed.
 *
 * The stamp comes from the application clock (the injected `Clock`), like the issue times it is
 * compared with: replicas' clocks must agree (NTP), as they must for expiry.
 */
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../domain/runtime.ts';
import type { Store } from '../storage/db.ts';
import type { Database } from '../storage/schema.ts';

export type RevocationKind = 'user' | 'session' | 'family' | 'access' | 'all';

export interface Revocation {
  kind: RevocationKind;
  subject: string;
}

/**
 * Subject of an `all` revocation: every credential issued before `not_before`, whoever holds
 * it (`idcenter sessions revoke --all`, after a restore).
 */
export const ALL_SUBJECT = '*';

/** The longest role-credential lifetime: a revocation older than this has nothing left to stop. */
export const MAX_CREDENTIAL_LIFETIME_MS = 12 * 3600 * 1000;

/** Subject of an `access` revocation: one user's use of one permission set in one account. */
export function accessSubject(userId: string, accountId: string, permissionSetId: string): string {
  return `${userId}|${accountId}|${permissionSetId}`;
}

/**
 * Revocations queued in each open revoking transaction, by its query builder: the bookkeeping of
 * one transaction, begun and ended by it (`beginRevocations`, `finishRevocations`). Each
 * transaction has a builder of its own, so nothing here is shared between transactions or
 * servers, and an entry lives no longer than its transaction; keying it on the builder is what
 * lets a use case deep inside the transaction queue a revocation with nothing but `trx`.
 */
const queued = new WeakMap<Kysely<Database>, Revocation[]>();

/** Start queueing revocations for the transaction `db` (see `finishRevocations`). */
export function beginRevocations(db: Kysely<Database>): void {
  queued.set(db, []);
}

/**
 * Queue revocations in the transaction `db`; they are written, stamped, at its end. `db` must
 * have been opened by `revokingTransaction` (or `beginRevocations`): a revocation that could be
 * forgotten is an error, not a silent no-op.
 */
export function recordRevocations(db: Kysely<Database>, items: readonly Revocation[]): void {
  const list = queued.get(db);
  if (!list) throw new Error('internal: revocations recorded outside a revoking transaction');
  list.push(...items);
}

/** What a revoking transaction wrote: its revocations and their stamp (0 when none). */
export interface WrittenRevocations {
  revocations: Revocation[];
  notBefore: number;
  /** The ids of its rows, first to last (none when there are no revocations). */
  ids?: { first: number; last: number };
}

/** Raise the generation: a revocation takes access away, and this takes the writers' lock. */
async function raiseGeneration(db: Kysely<Database>): Promise<void> {
  await sql`update store_generation set value = value + 1 where id = 1`.execute(db);
}

/** Insert rows stamped `notBefore`; the range of ids they took (under the lock: theirs alone). */
async function insertRevocations(
  db: Kysely<Database>,
  notBefore: number,
  items: readonly Revocation[],
): Promise<{ first: number; last: number }> {
  const CHUNK = 500;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < items.length; i += CHUNK) {
    const rows = await db
      .insertInto('revocations')
      .values(
        items.slice(i, i + CHUNK).map((it) => ({
          kind: it.kind,
          subject: it.subject,
          not_before: notBefore,
          created_at: notBefore,
          expires_at: notBefore + MAX_CREDENTIAL_LIFETIME_MS,
        })),
      )
      .returning('id')
      .execute();
    for (const r of rows) {
      first = Math.min(first, Number(r.id));
      last = Math.max(last, Number(r.id));
    }
  }
  return { first, last };
}

/**
 * Write the revocations queued in `db`: the last step of the transaction before its commit (see
 * the module comment). Raises the generation, then reads the clock, then inserts.
 */
export async function finishRevocations(db: Kysely<Database>, clock: Clock): Promise<WrittenRevocations> {
  const revocations = queued.get(db) ?? [];
  queued.delete(db);
  if (revocations.length === 0) return { revocations, notBefore: 0 };
  await raiseGeneration(db);
  const notBefore = clock.now();
  const ids = await insertRevocations(db, notBefore, revocations);
  return { revocations, notBefore, ids };
}

/**
 * After the commit (PostgreSQL): replace the transaction's rows by the same revocations stamped
 * now, so a credential minted between the first stamp and the commit is stopped too (see the
 * module comment). The new rows take new ids, so every replica reads them, including one that has
 * read the first ones; the table keeps one row per revocation. The generation row is locked, not
 * raised: nothing changed that caches depend on. SQLite needs no second write (writers are
 * serialised) and gets none.
 */
export async function confirmRevocations(
  store: Store,
  clock: Clock,
  written: WrittenRevocations,
): Promise<WrittenRevocations> {
  const { ids } = written;
  if (store.dialect !== 'postgres' || written.revocations.length === 0 || !ids) return written;
  return store.db.transaction().execute(async (trx) => {
    await sql`select value from store_generation where id = 1 for update`.execute(trx);
    const notBefore = Math.max(clock.now(), written.notBefore);
    await trx.deleteFrom('revocations').where('id', '>=', ids.first).where('id', '<=', ids.last).execute();
    const again = await insertRevocations(trx, notBefore, written.revocations);
    return { revocations: written.revocations, notBefore, ids: again };
  });
}

/**
 * Run `body` in a transaction whose revocations (`recordRevocations`) are written at its end and
 * confirmed after its commit. Returns the body's value with what was written.
 *
 * @example
 * const { value, notBefore } = await revokingTransaction(ctx, async (trx) => {
 *   await endSignIns(trx, now, 'revoked', userId);
 *   recordRevocations(trx, [{ kind: 'user', subject: userId }]);
 *   return true;
 * });
 */
export async function revokingTransaction<T>(
  ctx: { store: Store; clock: Clock },
  body: (trx: Kysely<Database>) => Promise<T>,
): Promise<{ value: T } & WrittenRevocations> {
  const { value, written } = await ctx.store.db.transaction().execute(async (trx) => {
    beginRevocations(trx);
    const value = await body(trx);
    return { value, written: await finishRevocations(trx, ctx.clock) };
  });
  return { value, ...(await confirmRevocations(ctx.store, ctx.clock, written)) };
}

/** Write revocations in a transaction of their own (`revokingTransaction` with nothing else). */
export async function writeRevocations(
  ctx: { store: Store; clock: Clock },
  items: readonly Revocation[],
): Promise<WrittenRevocations> {
  const { revocations, notBefore } = await revokingTransaction(ctx, async (trx) => {
    recordRevocations(trx, items);
  });
  return { revocations, notBefore };
}
