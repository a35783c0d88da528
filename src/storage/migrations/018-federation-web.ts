import type { Kysely, Migration } from 'kysely';

/**
 * Console sign-in, OIDC federation and session tags for `aws` accounts:
 *
 * - `accounts.federation`: `saml` (the default, as every `aws` account was before) or `oidc`
 *   (STS `AssumeRoleWithWebIdentity` with this server as the OIDC issuer); read only for `aws`
 *   accounts.
 * - `federation_settings.oidc_audience`: the `aud` of web identity tokens, the client id of the
 *   IAM OIDC providers.
 * - `users.custom_attributes`: the free attributes the organization file gives a user
 *   (`attributes:`), JSON of name to text, null for none.
 * - `permission_sets.session_tags`: session tag key to the user attribute that gives its value
 *   (`sessionTags:`), JSON, null for none.
 * - `console_links`: one-time console sign-in links made for the command line (`idcenter
 *   console`), by the SHA-256 of their code; redeemed once, within a minute.
 */
export const m018FederationWeb: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('accounts')
      .addColumn('federation', 'text', (c) => c.notNull().defaultTo('saml'))
      .execute();
    await db.schema
      .alterTable('federation_settings')
      .addColumn('oidc_audience', 'text', (c) => c.notNull().defaultTo('sts.amazonaws.com'))
      .execute();
    await db.schema.alterTable('users').addColumn('custom_attributes', 'text').execute();
    await db.schema.alterTable('permission_sets').addColumn('session_tags', 'text').execute();
    await db.schema
      .createTable('console_links')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('role_name', 'text', (c) => c.notNull())
      .addColumn('destination', 'text')
      .addColumn('session_id', 'text')
      .addColumn('family_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('redeemed_at', 'bigint')
      .execute();
    await db.schema.createIndex('console_links_expires').on('console_links').column('expires_at').execute();
  },
};
