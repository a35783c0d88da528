import type { Kysely, Migration } from 'kysely';

/**
 * The assignments of one account and permission set, by kind of principal: the console's
 * account pages list the users and the groups of each permission set apart. With the index of
 * (account, permission set) alone, SQLite's planner took the unique key's index instead (its first
 * column is the kind of principal, and it covers the query) and read every assignment of that
 * kind in the store. This index starts with the account, ends with the principal (so it covers
 * those reads), and serves every query the one it replaces served.
 */
export const m027AssignmentPrincipalsIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('account_assignments_principals')
      .on('account_assignments')
      .columns(['account_id', 'permission_set_id', 'principal_type', 'principal_id'])
      .execute();
    await db.schema.dropIndex('account_assignments_target').execute();
  },
};
