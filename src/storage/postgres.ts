/**
 * The PostgreSQL store (`postgres://…`): a pg pool behind Kysely; hot path reads as named
 * prepared statements and audit rows as one statement however many there are. Opened through
 * `openStore` (`db.ts`).
 */
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import {
  AUDIT_COLUMNS,
  auditValues,
  GENERATION_SQL,
  generationOf,
  generationReader,
  type Store,
  StoreError,
} from './store.ts';

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

export async function openPostgres(url: string, poolSize: number): Promise<Store> {
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
    async readArrays(sqlText: string, parameters: readonly unknown[]): Promise<unknown[][]> {
      const result = await pool.query({
        name: statementName(sqlText),
        text: sqlText,
        values: [...parameters],
        rowMode: 'array',
      });
      return result.rows as unknown[][];
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
