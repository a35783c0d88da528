/**
 * Group commit for the audit events of the credential hot paths (issuance, failed signature
 * checks). Every GetRoleCredentials writes an audit row before it answers; one commit per
 * request would make the disk flush, not the work, the limit. Events queued while a batch is
 * being committed go out together in the next one (one transaction, one flush, through
 * `Store.appendAudit`, which on SQLite commits in a worker thread so the flush never blocks the
 * event loop), and each caller's promise settles only when its row is committed — so no
 * credentials leave unaudited and a failed write fails the requests it carried.
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

export class AuditWriter {
  private readonly store: Store;
  private queue: Pending[] = [];
  private running = false;
  private readonly observe: AuditCommitObserver | undefined;

  constructor(store: Store, observe?: AuditCommitObserver) {
    this.store = store;
    this.observe = observe;
  }

  /** Resolves once the event is committed. */
  write(event: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row: auditRow(event), resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the requests already in the event loop join this batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.length <= MAX_BATCH ? this.queue : this.queue.slice(0, MAX_BATCH);
      this.queue = this.queue.length <= MAX_BATCH ? [] : this.queue.slice(MAX_BATCH);
      const started = performance.now();
      try {
        await this.store.appendAudit(batch.map((p) => p.row));
        this.observe?.((performance.now() - started) / 1000, batch.length, true);
        for (const p of batch) p.resolve();
      } catch (err) {
        this.observe?.((performance.now() - started) / 1000, batch.length, false);
        for (const p of batch) p.reject(err);
      }
    }
    this.running = false;
  }
}
