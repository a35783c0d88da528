/**
 * The `Store` port and what the SQLite and PostgreSQL parts share (the store generation read,
 * the audit row layout, the one error type). It imports neither dialect, so `sqlite.ts`,
 * `postgres.ts` and `audit-worker.ts` depend on it and `db.ts` on them, with no cycle.
 */
import type { Kysely } from 'kysely';
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
   * `readRows` with each row as an array of its column values, in the order of the select list:
   * for a read of many rows, whose objects cost more to make than the arrays (SQLite makes an
   * object's properties one by one). Use `preparedReadArrays` (`storage/prepared.ts`).
   */
  readArrays(sqlText: string, parameters: readonly unknown[]): Promise<unknown[][]>;
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

/** The read of `Store.generation`, the same text on both dialects. */
export const GENERATION_SQL = 'select value from store_generation where id = 1';

export function generationOf(rows: ReadonlyArray<{ value: number | string }>): number {
  const value = Number(rows[0]?.value);
  if (!Number.isSafeInteger(value))
    throw new StoreError('the store generation is missing; migrate the store');
  return value;
}

/**
 * `Store.generation` over a dialect's read: keeps the last value with the instant its read
 * began, and gives it again to a caller whose request arrived no later than that instant.
 */
export function generationReader(
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

/** The columns of an audit row, in the order `auditValues` gives them. */
export const AUDIT_COLUMNS = [
  'at',
  'actor',
  'action',
  'target_type',
  'target_id',
  'detail',
  'source_ip',
  'request_id',
] as const;

export function auditValues(r: AuditRow): unknown[] {
  return [r.at, r.actor, r.action, r.target_type, r.target_id, r.detail, r.source_ip, r.request_id];
}
