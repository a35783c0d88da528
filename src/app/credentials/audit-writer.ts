/**
 * Group commit for the audit events of the credential hot paths (issuance, failed signature
 * checks). Every GetRoleCredentials writes an audit row before it answers; one commit per request would make the disk flush, not the
 * work, the limit. Events queued while a write is in progress go out together in the next
 * single-statement insert (one commit, one flush), and each caller's promise settles only when
 * its row is committed — so no credentials leave unaudited and a failed write fails the
 * requests it carried.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.ts';
import { type AuditEvent, writeAuditBatch } from '../audit.ts';

interface Pending {
  event: AuditEvent;
  resolve(): void;
  reject(err: unknown): void;
}

export class AuditWriter {
  private readonly db: Kysely<Database>;
  private queue: Pending[] = [];
  private running = false;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Resolves once the event is committed. */
  write(event: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the requests already in the event loop join this batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const events = batch.map((p) => p.event);
        // Up to 500 rows are one statement; more are one transaction.
        if (events.length <= 500) await writeAuditBatch(this.db, events);
        else await this.db.transaction().execute((trx) => writeAuditBatch(trx, events));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.running = false;
  }
}
