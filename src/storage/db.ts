/**
 * Opening the store: one Kysely query builder over better-sqlite3 (embedded default,
 * `sqlite.ts`) or PostgreSQL (`postgres://…`, `postgres.ts`). Migrations run at open. Failures
 * become a `StoreError` with one line that says what to do, never a stack trace.
 *
 * Two narrow ports serve the credential hot paths, where building queries and waiting for a
 * disk flush on the event loop would cost more than the work: `readRows` (prepared reads,
 * see `preparedRead`) and `appendAudit` (group-committed audit rows; for a SQLite file in the
 * worker of `audit-worker.ts`). The `Store` port and what both dialects share live in `store.ts`.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { migrations } from './migrations/index.ts';
import { openPostgres } from './postgres.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import { type Store, StoreError } from './store.ts';

export {
  AUDIT_COLUMNS,
  type AuditRow,
  auditValues,
  type Dialect,
  GENERATION_SQL,
  generationOf,
  generationReader,
  type Store,
  StoreError,
} from './store.ts';

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
