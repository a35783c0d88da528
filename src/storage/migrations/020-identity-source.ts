import type { Kysely, Migration } from 'kysely';

/**
 * Users and groups from Active Directory or LDAP:
 *
 * - `users.source`, `groups.source`: `local` (the organization file and the commands) or
 *   `directory` (the directory sync); `directory_dn` the entry's DN when it came from a directory.
 *   Directory users sign in by a bind as that DN and never have a password hash here.
 * - `identity_source`: the one row `idcenter apply` writes from the file's `identitySource:`
 *   (JSON of its settings, the bind password's variable name but never the password).
 * - `directory_sync`: the sync's cursor (the highest uSNChanged, or the latest modifyTimestamp,
 *   seen), when the last full and the last run were, the last result, and the lease one server
 *   takes to run the periodic sync alone.
 */
export const m020IdentitySource: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('users')
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('local'))
      .execute();
    await db.schema.alterTable('users').addColumn('directory_dn', 'text').execute();
    await db.schema
      .alterTable('groups')
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('local'))
      .execute();
    await db.schema.alterTable('groups').addColumn('directory_dn', 'text').execute();
    await db.schema.createIndex('users_external_id').on('users').column('external_id').execute();
    await db.schema.createIndex('groups_external_id').on('groups').column('external_id').execute();
    await db.schema
      .createTable('identity_source')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('directory_sync')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('cursor', 'text')
      .addColumn('last_full_at', 'bigint')
      .addColumn('last_run_at', 'bigint')
      .addColumn('last_result', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .execute();
  },
};
