/**
 * Opening the store: one Kysely query builder over better-sqlite3 (embedded default) or
 * PostgreSQL (`postgres://…`). Migrations run at open. Failures become a `StoreError` with
 * one line that says what to do, never a stack trace.
 *
 * Two narrow ports serve the credential hot paths, where building queries and waiting for a
 * disk flush on the event loop would cost more than the work: `readRows` (prepared reads,
 * see `preparedRead`) and `appendAudit` (group-committed audit rows).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
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
import { ensurePrivateDir, ensurePrivateFile } from './private-files.ts';
import type { AuditEventTable, Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** An audit row as stored (see `app/audit.ts`). */
export type AuditRow = Omit<AuditEventTable, 'id'>;

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Human-readable location, without credentials. */
  readonly location: string;
  /** Cheap round trip, for /readyz. */
  ping(): Promise<void>;
  /**
   * One read-only statement of a hot path, by the SQL text Kysely compiles for this dialect,
   * prepared once and reused. SQLite file: on a read connection of its own, which reads the
   * latest committed state (WAL) and never queues behind a transaction of the main connection;
   * PostgreSQL: a named prepared statement. Use `preparedRead` (`storage/prepared.ts`); everything
   * else goes through `db`.
   */
  readRows<R>(sqlText: string, parameters: readonly unknown[]): Promise<R[]>;
  /**
   * Insert audit rows in one transaction; resolves once it is committed, with the same
   * durability as every commit of this store. SQLite file: the commit and its disk flush run in
   * a worker thread with a connection of its own, so they never block the event loop, while the
   * main connection is free (no transaction of this process in between). PostgreSQL: one
   * statement.
   */
  appendAudit(rows: readonly AuditRow[]): Promise<void>;
  /**
   * The store generation (migration 004): a counter raised, in the same transaction, by every
   * change that can take access away, whoever makes it. Read it before the rows an answer kept
   * in memory is built from (see `GenerationCache`). SQLite file: answered synchronously on the
   * read connection, without a promise.
   *
   * `receivedAt` (a `performance.now()` instant: when the request being answered arrived) lets a
   * value read since then be used again without a read: it is as current as the request.
   */
  generation(receivedAt?: number): number | Promise<number>;
  close(): Promise<void>;
}

const GENERATION_SQL = 'select value from store_generation where id = 1';

function generationOf(rows: ReadonlyArray<{ value: number | string }>): number {
  const value = Number(rows[0]?.value);
  if (!Number.isSafeInteger(value))
    throw new StoreError('the store generation is missing; migrate the store');
  return value;
}

/**
 * `Store.generation` over a dialect's read: keeps the last value with the instant its read
 * began, and gives it again to a caller whose request arrived no later than that instant.
 */
function generationReader(
  read: () => number | Promise<number>,
): (receivedAt?: number) => number | Promise<number> {
  let kept = Number.NaN;
  let keptAt = Number.NEGATIVE_INFINITY;
  const keep = (value: number, at: number) => {
    if (at >= keptAt) {
      kept = value;
      keptAt = at;
    }
    return value;
  };
  return (receivedAt) => {
    if (receivedAt !== undefined && receivedAt <= keptAt) return kept;
    const at = performance.now();
    const value = read();
    return typeof value === 'number' ? keep(value, at) : value.then((v) => keep(v, at));
  };
}

const AUDIT_COLUMNS = [
  'at',
  'actor',
  'action',
  'target_type',
  'target_id',
  'detail',
  'source_ip',
  'request_id',
] as const;

function auditValues(r: AuditRow): unknown[] {
  return [r.at, r.actor, r.action, r.target_type, r.target_id, r.detail, r.source_ip, r.request_id];
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

/**
 * Prove the store accepts a write: update the one heartbeat row (migration 007) and commit.
 * A committed write, not one rolled back: on a full disk SQLite's WAL mode only fails when
 * the commit appends to the log, and PostgreSQL only when it writes its own WAL.
 */
export async function writeHeartbeat(db: Kysely<Database>, now: number): Promise<void> {
  const result = await db
    .updateTable('store_heartbeat')
    .set({ beat_at: now })
    .where('id', '=', 1)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n)
    throw new StoreError('the store heartbeat row is missing; migrate the store');
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

  allSync<R>(sqlText: string, parameters: readonly unknown[]): R[] {
    let stmt = this.statements.get(sqlText);
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
      // Callers pass a handful of fixed texts; the bound only guards against misuse.
      if (this.statements.size >= 100) this.statements.clear();
      this.statements.set(sqlText, stmt);
    }
    return stmt.all(parameters) as R[];
  }

  close(): void {
    this.statements.clear();
    this.conn?.close();
    this.conn = null;
  }
}

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
const insert = db.prepare(workerData.insert);
const insertAll = db.transaction((rows) => { for (const r of rows) insert.run(r); });
parentPort.on('message', (rows) => {
  if (rows === null) { db.close(); parentPort.close(); return; }
  try { insertAll.immediate(rows); parentPort.postMessage(null); }
  catch (err) { parentPort.postMessage(String((err && err.message) || err)); }
});
`;

class SqliteAuditWorker {
  private readonly file: string;
  private readonly db: Kysely<Database>;
  private worker: Worker | null = null;
  private pending: { resolve(): void; reject(err: Error): void } | null = null;
  private tail: Promise<void> = Promise.resolve();

  constructor(file: string, db: Kysely<Database>) {
    this.file = file;
    this.db = db;
  }

  private start(): Worker {
    const worker = new Worker(AUDIT_WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: this.file,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
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
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage(null);
    await exited;
  }
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
  const names = new Map<string, string>();
  const statementName = (text: string) => {
    let name = names.get(text);
    if (!name) {
      name = `idcenter_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
  // One statement for any number of rows: one array parameter per column.
  const appendText = `insert into audit_events (${AUDIT_COLUMNS.join(', ')}) select * from unnest($1::bigint[], ${AUDIT_COLUMNS.slice(
    1,
  )
    .map((_, i) => `$${i + 2}::text[]`)
    .join(', ')})`;
  return {
    db,
    dialect: 'postgres',
    location,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async readRows<R>(sqlText: string, parameters: readonly unknown[]): Promise<R[]> {
      const result = await pool.query({
        name: statementName(sqlText),
        text: sqlText,
        values: [...parameters],
      });
      return result.rows as R[];
    },
    async appendAudit(rows) {
      if (rows.length === 0) return;
      const columns = AUDIT_COLUMNS.map(() => [] as unknown[]);
      for (const r of rows) {
        const v = auditValues(r);
        for (let i = 0; i < v.length; i++) columns[i]?.push(v[i]);
      }
      await pool.query({ name: statementName(appendText), text: appendText, values: columns });
    },
    generation: generationReader(async () => {
      const result = await pool.query({ name: statementName(GENERATION_SQL), text: GENERATION_SQL });
      return generationOf(result.rows as Array<{ value: number }>);
    }),
    async close() {
      await db.destroy();
    },
  };
}
