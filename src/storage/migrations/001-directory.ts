import type { Kysely, Migration } from 'kysely';
import { withAutoId } from './dialect.ts';

/** Instance, organization, identity store, permission sets, assignments, audit. */
export const m001Directory: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('instance')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('identity_store_id', 'text', (c) => c.notNull())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('root_id', 'text', (c) => c.notNull())
      .addColumn('management_account_id', 'text')
      .addColumn('generation', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('ous')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('parent_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('ou_id', 'text', (c) => c.references('ous.id'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('joined_method', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('accounts_ou').on('accounts').column('ou_id').execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_name', 'text', (c) => c.notNull())
      .addColumn('user_name_lower', 'text', (c) => c.notNull().unique())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('given_name', 'text')
      .addColumn('family_name', 'text')
      .addColumn('email', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text')
      .addColumn('external_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('users_email').on('users').column('email').execute();

    await db.schema
      .createTable('groups')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('display_name_lower', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('external_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('group_memberships')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addUniqueConstraint('group_memberships_pair', ['group_id', 'user_id'])
      .execute();
    await db.schema.createIndex('group_memberships_user').on('group_memberships').column('user_id').execute();

    await db.schema
      .createTable('permission_sets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('name_lower', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('session_duration', 'text', (c) => c.notNull())
      .addColumn('session_seconds', 'integer', (c) => c.notNull())
      .addColumn('relay_state', 'text')
      .addColumn('inline_policy', 'text')
      .addColumn('permissions_boundary', 'text')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('ps_managed_policies')
      .addColumn('permission_set_id', 'text', (c) =>
        c.notNull().references('permission_sets.id').onDelete('cascade'),
      )
      .addColumn('arn', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('ps_managed_policies_pk', ['permission_set_id', 'arn'])
      .execute();
    await db.schema
      .createTable('ps_customer_policies')
      .addColumn('permission_set_id', 'text', (c) =>
        c.notNull().references('permission_sets.id').onDelete('cascade'),
      )
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('ps_customer_policies_pk', ['permission_set_id', 'name', 'path'])
      .execute();
    await db.schema
      .createTable('ps_tags')
      .addColumn('permission_set_id', 'text', (c) =>
        c.notNull().references('permission_sets.id').onDelete('cascade'),
      )
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('ps_tags_pk', ['permission_set_id', 'key'])
      .execute();

    await db.schema
      .createTable('account_assignments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('permission_set_id', 'text', (c) => c.notNull().references('permission_sets.id'))
      .addColumn('principal_type', 'text', (c) => c.notNull())
      .addColumn('principal_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addUniqueConstraint('account_assignments_key', [
        'principal_type',
        'principal_id',
        'account_id',
        'permission_set_id',
      ])
      .execute();
    await db.schema
      .createIndex('account_assignments_target')
      .on('account_assignments')
      .columns(['account_id', 'permission_set_id'])
      .execute();
    await db.schema
      .createIndex('account_assignments_ps')
      .on('account_assignments')
      .column('permission_set_id')
      .execute();

    await db.schema
      .createTable('provisioned_roles')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('permission_set_id', 'text', (c) => c.notNull())
      .addColumn('role_hash', 'text', (c) => c.notNull())
      .addColumn('role_id', 'text', (c) => c.notNull())
      .addColumn('provisioned_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('provisioned_roles_pk', ['account_id', 'permission_set_id'])
      .execute();

    await db.schema
      .createTable('async_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('failure_reason', 'text')
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('async_requests_kind')
      .on('async_requests')
      .columns(['kind', 'created_at'])
      .execute();

    await withAutoId(db, db.schema.createTable('audit_events'))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text')
      .addColumn('target_id', 'text')
      .addColumn('detail', 'text')
      .addColumn('source_ip', 'text')
      .addColumn('request_id', 'text')
      .execute();
    await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  },
};
