/**
 * Group commit for the audit events of the credential hot paths (issuance, failed signature
 * checks). Every GetRoleCredentials writes an audit row before it answers; one commit per
 * request would make the disk flush, not the work, the limit. The events of one turn of the
 * event loop go out together (one transaction, one flush, through `Store.appendAudit`, which on
 * SQLite commits in a worker thread so the flush never blocks the event loop), handed over at
 * once even while an earlier batch is still being committed (`MAX_IN_FLIGHT`), and each caller's
 * promise settles only when its row is committed — so no credentials leave unaudited and a
 * failed write fails the requests it carried.
 */
import type { AuditRow, Store } from '../../storage/db.ts';
import { type AuditEvent, auditRow } from '../audit.ts';

/**
 * Told of every group commit once it settled: how long it took (seconds, from hand-over to the
 * store), how many events it carried, and whether it committed.
 */
export type AuditCommitObserver = (seconds: number, events: number, committed: boolean) => void;

interface Pending {
  row: AuditRow;
  resolve(): void;
  reject(err: unknown): void;
}

/** Rows per transaction at most; a longer queue is committed as several batches. */
const MAX_BATCH = 2000;

/**
 * Batches handed to the store and not yet committed, at most. The store may commit them one
 * after another (SQLite's audit worker takes what arrived during a commit into the next one,
 * without a round trip through the event loop) or side by side (PostgreSQL, on connections of
 * its pool); either way a row waits for no more than the commit in flight and its own.
 */
const MAX_IN_FLIGHT = 4;

export class AuditWriter {
  private readonly store: Store;
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly observe: AuditCommitObserver | undefined;

  constructor(store: Store, observe?: AuditCommitObserver) {
    this.store = store;
    this.observe = observe;
  }

  /** Resolves once the event is committed. */
  write(event: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row: auditRow(event), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Let the requests already in the event loop join this batch.
        setImmediate(() => {
          this.scheduled = false;
          this.handOver();
        });
      }
    });
  }

  /** Hand the queue to the store in batches, as many as may be in flight. */
  private handOver(): void {
    while (this.queue.length > 0 && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.queue.length <= MAX_BATCH ? this.queue : this.queue.slice(0, MAX_BATCH);
      this.queue = this.queue.length <= MAX_BATCH ? [] : this.queue.slice(MAX_BATCH);
      this.inFlight++;
      const started = performance.now();
      this.store.appendAudit(batch.map((p) => p.row)).then(
        () => {
          this.observe?.((performance.now() - started) / 1000, batch.length, true);
          for (const p of batch) p.resolve();
          this.landed();
        },
        (err: unknown) => {
          this.observe?.((performance.now() - started) / 1000, batch.length, false);
          for (const p of batch) p.reject(err);
          this.landed();
        },
      );
    }
  }

  private landed(): void {
    this.inFlight--;
    this.handOver();
  }
}
