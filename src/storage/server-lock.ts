/**
 * One server per SQLite file. The lock is an exclusive SQLite lock on a sidecar file
 * (`<db>.server-lock`), held for the life of the process: the operating system drops it when
 * the process ends, even by SIGKILL, so a crash never leaves a stale lock behind.
 * `idcenter apply` and the other administration commands do not take it; they share the store
 * with the running server through WAL.
 *
 * Only SQLite's "busy" and "locked" mean another process holds the lock. Anything else (a full
 * disk, a read-only file system, a file this user may not write) is reported as itself, with
 * what to do about it.
 */
import fs from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { StoreError } from './db.ts';
import { ensurePrivateFile, PRIVATE_FILE_MODE } from './private-files.ts';

export interface ServerLock {
  release(): void;
}

/** Another process holds the lock: a server runs on this store. */
export class ServerLockHeldError extends StoreError {
  /** The holder's pid as its pid file says, or '' when unknown. */
  readonly holder: string;
  constructor(dbFile: string, holder: string) {
    super(
      `another idcenter server${holder ? ` (pid ${holder})` : ''} is already using ${dbFile}. Stop it first, or give this one another data directory (--data-dir) or a PostgreSQL URL for several replicas.`,
    );
    this.holder = holder;
  }
}

/** SQLite's result codes (extended ones included) that mean another connection holds the lock. */
function isHeldElsewhere(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code);
}

/** What an operator can do about a failure to write beside the store, by its cause. */
function advice(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'SQLITE_FULL':
      return 'the disk (or quota) is full: free space there, then start again';
    case 'EROFS':
    case 'SQLITE_READONLY':
      return 'the file system is read-only: the data directory must be writable';
    case 'EACCES':
    case 'EPERM':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
      return 'check that this user owns the data directory and may write to it';
    default:
      return 'check the data directory and the disk it is on';
  }
}

/** The most telling code of a failure: the errno when there is one, else SQLite's code. */
function causeCode(err: unknown): string | undefined {
  const e = err as { code?: unknown };
  if (typeof e?.code !== 'string') return undefined;
  // SQLITE_IOERR_WRITE and friends: the disk refused; SQLITE_FULL is ENOSPC.
  return e.code.startsWith('SQLITE_IOERR') ? 'SQLITE_IOERR' : e.code;
}

/** `file`: the file being written when it failed (the lock file or the pid file). */
function lockFailure(dbFile: string, file: string, err: unknown): StoreError {
  const code = causeCode(err);
  const message = (err as Error)?.message ?? String(err);
  return new StoreError(
    `cannot take the server lock for ${dbFile}: writing ${file} failed: ${message}${code && !message.includes(code) ? ` (${code})` : ''}; ${advice(code)}.`,
    { cause: err },
  );
}

export function acquireServerLock(dbFile: string, pid = process.pid): ServerLock {
  const lockFile = `${dbFile}.server-lock`;
  const pidFile = `${dbFile}.server-pid`;
  let conn: SqliteDatabase.Database;
  try {
    // Mode 0600 before SQLite opens it; its journal takes the same mode.
    ensurePrivateFile(lockFile);
    conn = new SqliteDatabase(lockFile);
  } catch (err) {
    throw lockFailure(dbFile, lockFile, err);
  }
  try {
    conn.pragma('busy_timeout = 0');
    conn.pragma('locking_mode = EXCLUSIVE');
    conn.exec('BEGIN EXCLUSIVE');
    conn.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
  } catch (err) {
    conn.close();
    if (!isHeldElsewhere(err)) throw lockFailure(dbFile, lockFile, err);
    let holder = '';
    try {
      holder = fs.readFileSync(pidFile, 'utf8').trim();
    } catch {}
    throw new ServerLockHeldError(dbFile, holder);
  }
  const unlock = () => {
    try {
      conn.exec('ROLLBACK');
    } catch {}
    conn.close();
  };
  try {
    fs.writeFileSync(pidFile, `${pid}\n`, { mode: PRIVATE_FILE_MODE });
    // Left by a server that crashed, with the mode it had then.
    fs.chmodSync(pidFile, PRIVATE_FILE_MODE);
  } catch (err) {
    unlock();
    throw lockFailure(dbFile, pidFile, err);
  }
  return {
    release() {
      unlock();
      fs.rmSync(pidFile, { force: true });
    },
  };
}
