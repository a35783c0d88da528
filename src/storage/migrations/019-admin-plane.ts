import type { Kysely, Migration } from 'kysely';

/**
 * The admin plane (identitystore, sso-admin, organizations over SigV4):
 *
 * - `permission_sets.administrators`: 1 for the permission sets whose role credentials may call
 *   the admin APIs (the organization file's `administrators.permissionSets`, or `idcenter admin
 *   grant`); what each call may do is still decided by the permission set's policies.
 * - `users.profile`: the identitystore attributes of a user beyond the columns the rest of the
 *   server reads (name parts, nick name, addresses, phone numbers, every e-mail…), JSON, null for
 *   none.
 * - `user_external_ids`, `group_external_ids`: the identifiers external identity providers gave
 *   a user or group (`ExternalIds`); one (issuer, id) names at most one user, and one group.
 *
 * The asynchronous requests of sso-admin (assignment creation and deletion, provisioning) and
 * organizations (account creation) keep using `async_requests`.
 */
export const m019AdminPlane: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('permission_sets')
      .addColumn('administrators', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('users').addColumn('profile', 'text').execute();
    for (const [table, owner, references] of [
      ['user_external_ids', 'user_id', 'users.id'],
      ['group_external_ids', 'group_id', 'groups.id'],
    ] as const) {
      await db.schema
        .createTable(table)
        .addColumn(owner, 'text', (c) => c.notNull().references(references).onDelete('cascade'))
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ['issuer', 'external_id'])
        .execute();
      await db.schema.createIndex(`${table}_owner`).on(table).column(owner).execute();
    }
  },
};
