import { type Kysely, type Migration, sql } from 'kysely';

/**
 * `credential_key_ids`: the ids of the credential keys servers of this store have used (never
 * a secret), so a server given none of them — a restored database without its key file, a
 * mistyped IDCENTER_CREDENTIAL_KEYS — refuses to start instead of making new keys that every
 * credential already issued fails against.
 *
 * `store_heartbeat`: one row that /readyz updates, to prove the store still accepts a write.
 */
export const m007KeysHeartbeat: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('credential_key_ids')
      .addColumn('key_id', 'text', (c) => c.primaryKey())
      .addColumn('recorded_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('store_heartbeat')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('beat_at', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into store_heartbeat (id, beat_at) values (1, 0)`.execute(db);
  },
};
