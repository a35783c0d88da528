/**
 * Audit rows for failures of callers who have not authenticated (a bad SigV4 signature, a
 * password for a user name that does not exist, a sign-in while the user is locked). Anyone can
 * cause these, as fast as they can send requests, so they must not let anyone fill the log:
 *
 * - What the client sent is bounded (`clientText` in `audit.ts`, which callers use for the
 *   detail): at most 256 characters in a row, control and invisible formatting characters
 *   replaced, and a note when it was cut.
 * - Repeats are counted, not written (`FailureAudit`): the first failure of a kind from an
 *   address in a minute is written at once, as before (group-committed, `writeNow`); the others
 *   of that minute become one row with their count and first and last time, written when the
 *   minute ends (or the server closes). At most 1,000 (address, kind) pairs are tracked a minute; failures beyond those
 *   are counted in one row per action without an address.
 *
 * What a kill -9 loses: the counts of the current minute not yet written (never a first
 * failure, which is committed before the answer leaves, and never an authenticated event:
 * those do not come through here).
 *
 * Each server keeps its own counts (its context's `memory.failures`, built with the context), so
 * with several replicas there is one row per replica and minute.
 */
import type { Clock } from '../domain/runtime.ts';
import type { AuditRow, Store } from '../storage/db.ts';
import { type AuditEvent, auditRow } from './audit.ts';
import { AuditWriter } from './credentials/audit-writer.ts';

/** How repeats are counted: one minute, at most 1,000 (address, kind) pairs in it. */
export interface FailureAuditOptions {
  windowMs?: number;
  maxKeys?: number;
}

interface Tally {
  /** The event whose row was written (or, for the overflow tally, the first counted). */
  first: AuditEvent;
  count: number;
  firstAt: number;
  lastAt: number;
  /** Detail of the last counted event. */
  lastDetail: Record<string, unknown> | null;
  /** The actor of every counted event, or null once they differed. */
  actor: string | null;
  overflow: boolean;
}

/** Pending summary rows at most; beyond, while the store refuses them, the newest are dropped. */
const MAX_PENDING_ROWS = 10_000;

export class FailureAudit {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private window = Number.NEGATIVE_INFINITY;
  private tallies = new Map<string, Tally>();
  private pending: AuditRow[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Group commits for the rows written at once (`writeNow`). */
  private readonly now: AuditWriter;

  constructor(store: Store, clock: Clock, options: FailureAuditOptions = {}) {
    this.store = store;
    this.clock = clock;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 1000;
    this.now = new AuditWriter(store);
  }

  /**
   * Write an event `admit` returned, resolving once it is committed. Rows of one turn of the
   * event loop share a commit (`AuditWriter`), made through `Store.appendAudit`: on SQLite in the
   * audit worker's thread, so a flood of first failures from thousands of addresses never holds
   * the event loop in a disk flush per row.
   */
  writeNow(event: AuditEvent): Promise<void> {
    return this.now.write(event);
  }

  /**
   * Count a failure. Returns the event when its row must be written now (the first of its kind
   * from its address this minute: the caller writes it and waits for the commit, as for any
   * audit event), or null when it was counted into the minute's summary row.
   *
   * `kind` is chosen by the server from a closed set (an error code, a reason): failures of one
   * action, target and kind from one address are counted together.
   */
  admit(event: AuditEvent, kind: string): AuditEvent | null {
    if (this.closed) return event;
    const w = Math.floor(event.at / this.windowMs);
    if (w > this.window) {
      this.endWindow();
      this.window = w;
    }
    const key = `${event.sourceIp ?? ''}\u0000${event.action}\u0000${event.targetId ?? ''}\u0000${kind}`;
    const tally = this.tallies.get(key);
    if (tally) {
      this.count(tally, event);
      return null;
    }
    if (this.tallies.size < this.maxKeys) {
      this.tallies.set(key, {
        first: event,
        count: 0,
        firstAt: event.at,
        lastAt: event.at,
        lastDetail: null,
        actor: null,
        overflow: false,
      });
      return event;
    }
    // More pairs than tracked this minute: one count per action, without an address.
    const overflowKey = `\u0000overflow\u0000${event.action}`;
    const overflow = this.tallies.get(overflowKey);
    if (overflow) this.count(overflow, event);
    else {
      this.tallies.set(overflowKey, {
        first: event,
        count: 1,
        firstAt: event.at,
        lastAt: event.at,
        lastDetail: event.detail ?? null,
        actor: event.actor,
        overflow: true,
      });
      this.schedule();
    }
    return null;
  }

  /** Write the summaries of minutes that have ended; resolves once they are committed. */
  async settle(): Promise<void> {
    if (Math.floor(this.clock.now() / this.windowMs) > this.window) this.endWindow();
    await this.write();
  }

  /** Write every summary, the current minute's too, and count no more (the server is closing). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.endWindow();
    await this.write();
  }

  private count(tally: Tally, event: AuditEvent): void {
    if (tally.count === 0) {
      tally.firstAt = event.at;
      tally.actor = event.actor;
    } else if (tally.actor !== event.actor) {
      tally.actor = null;
    }
    tally.count += 1;
    tally.lastAt = Math.max(tally.lastAt, event.at);
    tally.lastDetail = event.detail ?? null;
    this.schedule();
  }

  /** Summaries of the tallies so far become pending rows; the tallies start again. */
  private endWindow(): void {
    for (const t of this.tallies.values()) {
      if (t.count === 0) continue;
      if (this.pending.length >= MAX_PENDING_ROWS) break;
      this.pending.push(auditRow(summaryEvent(t)));
    }
    this.tallies = new Map();
    if (this.pending.length > 0) void this.write().catch(() => {});
  }

  /** One write at a time; rows that fail stay pending for the next. */
  private write(): Promise<void> {
    this.writing = this.writing
      .catch(() => {})
      .then(async () => {
        if (this.pending.length === 0) return;
        const rows = this.pending;
        this.pending = [];
        try {
          await this.store.appendAudit(rows);
        } catch (err) {
          this.pending = rows.concat(this.pending).slice(0, MAX_PENDING_ROWS);
          throw err;
        }
      });
    return this.writing;
  }

  /** Make sure the minute's summaries are written when it ends, even if no failure follows. */
  private schedule(): void {
    if (this.timer || this.closed) return;
    const end = (this.window + 1) * this.windowMs;
    const delay = Math.min(this.windowMs, Math.max(1000, end - this.clock.now() + 50));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (Math.floor(this.clock.now() / this.windowMs) > this.window) {
        this.endWindow();
        return;
      }
      // The injected clock has not reached the end yet: look again later.
      if ([...this.tallies.values()].some((t) => t.count > 0)) this.schedule();
    }, delay).unref();
  }
}

/** The row that stands for the counted repeats of a tally. */
function summaryEvent(t: Tally): AuditEvent {
  const repeated = {
    count: t.count,
    first: new Date(t.firstAt).toISOString(),
    last: new Date(t.lastAt).toISOString(),
  };
  return {
    at: t.lastAt,
    actor: t.actor ?? 'anonymous',
    action: t.first.action,
    targetType: t.first.targetType ?? null,
    targetId: t.overflow ? null : (t.first.targetId ?? null),
    detail: t.overflow ? { repeated, overflow: true } : { ...t.lastDetail, repeated },
    sourceIp: t.overflow ? null : (t.first.sourceIp ?? null),
    requestId: null,
  };
}
