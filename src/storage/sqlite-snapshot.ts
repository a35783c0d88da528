/**
 * A consistent copy of a live SQLite store, for `idcenter backup`: SQLite's online backup,
 * taken in one step (one read transaction), so servers keep writing meanwhile (WAL) and a busy
 * server cannot make the copy start over. The copy is a single file (no `-wal`), checked with
 * `PRAGMA quick_check` before it is trusted, here and when a backup is restored.
 */
import SqliteDatabase from 'better-sqlite3';
import { StoreError } from './db.ts';
import { ensurePrivateFile } from './private-files.ts';

export interface SnapshotInfo {
  readonly pages: number;
  readonly bytes: number;
}

/** Copy the store `source` into `dest` (created with mode 0600), then check the copy. */
export async function snapshotSqlite(source: string, dest: string): Promise<SnapshotInfo> {
  let conn: SqliteDatabase.Database;
  try {
    conn = new SqliteDatabase(source, { fileMustExist: true });
    conn.pragma('busy_timeout = 10000');
  } catch (err) {
    throw new StoreError(`cannot open the SQLite store ${source}: ${(err as Error).message}`, { cause: err });
  }
  let pages = 0;
  try {
    ensurePrivateFile(dest);
    // Every remaining page in the next step: one read transaction, never restarted by a write.
    const done = await conn.backup(dest, { progress: () => 0x7fffffff });
    pages = done.totalPages;
  } catch (err) {
    throw new StoreError(`cannot copy the SQLite store ${source}: ${(err as Error).message}`, { cause: err });
  } finally {
    conn.close();
  }
  const copy = new SqliteDatabase(dest, { fileMustExist: true });
  try {
    // Everything in the one file, so the copy needs no -wal beside it.
    copy.pragma('journal_mode = DELETE');
    assertIntact(copy, dest);
    const pageSize = copy.pragma('page_size', { simple: true }) as number;
    return { pages, bytes: pages * pageSize };
  } finally {
    copy.close();
  }
}

function assertIntact(conn: SqliteDatabase.Database, file: string): void {
  const result = conn.pragma('quick_check', { simple: true });
  if (result !== 'ok') throw new StoreError(`${file} is damaged: ${String(result)}`);
}

/** What a copied store says about itself: checked intact, with the credential key ids it recorded. */
export interface SnapshotFacts {
  /** `credential_key_ids` (migration 007); empty for a store that never recorded any. */
  readonly keyIds: string[];
}

/** Check a copy made by `snapshotSqlite` and read what restoring it needs to know. */
export function inspectSnapshot(file: string): SnapshotFacts {
  let conn: SqliteDatabase.Database;
  try {
    conn = new SqliteDatabase(file, { fileMustExist: true, readonly: true });
  } catch (err) {
    throw new StoreError(`cannot open ${file} as a SQLite store: ${(err as Error).message}`, { cause: err });
  }
  try {
    try {
      assertIntact(conn, file);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`${file} is not a SQLite store: ${(err as Error).message}`, { cause: err });
    }
    const known = conn
      .prepare("select 1 from sqlite_master where type = 'table' and name = 'credential_key_ids'")
      .get();
    const keyIds = known
      ? (
          conn.prepare('select key_id from credential_key_ids order by recorded_at, key_id').all() as Array<{
            key_id: string;
          }>
        ).map((r) => r.key_id)
      : [];
    return { keyIds };
  } finally {
    conn.close();
  }
}
