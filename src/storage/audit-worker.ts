/**
 * The audit worker of a SQLite file: a worker thread with a connection of its own that commits
 * audit rows, so the commit and its disk flush never block the event loop (see
 * `Store.appendAudit` in `db.ts`). Used by `sqlite.ts`.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { SqliteCheckpointer, WRITER_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.ts';
import { AUDIT_COLUMNS, type AuditRow, auditValues, StoreError } from './store.ts';

/**
 * The audit worker of a SQLite file (see `Store.appendAudit`). Its source is inline so the
 * bundle needs no second entry point; it loads better-sqlite3 from where this module does.
 *
 * Batches are handed to the worker as they come, without waiting for the one before to commit:
 * after each commit the worker takes every batch that arrived meanwhile (`receiveMessageOnPort`)
 * into its next transaction at once, so commits follow each other without a round trip through
 * the event loop, and a row waits at most for the commit in flight when it arrived and its own.
 * The worker answers each commit with the ids of the batches it carried.
 *
 * While batches are in the worker, this process holds the main connection (Kysely's lock), so no
 * transaction of ours is open across the worker's commit: a deferred transaction that read
 * before that commit could not write after it. So that audit under constant load never keeps
 * the main connection from everything else, the hold is given up after `COMMITS_PER_HOLD`
 * commits (the batches that arrive meanwhile wait for the next hold, behind whoever queued for
 * the connection). The worker is referenced only while it has work, so it never keeps a
 * finished process alive.
 */
const AUDIT_WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 10000');
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpoint);
const insert = db.prepare(workerData.insert);
const insertAll = db.transaction((batches) => {
  for (const b of batches) for (const r of b.rows) insert.run(r);
});
let closing = false;
parentPort.on('message', (first) => {
  if (closing) return;
  const batches = [];
  for (let m = first; m !== undefined; m = receiveMessageOnPort(parentPort)?.message) {
    if (m === null) closing = true;
    else batches.push(m);
  }
  if (batches.length > 0) {
    const ids = batches.map((b) => b.id);
    try { insertAll.immediate(batches); parentPort.postMessage({ ids, error: null }); }
    catch (err) { parentPort.postMessage({ ids, error: String((err && err.message) || err) }); }
  }
  if (closing) { db.close(); parentPort.close(); }
});
`;

/** Commits made under one hold of the main connection before it is given up for others. */
const COMMITS_PER_HOLD = 8;

interface Batch {
  id: number;
  values: unknown[][];
  resolve(): void;
  reject(err: Error): void;
}

export class SqliteAuditWorker {
  private readonly file: string;
  private readonly db: Kysely<Database>;
  private worker: Worker | null = null;
  private checkpointer: SqliteCheckpointer | null = null;
  private nextId = 1;
  /** Batches not handed to the worker yet. */
  private waiting: Batch[] = [];
  /** Batches in the worker, by id, until their commit is answered. */
  private readonly inWorker = new Map<number, Batch>();
  /** The current hold of the main connection: its release, and the commits made under it. */
  private hold: { release(): void; commits: number } | null = null;
  private acquiring = false;
  /** Settled whenever nothing is waiting or in the worker. */
  private idle: Promise<void> = Promise.resolve();
  private settleIdle: (() => void) | null = null;

  constructor(file: string, db: Kysely<Database>) {
    this.file = file;
    this.db = db;
  }

  private start(): Worker {
    this.checkpointer ??= new SqliteCheckpointer(this.file);
    const worker = new Worker(AUDIT_WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: this.file,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        autocheckpoint: WRITER_AUTOCHECKPOINT_PAGES,
        insert: `insert into audit_events (${AUDIT_COLUMNS.join(', ')}) values (${AUDIT_COLUMNS.map(() => '?').join(', ')})`,
      },
    });
    worker.unref();
    worker.on('message', (answer: { ids: number[]; error: string | null }) => {
      for (const id of answer.ids) {
        const b = this.inWorker.get(id);
        if (!b) continue;
        this.inWorker.delete(id);
        if (answer.error === null) b.resolve();
        else b.reject(new StoreError(`cannot write audit events: ${answer.error}`));
      }
      if (this.hold) this.hold.commits++;
      this.pump();
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      const lost = [...this.inWorker.values()];
      this.inWorker.clear();
      for (const b of lost)
        b.reject(new StoreError(`the audit writer stopped: ${err.message}`, { cause: err }));
      this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** Resolves once the rows are committed. */
  append(rows: readonly AuditRow[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!this.settleIdle) this.idle = new Promise<void>((r) => (this.settleIdle = r));
      this.waiting.push({ id: this.nextId++, values: rows.map(auditValues), resolve, reject });
      this.pump();
    });
  }

  /**
   * Move things along: hand waiting batches to the worker while the main connection is held
   * (taking it when needed), give it up when the worker has nothing left or after
   * `COMMITS_PER_HOLD` commits, and note when all is done.
   */
  private pump(): void {
    const hold = this.hold;
    if (hold) {
      const mayPost = hold.commits < COMMITS_PER_HOLD;
      if (mayPost && this.waiting.length > 0) {
        const worker = this.worker ?? this.start();
        worker.ref();
        for (const b of this.waiting) {
          this.inWorker.set(b.id, b);
          worker.postMessage({ id: b.id, rows: b.values });
        }
        this.waiting = [];
      }
      if (this.inWorker.size > 0) return;
      this.worker?.unref();
      this.hold = null;
      hold.release();
    }
    if (this.waiting.length > 0) {
      if (this.acquiring) return;
      this.acquiring = true;
      this.db
        .connection()
        .execute(
          () =>
            new Promise<void>((release) => {
              this.acquiring = false;
              this.hold = { release, commits: 0 };
              this.pump();
            }),
        )
        .catch((err: unknown) => {
          this.acquiring = false;
          const failed = this.waiting;
          this.waiting = [];
          const e = err instanceof Error ? err : new Error(String(err));
          for (const b of failed)
            b.reject(new StoreError(`cannot write audit events: ${e.message}`, { cause: e }));
          this.pump();
        });
      return;
    }
    if (this.inWorker.size === 0 && !this.acquiring && this.settleIdle) {
      const settle = this.settleIdle;
      this.settleIdle = null;
      settle();
    }
  }

  async close(): Promise<void> {
    await this.idle;
    await this.checkpointer?.close();
    this.checkpointer = null;
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage(null);
    await exited;
  }
}
