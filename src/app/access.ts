/**
 * Effective access of a user: the (account, permission set) pairs assigned to the user directly
 * or to any group the user belongs to (spec identity-center-behaviour §3, §5). Every reader of
 * access (portal API, discovery extension, portal pages, credential vending) goes through here,
 * straight to the store: no cache, so a change made by `idcenter apply` or another replica is
 * seen by the next request.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.ts';

export interface AccessibleAccount {
  accountId: string;
  accountName: string;
  emailAddress: string;
}

export interface AccessibleRole {
  accountId: string;
  roleName: string;
  permissionSetId: string;
  sessionSeconds: number;
}

/**
 * Sub-query of the assignment rows that apply to `userId` (direct ∪ via groups). One index
 * range per principal (the unique key starts with principal type and id), so it stays fast with
 * 500,000 assignment rows; a join from assignments to memberships would scan them all.
 */
function assignmentsOf(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom('account_assignments')
    .select(['account_assignments.account_id', 'account_assignments.permission_set_id'])
    .where((eb) =>
      eb.or([
        eb.and([eb('principal_type', '=', 'USER'), eb('principal_id', '=', userId)]),
        eb.and([
          eb('principal_type', '=', 'GROUP'),
          eb(
            'principal_id',
            'in',
            eb.selectFrom('group_memberships').select('group_id').where('user_id', '=', userId),
          ),
        ]),
      ]),
    );
}

/**
 * One page of the accounts a user may use, ordered by account id.
 * @param after exclusive lower bound (the last account id of the previous page)
 */
export async function listAccessibleAccounts(
  db: Kysely<Database>,
  userId: string,
  page: { after?: string | undefined; limit: number },
): Promise<AccessibleAccount[]> {
  // The page's ids first (index ranges, distinct, limit), then only those account rows.
  let ids = assignmentsOf(db, userId)
    .clearSelect()
    .select('account_assignments.account_id')
    .distinct()
    .orderBy('account_assignments.account_id')
    .limit(page.limit);
  if (page.after !== undefined) ids = ids.where('account_assignments.account_id', '>', page.after);
  return db
    .selectFrom('accounts')
    .select(['accounts.id as accountId', 'accounts.name as accountName', 'accounts.email as emailAddress'])
    .where('accounts.id', 'in', ids)
    .orderBy('accounts.id')
    .execute();
}

/** The roles (permission sets) a user may use in one account, ordered by name. */
export async function listAccessibleRoles(
  db: Kysely<Database>,
  userId: string,
  accountId: string,
  page: { after?: string | undefined; limit: number } = { limit: 10_000 },
): Promise<AccessibleRole[]> {
  let q = db
    .selectFrom(assignmentsOf(db, userId).as('a'))
    .innerJoin('permission_sets', 'permission_sets.id', 'a.permission_set_id')
    .select([
      'a.account_id as accountId',
      'permission_sets.name as roleName',
      'permission_sets.id as permissionSetId',
      'permission_sets.session_seconds as sessionSeconds',
    ])
    .distinct()
    .where('a.account_id', '=', accountId)
    .orderBy('permission_sets.name')
    .limit(page.limit);
  if (page.after !== undefined) q = q.where('permission_sets.name', '>', page.after);
  return q.execute();
}

/** Every (account, role) pair of a user, ordered by account id then role name. */
export async function listAllAccess(
  db: Kysely<Database>,
  userId: string,
): Promise<Array<AccessibleAccount & { roles: string[] }>> {
  const rows = await db
    .selectFrom(assignmentsOf(db, userId).as('a'))
    .innerJoin('accounts', 'accounts.id', 'a.account_id')
    .innerJoin('permission_sets', 'permission_sets.id', 'a.permission_set_id')
    .select([
      'accounts.id as accountId',
      'accounts.name as accountName',
      'accounts.email as emailAddress',
      'permission_sets.name as roleName',
    ])
    .distinct()
    .orderBy('accounts.id')
    .orderBy('permission_sets.name')
    .execute();
  const out: Array<AccessibleAccount & { roles: string[] }> = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last.accountId === r.accountId) last.roles.push(r.roleName);
    else
      out.push({
        accountId: r.accountId,
        accountName: r.accountName,
        emailAddress: r.emailAddress,
        roles: [r.roleName],
      });
  }
  return out;
}

/** The role a user may assume in an account by permission-set name, or undefined (no access). */
export async function findAccessibleRole(
  db: Kysely<Database>,
  userId: string,
  accountId: string,
  roleName: string,
): Promise<AccessibleRole | undefined> {
  const rows = await db
    .selectFrom(assignmentsOf(db, userId).as('a'))
    .innerJoin('permission_sets', 'permission_sets.id', 'a.permission_set_id')
    .select([
      'a.account_id as accountId',
      'permission_sets.name as roleName',
      'permission_sets.id as permissionSetId',
      'permission_sets.session_seconds as sessionSeconds',
    ])
    .where('a.account_id', '=', accountId)
    .where('permission_sets.name', '=', roleName)
    .limit(1)
    .execute();
  return rows[0];
}
