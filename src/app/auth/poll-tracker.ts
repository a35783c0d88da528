/**
 * When each pending device code was last polled, for `slow_down` (RFC 8628 §3.5).
 *
 * Recording every poll with its own durable write would make polling as slow as the disk's
 * fsync (a few hundred polls per second), for data that only needs to be right to within a
 * fraction of the 5 s interval. So polls are recorded in memory at once and written to the store
 * in one transaction every 500 ms (`device_grants.last_poll_at` / `interval_s`, never moved
 * backwards). A poll is judged against the later of this replica's memory and the store, so a
 * client that spreads its polls over replicas is still seen within half a second.
 *
 * On SQLite there is exactly one server process (the store file is locked to it), so memory is
 * the whole truth and nothing is written: a synchronous fsync in the event loop every half
 * second would cost more than it could ever be worth.
 *
 * A client polling the same replica faster than its interval is answered `slow_down` from
 * memory alone (the code, its client and its pending state were checked against the store at
 * the previous poll): a misbehaving client cannot turn its polling into database load. An
 * approval on this replica drops the grant from memory so its next poll reads the store.
 */
import { sql } from 'kysely';
import type { Store } from '../../storage/db.ts';

const FLUSH_MS = 500;
/** Entries older than a device code's whole life can go. */
const FORGET_AFTER_MS = 11 * 60_000;
/** How often (in recorded polls) old entries are swept. */
const PRUNE_EVERY = 1000;

interface Entry {
  lastPollAt: number;
  intervalS: number;
  dirty: boolean;
  codeHash: string;
  clientId: string;
}

export class PollTracker {
  private readonly store: Store;
  private readonly entries = new Map<string, Entry>();
  /** device-code hash → grant id, for the answer-from-memory path. */
  private readonly byCode = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private recordsSincePrune = 0;
  private flushing: Promise<void> | undefined;

  constructor(store: Store) {
    this.store = store;
  }

  /** The last poll and interval this replica knows for a grant, if any. */
  get(grantId: string): { lastPollAt: number; intervalS: number } | undefined {
    return this.entries.get(grantId);
  }

  /**
   * The grant of a device code this replica saw pending for this client, when the code is polled
   * again before `lastPollAt + interval - jitterMs`; otherwise undefined (read the store).
   */
  tooSoon(
    codeHash: string,
    clientId: string,
    now: number,
    jitterMs: number,
  ): { grantId: string; intervalS: number } | undefined {
    const grantId = this.byCode.get(codeHash);
    const e = grantId === undefined ? undefined : this.entries.get(grantId);
    if (!grantId || !e || e.clientId !== clientId) return undefined;
    return now < e.lastPollAt + e.intervalS * 1000 - jitterMs
      ? { grantId, intervalS: e.intervalS }
      : undefined;
  }

  /** Record a poll of a pending grant at `now` with the interval in force (PostgreSQL: stored within 500 ms). */
  record(grantId: string, codeHash: string, clientId: string, now: number, intervalS: number): void {
    const e = this.entries.get(grantId);
    this.entries.set(grantId, {
      lastPollAt: Math.max(now, e?.lastPollAt ?? 0),
      intervalS: Math.max(intervalS, e?.intervalS ?? 0),
      dirty: true,
      codeHash,
      clientId,
    });
    this.byCode.set(codeHash, grantId);
    if (++this.recordsSincePrune >= PRUNE_EVERY) this.prune(now);
    if (this.store.dialect !== 'postgres') return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => {
        // The store is unreachable: keep the entries dirty and try with the next poll.
      });
    }, FLUSH_MS).unref();
  }

  /** Write every recorded poll to the store now. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = [...this.entries].filter(([, e]) => e.dirty);
    if (batch.length === 0) return;
    for (const [, e] of batch) e.dirty = false;
    this.flushing = this.store.db
      .transaction()
      .execute(async (trx) => {
        for (const [id, e] of batch) {
          await trx
            .updateTable('device_grants')
            .set({
              last_poll_at: sql<number>`CASE WHEN last_poll_at IS NULL OR last_poll_at < ${e.lastPollAt} THEN ${e.lastPollAt} ELSE last_poll_at END`,
              interval_s: sql<number>`CASE WHEN interval_s < ${e.intervalS} THEN ${e.intervalS} ELSE interval_s END`,
            })
            .where('id', '=', id)
            .where('status', '=', 'pending')
            .execute();
        }
      })
      .then(
        () => {},
        (err: unknown) => {
          for (const [, e] of batch) e.dirty = true;
          throw err;
        },
      )
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** Drop entries of codes that cannot be alive any more (written ones only, on PostgreSQL). */
  private prune(now: number): void {
    this.recordsSincePrune = 0;
    const keepUnwritten = this.store.dialect === 'postgres';
    for (const [id, e] of this.entries) {
      if (e.lastPollAt < now - FORGET_AFTER_MS && !(keepUnwritten && e.dirty)) this.forget(id);
    }
  }

  /** Forget a grant that is no longer pending. */
  forget(grantId: string): void {
    const e = this.entries.get(grantId);
    if (e) this.byCode.delete(e.codeHash);
    this.entries.delete(grantId);
  }
}
