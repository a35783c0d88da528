/**
 * One server per SQLite file. The lock is an exclusive SQLite lock on a sidecar file
 * (`<db>.server-lock`), held for the life of the process: the operating system drops it when
 * the process ends, even by SIGKILL, so a crash never leaves a stale lock behind.
 * `idcenter apply` and the other administration commands do not take it; they share the store
 * with the running server through WAL.
 */
import fs from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { StoreError } from './db.ts';

export interface ServerLock {
  release(): void;
}

export function acquireServerLock(dbFile: string, pid = process.pid): ServerLock {
  const lockFile = `${dbFile}.server-lock`;
  const pidFile = `${dbFile}.server-pid`;
  const conn = new SqliteDatabase(lockFile);
  try {
    conn.pragma('busy_timeout = 0');
    conn.pragma('locking_mode = EXCLUSIVE');
    conn.exec('BEGIN EXCLUSIVE');
    conn.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
  } catch {
    conn.close();
    let holder = '';
    try {
      holder = fs.readFileSync(pidFile, 'utf8').trim();
    } catch {}
    throw new StoreError(
      `another idcenter server${holder ? ` (pid ${holder})` : ''} is already using ${dbFile}. Stop it first, or give this one another data directory (--data-dir) or a PostgreSQL URL for several replicas.`,
    );
  }
  fs.writeFileSync(pidFile, `${pid}\n`);
  return {
    release() {
      try {
        conn.exec('ROLLBACK');
      } catch {}
      conn.close();
      fs.rmSync(pidFile, { force: true });
    },
  };
}
