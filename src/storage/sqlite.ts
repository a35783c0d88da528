/**
 * The SQLite store (`sqlite:/path/file.db` or `sqlite::memory:`): one better-sqlite3 connection
 * behind Kysely, with a statement cache; for a file, a read connection of its own for the hot
 * path reads (`SqliteReader`) and a worker thread that commits audit rows (`audit-worker.ts`).
 * Opened through `openStore` (`db.ts`).
 */
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect } from 'kysely';
import { SqliteAuditWorker } from './audit-worker.ts';
import { ensurePrivateDir, ensurePrivateFile } from './private-files.ts';
import type { Database } from './schema.ts';
import { GENERATION_SQL, generationOf, generationReader, type Store, StoreError } from './store.ts';

/**
 * Kysely prepares every query afresh; parsing and planning a join costs SQLite several times
 * what running it does. Keep the prepared statements of recent SQL texts (a statement still
 * being iterated is never handed out twice). Statements re-prepare themselves after a schema
 * change, so migrations are safe.
 */
function withStatementCache(conn: SqliteDatabase.Database, size = 500) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(text: string): SqliteDatabase.Statement {
      const hit = cache.get(text);
      if (hit && !hit.busy) return hit;
      const stmt = conn.prepare(text);
      if (!hit) {
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
        cache.set(text, stmt);
      }
      return stmt;
    },
    close(): void {
      cache.clear();
      conn.close();
    },
  };
}

export function openSqlite(file: string): Store {
  const memory = file === ':memory:';
  if (!memory) {
    try {
      ensurePrivateDir(path.dirname(file));
    } catch (err) {
      throw new StoreError(
        `cannot create the data directory ${path.dirname(file)}: ${(err as Error).message}`,
      );
    }
    try {
      // Mode 0600 before SQLite opens it; the -wal, -shm and -journal files SQLite makes take it.
      ensurePrivateFile(file);
    } catch (err) {
      throw new StoreError(`cannot create the SQLite store ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  let conn: SqliteDatabase.Database;
  try {
    conn = new SqliteDatabase(file);
    conn.pragma('busy_timeout = 10000');
    if (!memory) conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = FULL');
    conn.pragma('foreign_keys = ON');
  } catch (err) {
    throw new StoreError(
      `cannot open the SQLite store ${file}: ${(err as Error).message}. Check the path and its permissions, or set IDCENTER_DATA_DIR.`,
      { cause: err },
    );
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(conn) }) });
  // An in-memory database is private to its connection: no reader, no worker.
  const reader = memory ? null : new SqliteReader(file);
  const auditWriter = memory ? null : new SqliteAuditWorker(file, db);
  return {
    db,
    dialect: 'sqlite',
    location: memory ? 'sqlite::memory:' : file,
    async ping() {
      conn.prepare('select 1').get();
    },
    readRows<R>(sqlText: string, parameters: readonly unknown[]): Promise<R[]> {
      if (reader) return reader.all<R>(sqlText, parameters);
      return db.executeQuery<R>(CompiledQuery.raw(sqlText, [...parameters])).then((r) => r.rows);
    },
    readArrays(sqlText: string, parameters: readonly unknown[]): Promise<unknown[][]> {
      if (reader) return reader.arrays(sqlText, parameters);
      return db
        .executeQuery<Record<string, unknown>>(CompiledQuery.raw(sqlText, [...parameters]))
        .then((r) => r.rows.map((row) => Object.values(row)));
    },
    async appendAudit(rows) {
      if (rows.length === 0) return;
      if (auditWriter) return auditWriter.append(rows);
      await db
        .insertInto('audit_events')
        .values([...rows])
        .execute();
    },
    generation: generationReader(() => {
      if (reader) return generationOf(reader.allSync<{ value: number }>(GENERATION_SQL, []));
      // In memory: through Kysely, which waits for a transaction of the one connection to end.
      return db
        .executeQuery<{ value: number }>(CompiledQuery.raw(GENERATION_SQL, []))
        .then((r) => generationOf(r.rows));
    }),
    async close() {
      await auditWriter?.close();
      reader?.close();
      await db.destroy();
    },
  };
}

/**
 * The read connection of a SQLite file for `Store.readRows`: opened on first use, statements
 * prepared once per SQL text. Each statement is its own read transaction, so it sees every
 * commit made before it starts, by this process or any other.
 */
class SqliteReader {
  private readonly file: string;
  private conn: SqliteDatabase.Database | null = null;
  private readonly statements = new Map<string, SqliteDatabase.Statement>();
  private readonly rawStatements = new Map<string, SqliteDatabase.Statement>();

  constructor(file: string) {
    this.file = file;
  }

  all<R>(sqlText: string, parameters: readonly unknown[]): Promise<R[]> {
    try {
      return Promise.resolve(this.allSync<R>(sqlText, parameters));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Rows as arrays: a statement of its own per SQL text, in better-sqlite3's raw mode. */
  arrays(sqlText: string, parameters: readonly unknown[]): Promise<unknown[][]> {
    try {
      let stmt = this.rawStatements.get(sqlText);
      if (!stmt) {
        stmt = this.statement(sqlText, false).raw(true);
        if (this.rawStatements.size >= 100) this.rawStatements.clear();
        this.rawStatements.set(sqlText, stmt);
      }
      return Promise.resolve(stmt.all(parameters) as unknown[][]);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  allSync<R>(sqlText: string, parameters: readonly unknown[]): R[] {
    return this.statement(sqlText, true).all(parameters) as R[];
  }

  /** The statement of a SQL text: prepared once (`keep`) or anew, on the connection opened on first use. */
  private statement(sqlText: string, keep: boolean): SqliteDatabase.Statement {
    let stmt = keep ? this.statements.get(sqlText) : undefined;
    if (!stmt) {
      if (!this.conn) {
        this.conn = new SqliteDatabase(this.file);
        this.conn.pragma('busy_timeout = 10000');
        this.conn.pragma('query_only = ON');
        // No mmap: with the audit worker committing all the time, a mapped reader pays to
        // re-map on most reads (a read after another connection's commit took ~37 µs mapped,
        // ~12 µs through the page cache).
      }
      stmt = this.conn.prepare(sqlText);
      if (!keep) return stmt;
      // Callers pass a handful of fixed texts; the bound only guards against misuse.
      if (this.statements.size >= 100) this.statements.clear();
      this.statements.set(sqlText, stmt);
    }
    return stmt;
  }

  close(): void {
    this.statements.clear();
    this.rawStatements.clear();
    this.conn?.close();
    this.conn = null;
  }
}
