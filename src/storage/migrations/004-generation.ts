import { type Kysely, type Migration, sql } from 'kysely';
import { isPostgres } from './dialect.ts';

/**
 * What a cached answer about a bearer token or a user's access depends on, as the changes that
 * can take something away: a row updated or deleted (a revocation, a disabled user, a removed
 * assignment or membership, a changed permission set). Inserts only ever add, and caches keep
 * only answers that allow (see `storage/generation-cache.ts`).
 */
export const WATCHED: ReadonlyArray<{ table: string; columns?: readonly string[] }> = [
  { table: 'users', columns: ['status', 'user_name', 'user_name_lower', 'id'] },
  { table: 'groups' },
  { table: 'accounts' },
  { table: 'group_memberships' },
  { table: 'permission_sets' },
  { table: 'account_assignments' },
  { table: 'provisioned_roles' },
  { table: 'portal_sessions', columns: ['revoked_at', 'id', 'user_id'] },
  { table: 'token_families' },
  { table: 'access_tokens' },
];

/**
 * The store generation: one counter that every transaction changing a watched row raises, by
 * trigger, in the same transaction — so no write path can forget it, and a process that reads
 * the counter before it reads the rows knows its copy is stale as soon as the counter moved,
 * whichever process or replica wrote.
 */
export const m004Generation: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('store_generation')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into store_generation (id, value) values (1, 0)`.execute(db);
    const bump = 'update store_generation set value = value + 1 where id = 1';
    if (isPostgres(db)) {
      // Once per transaction (a transaction-local setting remembers it): the value only has to
      // move, and PostgreSQL pays more for each further update of one row in one transaction —
      // 20,000 single-row updates in one transaction, as a large apply makes, took twice as long
      // when every one raised it.
      await sql
        .raw(
          `create function idcenter_bump_generation() returns trigger language plpgsql as $$
begin
  if current_setting('idcenter.generation_raised', true) is distinct from 'on' then
    ${bump};
    perform set_config('idcenter.generation_raised', 'on', true);
  end if;
  return null;
end $$`,
        )
        .execute(db);
    }
    for (const { table, columns } of WATCHED) {
      const update = columns ? `update of ${columns.join(', ')}` : 'update';
      if (isPostgres(db)) {
        // Once per statement: a bulk revocation raises the counter once.
        await sql
          .raw(
            `create trigger ${table}_generation after ${update} or delete on ${table} for each statement execute function idcenter_bump_generation()`,
          )
          .execute(db);
      } else {
        // SQLite triggers run per row; one trigger per event.
        for (const [event, name] of [
          [update, 'u'],
          ['delete', 'd'],
        ] as const) {
          await sql
            .raw(`create trigger ${table}_generation_${name} after ${event} on ${table} begin ${bump}; end`)
            .execute(db);
        }
      }
    }
  },
};
