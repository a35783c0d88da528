import type { Kysely, Migration } from 'kysely';

/**
 * How each account is reached: `accounts.access` is `local` (the server's own sealed
 * credentials, as every account was before) or `aws` (real credentials through IAM SAML
 * federation); `accounts.partition` is the account's AWS partition, null for the instance's.
 *
 * `federation_settings`: the instance's federation names from the organization file's
 * `federation:` (SAML provider name, role name pattern and path, default partition and region),
 * one row (`default`) written by `idcenter apply`; no row means the defaults.
 */
export const m012Federation: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('accounts')
      .addColumn('access', 'text', (c) => c.notNull().defaultTo('local'))
      .execute();
    await db.schema.alterTable('accounts').addColumn('partition', 'text').execute();
    await db.schema
      .createTable('federation_settings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider_name', 'text', (c) => c.notNull())
      .addColumn('role_name_pattern', 'text', (c) => c.notNull())
      .addColumn('role_path', 'text', (c) => c.notNull())
      .addColumn('partition', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
