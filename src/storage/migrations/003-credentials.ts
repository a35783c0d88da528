import type { Kysely, Migration } from 'kysely';
import { withAutoId } from './dialect.ts';

/** Revocation list for stateless role credentials, and server keys. */
export const m003Credentials: Migration = {
  async up(db: Kysely<unknown>) {
    await withAutoId(db, db.schema.createTable('revocations'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('not_before', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('revocations_created').on('revocations').column('created_at').execute();

    await db.schema
      .createTable('server_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .execute();
  },
};
