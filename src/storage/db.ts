/**
 * Opening the store: one Kysely query builder over better-sqlite3 (embedded default) or
 * PostgreSQL (`postgres://…`). Migrations run at open. Failures become a `StoreError` with
 * one line that says what to do, never a stack trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Human-readable location, without credentials. */
  readonly location: string;
  /** Cheap round trip, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// PostgreSQL returns int8 (bigint) as strings; our bigints are epoch milliseconds and
// counters, all well inside Number.MAX_SAFE_INTEGER.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

export interface OpenOptions {
  /** Run pending migrations (default true). */
  migrate?: boolean;
  /** Max pool size for PostgreSQL (default 10). */
  poolSize?: number;
}

/**
 * Open the store named by `databaseUrl` (`sqlite:/path/file.db`, `sqlite::memory:` or
 * `postgres://…`) and bring its schema up to date.
 *
 * @example const store = await openStore('sqlite:./data/idcenter.db');
 */
export async function openStore(databaseUrl: string, options: OpenOptions = {}): Promise<Store> {
  const store = databaseUrl.startsWith('sqlite:')
    ? openSqlite(databaseUrl.slice('sqlite:'.length))
    : await openPostgres(databaseUrl, options.poolSize ?? 10);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(store.db);
    } catch (err) {
      await store.close().catch(() => {});
      if (err instanceof StoreError) throw err;
      throw new StoreError(`cannot migrate the store at ${store.location}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return store;
}

export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new StoreError(`migration ${failed} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
}

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

function openSqlite(file: string): Store {
  const memory = file === ':memory:';
  if (!memory) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch (err) {
      throw new StoreError(
        `cannot create the data directory ${path.dirname(file)}: ${(err as Error).message}`,
      );
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
  return {
    db,
    dialect: 'sqlite',
    location: memory ? 'sqlite::memory:' : file,
    async ping() {
      conn.prepare('select 1').get();
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Store> {
  const location = redact(url);
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StoreError(
      `cannot connect to PostgreSQL at ${location}: ${(err as Error).message}. Is the server running and the URL right?`,
      { cause: err },
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    location,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
