/**
 * Background WAL checkpoints of a SQLite file, in a thread with a connection of its own.
 *
 * SQLite copies the WAL back into the database file (a checkpoint) from inside the commit that
 * takes the WAL past `wal_autocheckpoint` pages (1,000 by default): that commit also writes the
 * pages into the database file and flushes it, several times the work of an ordinary commit.
 * The audit worker commits a few hundred times a second under load, so every second or two one
 * of its commits, and every issuance waiting for it, was held up that way. Here the audit
 * worker's connection leaves checkpoints alone (its `wal_autocheckpoint` is raised far above
 * what the checkpointer lets the WAL reach, a bound should this thread stop) and this thread runs
 * a PASSIVE checkpoint every `CHECKPOINT_INTERVAL_MS`: it copies what no reader still needs,
 * never waits for a writer or a reader, and never holds one up, so commits only append to the WAL
 * and flush it. The next writer after a complete checkpoint starts the WAL over, as before.
 *
 * Started and stopped with the audit worker (`audit-worker.ts`); referenced by nothing, so it
 * never keeps a finished process alive.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the WAL is checkpointed: it holds about this much of the audit worker's commits. */
export const CHECKPOINT_INTERVAL_MS = 250;

/**
 * The audit worker connection's `wal_autocheckpoint`, in pages (64 MiB of 4 KiB pages): only
 * reached when the checkpointer cannot keep up or has stopped.
 */
export const WRITER_AUTOCHECKPOINT_PAGES = 16384;

const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.interval);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string) {
    this.worker = new Worker(CHECKPOINTER_SOURCE, {
      eval: true,
      workerData: {
        file,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        interval: CHECKPOINT_INTERVAL_MS,
      },
    });
    this.worker.unref();
    this.exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // A failure here costs only the background checkpoints; the writers' bound still holds.
    this.worker.on('error', () => {});
  }

  /** Stop checkpointing and close its connection; resolves once the thread has ended. */
  async close(): Promise<void> {
    this.worker.ref();
    this.worker.postMessage(null);
    await this.exited;
  }
}
