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
 * While a batch is in the worker, this process holds the main connection (Kysely's lock), so no
 * transaction of ours is open across the worker's commit: a deferred transaction that read
 * before that commit could not write after it. One batch at a time; the worker is referenced
 * only while it has work, so it never keeps a finished process alive.
 */
const AUDIT_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 10000');
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpoint);
const insert = db.prepare(workerData.insert);
const insertAll = db.transaction((rows) => { for (const r of rows) insert.run(r); });
parentPort.on('message', (rows) => {
  if (rows === null) { db.close(); parentPort.close(); return; }
  try { insertAll.immediate(rows); parentPort.postMessage(null); }
  catch (err) { parentPort.postMessage(String((err && err.message) || err)); }
});
`;

export class SqliteAuditWorker {
  private readonly file: string;
  private readonly db: Kysely<Database>;
  private worker: Worker | null = null;
  private checkpointer: SqliteCheckpointer | null = null;
  private pending: { resolve(): void; reject(err: Error): void } | null = null;
  private tail: Promise<void> = Promise.resolve();

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
    worker.on('message', (error: string | null) => {
      const p = this.pending;
      this.pending = null;
      if (error === null) p?.resolve();
      else p?.reject(new StoreError(`cannot write audit events: ${error}`));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      const p = this.pending;
      this.pending = null;
      p?.reject(new StoreError(`the audit writer stopped: ${err.message}`, { cause: err }));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** Resolves once the rows are committed; batches run one after another. */
  append(rows: readonly AuditRow[]): Promise<void> {
    const values = rows.map(auditValues);
    const run = this.tail.then(() =>
      this.db.connection().execute(
        () =>
          new Promise<void>((resolve, reject) => {
            const worker = this.worker ?? this.start();
            this.pending = {
              resolve: () => {
                worker.unref();
                resolve();
              },
              reject: (err) => {
                worker.unref();
                reject(err);
              },
            };
            worker.ref();
            worker.postMessage(values);
          }),
      ),
    );
    this.tail = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.tail;
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
