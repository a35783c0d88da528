/**
 * Effective access of a user: the (account, permission set) pairs assigned to the user directly
 * or to any group the user belongs to (docs/behaviour.md, "Users and groups",
 * "Account assignments"). Every reader of access (portal API, discovery extension, portal pages,
 * credential vending) goes through here, and the rule is written here alone: `assignmentsOf` (and,
 * for a user in few groups, the per-principal branches of `listAccessibleAccounts`, the same rule
 * read key by key). Reads go straight to the store (vending keeps an answer only while the store's
 * generation stands still), so a change made by `idcenter apply` or another replica is seen by the
 * next request.
 */
import { type Kysely, sql } from 'kysely';
import type { Store } from '../storage/db.ts';
import { preparedRead } from '../storage/prepared.ts';
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
 * Sub-query of the assignment rows that apply to `userId` (direct ∪ via groups), written so
 * both planners use the unique key (principal type, principal id, …) for each part: a join from
 * assignments to memberships, or an OR of the two parts, makes them scan every assignment row.
 * The admin console's authority (`admin/console-authority.ts`) reads a user's roles with it too.
 */
export function assignmentsOf(db: Kysely<Database>, userId: string, accountId?: string) {
  let direct = db
    .selectFrom('account_assignments')
    .select(['account_id', 'permission_set_id'])
    .where('principal_type', '=', 'USER')
    .where('principal_id', '=', userId);
  let viaGroups = db
    .selectFrom('account_assignments')
    .select(['account_id', 'permission_set_id'])
    .where('principal_type', '=', 'GROUP')
    .where(
      'principal_id',
      'in',
      db.selectFrom('group_memberships').select('group_id').where('user_id', '=', userId),
    );
  // The account goes into each part, where the key can use it: SQLite does not push a filter on
  // the union down into its parts, and would read every assignment of the user first.
  if (accountId !== undefined) {
    direct = direct.where('account_id', '=', accountId);
    viaGroups = viaGroups.where('account_id', '=', accountId);
  }
  return direct.unionAll(viaGroups);
}

/**
 * Every (account, permission set) pair a user reaches now (in `accountId` alone, when given), as
 * `account|permission set id` keys: what a change that took access away compares against, to
 * revoke only what was really lost.
 *
 * @example const still = await accessPairsOf(trx, userId); still.has(`${accountId}|${psId}`);
 */
export async function accessPairsOf(
  db: Kysely<Database>,
  userId: string,
  accountId?: string,
): Promise<Set<string>> {
  const rows = await db
    .selectFrom(assignmentsOf(db, userId, accountId).as('a'))
    .select(['a.account_id', 'a.permission_set_id'])
    .execute();
  return new Set(rows.map((r) => `${r.account_id}|${r.permission_set_id}`));
}

/**
 * A page size in the SQL text rather than bound: SQLite prepares a statement again whenever a
 * LIMIT parameter is bound anew. Page sizes are validated integers, so there are few texts.
 */
function pageLimit(limit: number) {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`bad page size ${limit}`);
  return sql.lit(limit);
}

/** Above this many principals (the user and their groups), one query per principal stops paying. */
const MAX_PRINCIPAL_BRANCHES = 200;

/**
 * One page of the accounts a user may use, ordered by account id.
 * @param after exclusive lower bound (the last account id of the previous page)
 */
export async function listAccessibleAccounts(
  store: { db: Kysely<Database> },
  userId: string,
  page: { after?: string | undefined; limit: number },
): Promise<AccessibleAccount[]> {
  const db = store.db;
  const groups = await db
    .selectFrom('group_memberships')
    .select('group_id')
    .where('user_id', '=', userId)
    .execute();
  const principals: Array<['USER' | 'GROUP', string]> = [
    ['USER', userId],
    ...groups.map((g): ['GROUP', string] => ['GROUP', g.group_id]),
  ];
  // Each principal contributes at most one page of distinct accounts, read in index order (the
  // unique key starts with principal type and id, then account id): bounded work however many
  // accounts they see.
  const branch = ([type, id]: ['USER' | 'GROUP', string]) => {
    let q = db
      .selectFrom('account_assignments')
      .select('account_id')
      .distinct()
      .where('principal_type', '=', type)
      .where('principal_id', '=', id);
    if (page.after !== undefined) q = q.where('account_id', '>', page.after);
    return db.selectFrom(q.orderBy('account_id').limit(pageLimit(page.limit)).as('p')).select('p.account_id');
  };
  const accounts = () =>
    db
      .selectFrom('accounts')
      .select(['accounts.id as accountId', 'accounts.name as accountName', 'accounts.email as emailAddress'])
      .orderBy('accounts.id');
  if (principals.length <= MAX_PRINCIPAL_BRANCHES) {
    const [first, ...rest] = principals.map(branch);
    let union = first as NonNullable<typeof first>;
    for (const b of rest) union = union.unionAll(b);
    const ids = db
      .selectFrom(union.as('u'))
      .select('u.account_id')
      .distinct()
      .orderBy('u.account_id')
      .limit(pageLimit(page.limit));
    return accounts().where('accounts.id', 'in', ids).execute();
  }
  let all = db.selectFrom(assignmentsOf(db, userId).as('u')).select('u.account_id');
  if (page.after !== undefined) all = all.where('u.account_id', '>', page.after);
  const ids = all.distinct().orderBy('u.account_id').limit(pageLimit(page.limit));
  return accounts().where('accounts.id', 'in', ids).execute();
}

/** The roles (permission sets) a user may use in one account, ordered by name. */
export async function listAccessibleRoles(
  store: { db: Kysely<Database> },
  userId: string,
  accountId: string,
  page: { after?: string | undefined; limit: number } = { limit: 10_000 },
): Promise<AccessibleRole[]> {
  const db = store.db;
  let q = db
    .selectFrom(assignmentsOf(db, userId, accountId).as('a'))
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
    .limit(pageLimit(page.limit));
  if (page.after !== undefined) q = q.where('permission_sets.name', '>', page.after);
  return q.execute();
}

/** An account with the user's roles in it, and whether the AWS console can be signed in to. */
export interface AccountWithRoles extends AccessibleAccount {
  roles: string[];
  /** An `aws` account on SAML federation: its roles open the AWS Management Console. */
  console: boolean;
  /** Present when the account is federated: its credentials are AWS's own. */
  access?: 'aws';
}

/** Every (account, role) pair of a user, ordered by account id then role name. */
export async function listAllAccess(
  store: { db: Kysely<Database> },
  userId: string,
): Promise<AccountWithRoles[]> {
  const db = store.db;
  const rows = await db
    .selectFrom(assignmentsOf(db, userId).as('a'))
    .innerJoin('accounts', 'accounts.id', 'a.account_id')
    .innerJoin('permission_sets', 'permission_sets.id', 'a.permission_set_id')
    .select([
      'accounts.id as accountId',
      'accounts.name as accountName',
      'accounts.email as emailAddress',
      'accounts.access as access',
      'accounts.federation as federation',
      'permission_sets.name as roleName',
    ])
    .distinct()
    .orderBy('accounts.id')
    .orderBy('permission_sets.name')
    .execute();
  const out: AccountWithRoles[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last.accountId === r.accountId) last.roles.push(r.roleName);
    else
      out.push({
        accountId: r.accountId,
        accountName: r.accountName,
        emailAddress: r.emailAddress,
        roles: [r.roleName],
        console: r.access === 'aws' && r.federation === 'saml',
        ...(r.access === 'aws' ? { access: 'aws' as const } : {}),
      });
  }
  return out;
}

/**
 * The role of a permission-set name in an account with the provisioned role of that (account,
 * permission set) when it exists, if the user may use it. A prepared read of index probes: the
 * permission set by its unique lower-case name (names are ASCII, so JavaScript and SQL agree on
 * lower case), then the user's assignments in the account.
 */
const accessibleRoleQuery = preparedRead(
  ['userId', 'accountId', 'roleName', 'roleNameLower'] as const,
  (db, p) =>
    db
      .selectFrom('permission_sets as ps')
      .leftJoin('provisioned_roles as pr', (j) =>
        j.on('pr.account_id', '=', p.accountId).onRef('pr.permission_set_id', '=', 'ps.id'),
      )
      .select([
        'ps.id as permissionSetId',
        'ps.name as roleName',
        'ps.session_seconds as sessionSeconds',
        'pr.role_hash as roleHash',
        'pr.role_id as roleId',
      ])
      .where('ps.name_lower', '=', p.roleNameLower)
      .where('ps.name', '=', p.roleName)
      .where(
        'ps.id',
        'in',
        db.selectFrom(assignmentsOf(db, p.userId, p.accountId).as('a')).select('a.permission_set_id'),
      ),
  // No LIMIT: the name is unique (at most one row), and SQLite prepares a statement whose LIMIT
  // is a bound parameter again each time it is bound.
);

/**
 * A role a user may assume (`findAccessibleRole`), with the provisioned role of its account and
 * permission set once there is one. A server keeps those found while the store generation stands
 * still (its context's `memory.allowedRoles`).
 */
export interface UsableRole {
  permissionSetId: string;
  roleName: string;
  sessionSeconds: number;
  roleHash: string | null;
  roleId: string | null;
}

/**
 * The role a user may assume in an account by permission-set name (exact, as the portal API
 * compares it), with its provisioned role when there is one; undefined means no access. The hot
 * path of GetRoleCredentials and of the portal's access keys.
 *
 * @example
 * const role = await findAccessibleRole(store, userId, '111111111111', 'ReadOnly');
 */
export async function findAccessibleRole(
  store: Store,
  userId: string,
  accountId: string,
  roleName: string,
): Promise<UsableRole | undefined> {
  const [role] = await accessibleRoleQuery(store, {
    userId,
    accountId,
    roleName,
    roleNameLower: roleName.toLowerCase(),
  });
  return role;
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/**
 * The account list of the portal's start page: every account the person may use, each with its
 * permission sets, ordered by name as the AWS access portal lists them, then by id (the same
 * one-query shape as the discovery extension, so 5,000 accounts cost one request).
 *
 * @example const accounts = await portalAccounts(ctx.store, session.userId);
 */
export async function portalAccounts(
  store: { db: Kysely<Database> },
  userId: string,
): Promise<AccountWithRoles[]> {
  const accounts = await listAllAccess(store, userId);
  return accounts.sort(
    (a, b) => collator.compare(a.accountName, b.accountName) || (a.accountId < b.accountId ? -1 : 1),
  );
}
