/**
 * What the admin console (`web/admin/`) reads: the pages of users, groups, accounts, permission
 * sets, sessions and the audit log, each searched and paged in the store (who may read and change
 * what is `console-authority.ts`).
 * Its changes go through the use cases the admin APIs and the CLI use (`directory.ts`,
 * `assignments.ts`, `../users.ts`, `../sessions.ts`, `../auth/mfa.ts`); only reads live here.
 *
 * Paging is by key, never by offset, both ways: a page is the rows after the last key of the one
 * before (`after`), or before the first key of the one after (`before`), read in index order, so
 * the 1,000th page of 50,000 users costs what the first does. Every list pages so, the lists of a
 * detail page too (a group's members, a user's groups and what they reach, the permission sets
 * of an account, a permission set's assignments).
 * Searches are prefixes of lower-cased text (`LIKE 'abc%'`, wildcards escaped); the user search
 * is read from indexes (migration 024: a range on SQLite, `text_pattern_ops` on PostgreSQL).
 */
import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { Database } from '../../storage/schema.ts';
import type { StoredAuditEvent } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { sessionRows } from '../sessions.ts';

export interface ConsolePage<T> {
  items: T[];
  /** The key the next page starts after, when there is a next page. */
  next: string | undefined;
  /** The key the previous page ends before, when there is a previous page (two-way lists). */
  prev?: string | undefined;
}

/**
 * Where a page of a two-way list starts: after a key (reading on), before one (reading back:
 * the rows are read in reverse index order and turned round), or at the start.
 */
export interface PageAt {
  after?: string | undefined;
  before?: string | undefined;
  limit: number;
}

/** The order to read a two-way page in. */
function direction(at: PageAt): 'asc' | 'desc' {
  return at.before !== undefined ? 'desc' : 'asc';
}

/**
 * Reads the two-way page `at` of `qb`, ordered by `column` (whose values are the page keys,
 * `key` reads one from a row): the rows after `after` or before `before`, one more than a page.
 */
async function readTwoWay<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  column: string | RawBuilder<string>,
  at: PageAt,
  key: (r: O) => string,
): Promise<Required<ConsolePage<O>>> {
  const ref = typeof column === 'string' ? sql.ref(column) : column;
  let q = qb;
  if (at.after !== undefined) q = q.where(ref, '>', at.after);
  if (at.before !== undefined) q = q.where(ref, '<', at.before);
  const rows = await q
    .orderBy(ref, direction(at))
    .limit(at.limit + 1)
    .execute();
  return twoWay(rows, at, key);
}

/**
 * A page of a two-way list read with `limit + 1` rows in `direction(at)`: the extra row says
 * there is a page beyond in the direction read; the other way, there is one when the page
 * started from a key (a row before `after`, or `before` itself, exists or existed).
 */
function twoWay<R>(rows: R[], at: PageAt, key: (r: R) => string): Required<ConsolePage<R>> {
  const more = rows.length > at.limit;
  const items = rows.slice(0, at.limit);
  if (at.before !== undefined) {
    items.reverse();
    const first = items[0];
    const last = items.at(-1);
    return {
      items,
      prev: more && first !== undefined ? key(first) : undefined,
      next: last !== undefined ? key(last) : undefined,
    };
  }
  const first = items[0];
  const last = items.at(-1);
  return {
    items,
    next: more && last !== undefined ? key(last) : undefined,
    prev: at.after === undefined ? undefined : first !== undefined ? key(first) : at.after,
  };
}

/** `abc` → `abc%` with LIKE's wildcards and the escape character taken literally. */
function prefixPattern(query: string): string {
  return `${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function startsWith(expression: ReturnType<typeof sql>, query: string) {
  return sql<boolean>`${expression} like ${prefixPattern(query)} escape '\\'`;
}

/** The highest code point: every string that starts with a prefix sorts below prefix + this. */
const ABOVE_ALL = '\u{10FFFF}';

/**
 * `expression` starts with `query` (lower-cased), as a range SQLite answers from an index on the
 * expression (migration 024): SQLite compares text by its UTF-8 bytes, so the strings with a
 * prefix are exactly those from the prefix up to the prefix followed by the highest code point.
 */
function inRange(expression: ReturnType<typeof sql>, query: string) {
  const low = query.toLowerCase();
  return sql<boolean>`(${expression} >= ${low} and ${expression} < ${low + ABOVE_ALL})`;
}

// ---- users ----

export interface UserListItem {
  id: string;
  userName: string;
  displayName: string;
  email: string | null;
  status: string;
  source: string;
}

/**
 * Users ordered by lower-case user name, a page after `after` (a lower-case user name);
 * `query` keeps those whose user name, display name or e-mail starts with it.
 */
export async function searchUsers(
  ctx: AppContext,
  page: PageAt & { query?: string | undefined },
): Promise<ConsolePage<UserListItem>> {
  const q = page.query?.trim() ?? '';
  const users = ctx.store.db
    .selectFrom('users')
    .select(['id', 'user_name', 'user_name_lower', 'display_name', 'email', 'status', 'source'])
    .$if(q !== '', (qb) =>
      qb.where((eb) =>
        eb.or(
          [sql`user_name_lower`, sql`lower(display_name)`, sql`lower(email)`].map((column) =>
            ctx.store.dialect === 'sqlite' ? inRange(column, q) : startsWith(column, q),
          ),
        ),
      ),
    );
  const { items, next, prev } = await readTwoWay(users, 'user_name_lower', page, (r) => r.user_name_lower);
  return { items: items.map(userItem), next, prev };
}

function userItem(r: {
  id: string;
  user_name: string;
  display_name: string;
  email: string | null;
  status: string;
  source: string;
}): UserListItem {
  return {
    id: r.id,
    userName: r.user_name,
    displayName: r.display_name,
    email: r.email,
    status: r.status,
    source: r.source,
  };
}

export interface ConsoleUser extends UserListItem {
  givenName: string | null;
  familyName: string | null;
  directoryDn: string | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export interface Via {
  /** `USER`: assigned to the user; `GROUP`: through the group named. */
  type: 'USER' | 'GROUP';
  groupId?: string;
  groupName?: string;
}

/** One (account, permission set) a user reaches, and every way they reach it. */
export interface Reach {
  accountId: string;
  accountName: string;
  permissionSetId: string;
  permissionSetName: string;
  via: Via[];
}

export interface UserDetail {
  user: ConsoleUser;
  /** A two-way page of the user's groups, by lower-case name. */
  groups: ConsolePage<{ id: string; name: string; membershipId: string }>;
  /** A two-way page of what the user reaches, by account id and permission-set name. */
  reach: ConsolePage<Reach>;
  mfaDevices: number;
  liveSessions: number;
}

/** Where the two lists of a user's page start. */
export interface UserPages {
  groups: PageAt;
  reach: PageAt;
}

/**
 * The key of one (account, permission set) a user reaches: the account id (of fixed width, so
 * the key orders by it first) and the permission set's lower-case name (unique).
 */
const REACH_KEY = sql<string>`a.account_id || '.' || ps.name_lower`;

/** Assignments (as `a`) to the user directly or to one of their groups. */
const assignedToUser = (userId: string) =>
  sql<boolean>`((a.principal_type = 'USER' and a.principal_id = ${userId}) or (a.principal_type = 'GROUP' and a.principal_id in (select group_id from group_memberships where user_id = ${userId})))`;

export async function userDetail(
  ctx: AppContext,
  userId: string,
  pages: UserPages = { groups: { limit: 50 }, reach: { limit: 50 } },
): Promise<UserDetail | undefined> {
  const db = ctx.store.db;
  const u = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!u) return undefined;
  const now = ctx.clock.now();
  const [groups, reached, mfa, sessions] = await Promise.all([
    readTwoWay(
      db
        .selectFrom('group_memberships as m')
        .innerJoin('groups as g', 'g.id', 'm.group_id')
        .select(['g.id', 'g.display_name', 'g.display_name_lower', 'm.id as membership_id'])
        .where('m.user_id', '=', userId),
      'g.display_name_lower',
      pages.groups,
      (r) => r.display_name_lower,
    ),
    // Each (account, permission set) once, whether assigned directly or through groups.
    readTwoWay(
      db
        .selectFrom('account_assignments as a')
        .innerJoin('permission_sets as ps', 'ps.id', 'a.permission_set_id')
        .select([REACH_KEY.as('k'), 'a.account_id', 'a.permission_set_id'])
        .distinct()
        .where(assignedToUser(userId)),
      REACH_KEY,
      pages.reach,
      (r) => r.k,
    ),
    db
      .selectFrom('mfa_devices')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .where('confirmed_at', 'is not', null)
      .executeTakeFirst(),
    db
      .selectFrom('portal_sessions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst(),
  ]);
  return {
    user: {
      id: u.id,
      userName: u.user_name,
      displayName: u.display_name,
      givenName: u.given_name,
      familyName: u.family_name,
      email: u.email,
      status: u.status,
      source: u.source,
      directoryDn: u.directory_dn,
      createdAt: u.created_at,
      createdBy: u.created_by,
      updatedAt: u.updated_at,
      updatedBy: u.updated_by,
    },
    groups: {
      items: groups.items.map((g) => ({ id: g.id, name: g.display_name, membershipId: g.membership_id })),
      next: groups.next,
      prev: groups.prev,
    },
    reach: { items: await reachOf(db, userId, reached.items), next: reached.next, prev: reached.prev },
    mfaDevices: Number(mfa?.n ?? 0),
    liveSessions: Number(sessions?.n ?? 0),
  };
}

/** The names of a page of (account, permission set) a user reaches, and every way they reach each. */
async function reachOf(
  db: Kysely<Database>,
  userId: string,
  page: Array<{ k: string; account_id: string; permission_set_id: string }>,
): Promise<Reach[]> {
  if (page.length === 0) return [];
  const rows = await reachQuery(db)
    .leftJoin('groups as g', (j) =>
      j.onRef('g.id', '=', 'a.principal_id').on('a.principal_type', '=', 'GROUP'),
    )
    .select(['a.principal_type', 'a.principal_id', 'g.display_name as group_name'])
    // The page's keys are in order: the range from its first to its last.
    .where(REACH_KEY, '>=', page[0]?.k ?? '')
    .where(REACH_KEY, '<=', page.at(-1)?.k ?? '')
    .where(assignedToUser(userId))
    .execute();
  const byKey = new Map<string, Reach>();
  for (const p of page) {
    byKey.set(`${p.account_id}|${p.permission_set_id}`, {
      accountId: p.account_id,
      accountName: p.account_id,
      permissionSetId: p.permission_set_id,
      permissionSetName: p.permission_set_id,
      via: [],
    });
  }
  for (const r of rows) {
    const reach = byKey.get(`${r.account_id}|${r.permission_set_id}`);
    if (!reach) continue;
    reach.accountName = r.account_name;
    reach.permissionSetName = r.permission_set_name;
    reach.via.push(
      r.principal_type === 'USER'
        ? { type: 'USER' }
        : { type: 'GROUP', groupId: r.principal_id, groupName: r.group_name ?? r.principal_id },
    );
  }
  for (const reach of byKey.values())
    reach.via.sort((a, b) =>
      a.type !== b.type ? (a.type === 'USER' ? -1 : 1) : (a.groupName ?? '').localeCompare(b.groupName ?? ''),
    );
  return [...byKey.values()];
}

function reachQuery(db: Kysely<Database>) {
  return db
    .selectFrom('account_assignments as a')
    .innerJoin('accounts as ac', 'ac.id', 'a.account_id')
    .innerJoin('permission_sets as ps', 'ps.id', 'a.permission_set_id')
    .select([
      'a.account_id',
      'ac.name as account_name',
      'a.permission_set_id',
      'ps.name as permission_set_name',
    ]);
}

/** The id of the user with this name (any case), or undefined. */
export async function userIdByName(ctx: AppContext, userName: string): Promise<string | undefined> {
  const row = await ctx.store.db
    .selectFrom('users')
    .select('id')
    .where('user_name_lower', '=', userName.toLowerCase())
    .executeTakeFirst();
  return row?.id;
}

// ---- groups ----

export interface GroupListItem {
  id: string;
  name: string;
  description: string | null;
  source: string;
}

/** Groups ordered by lower-case name, a page after `after`; `query` is a prefix of the name. */
export async function searchGroups(
  ctx: AppContext,
  page: PageAt & { query?: string | undefined },
): Promise<ConsolePage<GroupListItem>> {
  const q = page.query?.trim() ?? '';
  const groups = ctx.store.db
    .selectFrom('groups')
    .select(['id', 'display_name', 'display_name_lower', 'description', 'source'])
    .$if(q !== '', (qb) => qb.where(startsWith(sql`display_name_lower`, q)));
  const { items, next, prev } = await readTwoWay(
    groups,
    'display_name_lower',
    page,
    (r) => r.display_name_lower,
  );
  return {
    prev,
    items: items.map((r) => ({
      id: r.id,
      name: r.display_name,
      description: r.description,
      source: r.source,
    })),
    next,
  };
}

/** Most assignment rows a group page lists. */
const MAX_REACH_ROWS = 2000;

export interface GroupMember extends UserListItem {
  membershipId: string;
}

export interface GroupDetail {
  group: GroupListItem;
  members: ConsolePage<GroupMember>;
  memberCount: number;
  assignments: Array<{
    accountId: string;
    accountName: string;
    permissionSetId: string;
    permissionSetName: string;
  }>;
}

/** A group with a two-way page of its members (by lower-case user name) and its assignments. */
export async function groupDetail(
  ctx: AppContext,
  groupId: string,
  page: PageAt,
): Promise<GroupDetail | undefined> {
  const db = ctx.store.db;
  const g = await db
    .selectFrom('groups')
    .select(['id', 'display_name', 'description', 'source'])
    .where('id', '=', groupId)
    .executeTakeFirst();
  if (!g) return undefined;
  const [members, count, assignments] = await Promise.all([
    readTwoWay(
      db
        .selectFrom('group_memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select([
          'u.id',
          'u.user_name',
          'u.user_name_lower',
          'u.display_name',
          'u.email',
          'u.status',
          'u.source',
          'm.id as membership_id',
        ])
        .where('m.group_id', '=', groupId),
      'u.user_name_lower',
      page,
      (r) => r.user_name_lower,
    ),
    db
      .selectFrom('group_memberships')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('group_id', '=', groupId)
      .executeTakeFirst(),
    reachQuery(db)
      .where('a.principal_type', '=', 'GROUP')
      .where('a.principal_id', '=', groupId)
      .orderBy('ac.name')
      .orderBy('ps.name')
      .limit(MAX_REACH_ROWS)
      .execute(),
  ]);
  return {
    group: { id: g.id, name: g.display_name, description: g.description, source: g.source },
    members: {
      items: members.items.map((r) => ({ ...userItem(r), membershipId: r.membership_id })),
      next: members.next,
      prev: members.prev,
    },
    memberCount: Number(count?.n ?? 0),
    assignments: assignments.map((a) => ({
      accountId: a.account_id,
      accountName: a.account_name,
      permissionSetId: a.permission_set_id,
      permissionSetName: a.permission_set_name,
    })),
  };
}

// ---- accounts ----

export interface AccountListItem {
  id: string;
  name: string;
  email: string;
  status: string;
  /** The OU the account is directly in; null: directly under the root. */
  ouId: string | null;
  ouPath: string;
  access: string;
}

/**
 * Accounts ordered by id, a page after `after`; `query` is a prefix of the id or the name,
 * `ouId` keeps the accounts directly in that OU (`root`: directly under the root).
 */
export async function searchAccounts(
  ctx: AppContext,
  page: PageAt & { query?: string | undefined; ouId?: string | undefined },
): Promise<ConsolePage<AccountListItem>> {
  const q = page.query?.trim().replace(/-/g, '') ?? '';
  const ou = page.ouId;
  const accounts = accountQuery(ctx.store.db)
    .$if(ou !== undefined, (qb) =>
      ou === 'root' ? qb.where('a.ou_id', 'is', null) : qb.where('a.ou_id', '=', ou ?? ''),
    )
    .$if(q !== '', (qb) =>
      qb.where((eb) => eb.or([startsWith(sql`a.id`, q), startsWith(sql`lower(a.name)`, q)])),
    );
  const { items, next, prev } = await readTwoWay(accounts, 'a.id', page, (r) => r.id);
  return { items: items.map(accountItem), next, prev };
}

function accountQuery(db: Kysely<Database>) {
  return db
    .selectFrom('accounts as a')
    .leftJoin('ous as o', 'o.id', 'a.ou_id')
    .select(['a.id', 'a.name', 'a.email', 'a.status', 'a.access', 'a.ou_id', 'o.path']);
}

function accountItem(r: {
  id: string;
  name: string;
  email: string;
  status: string;
  access: string;
  ou_id: string | null;
  path: string | null;
}): AccountListItem {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    status: r.status,
    access: r.access,
    ouId: r.ou_id,
    ouPath: r.path ?? '/',
  };
}

export interface OuListItem {
  id: string;
  path: string;
  accounts: number;
}

/** Every OU by path, with how many accounts are directly in it. */
export async function listOus(ctx: AppContext): Promise<OuListItem[]> {
  const db = ctx.store.db;
  const rows = await db
    .selectFrom('ous as o')
    .leftJoin('accounts as a', 'a.ou_id', 'o.id')
    .select(['o.id', 'o.path', (eb) => eb.fn.count('a.id').as('n')])
    .groupBy(['o.id', 'o.path'])
    .orderBy('o.path')
    .execute();
  return rows.map((r) => ({ id: r.id, path: r.path, accounts: Number(r.n) }));
}

export interface Principal {
  id: string;
  name: string;
  /** Users: their display name and status. */
  displayName?: string;
  status?: string;
}

/**
 * Who reaches an account with one permission set: the first users assigned directly and the
 * first groups with their first members (by name), and how many there are of each.
 */
export interface AccountAccessEntry {
  permissionSetId: string;
  permissionSetName: string;
  users: Principal[];
  userCount: number;
  groups: AccountGroup[];
  groupCount: number;
}

export interface AccountGroup extends Principal {
  members: Principal[];
  memberCount: number;
}

export interface AccountAccess {
  account: AccountListItem;
  /** A two-way page of the permission sets assigned in the account, by lower-case name. */
  entries: ConsolePage<AccountAccessEntry>;
}

/** Most members listed under a group on an account page (the group page lists them all). */
const MEMBERS_SHOWN = 50;

/**
 * Most users, and most groups, listed under one permission set on an account page; the page of
 * the account and permission set (`accountPermissionSetAccess`) lists them all.
 */
export const PRINCIPALS_SHOWN = 20;

/**
 * The users assigned the permission sets `permissionSetIds` in `accountId` directly, keyed by
 * lower-case user name.
 */
function assignedUsers(db: Kysely<Database>, accountId: string, permissionSetIds: readonly string[]) {
  return db
    .selectFrom('account_assignments as a')
    .leftJoin('users as u', 'u.id', 'a.principal_id')
    .select([
      'a.permission_set_id',
      'a.principal_id',
      'u.user_name',
      'u.display_name',
      'u.status',
      // A user deleted without its assignments would still be listed, by id.
      sql<string>`coalesce(u.user_name_lower, a.principal_id)`.as('k'),
    ])
    .where('a.account_id', '=', accountId)
    .where('a.permission_set_id', 'in', permissionSetIds)
    .where('a.principal_type', '=', 'USER');
}

/** The groups assigned the permission sets `permissionSetIds` in `accountId`, keyed by lower-case display name. */
function assignedGroups(db: Kysely<Database>, accountId: string, permissionSetIds: readonly string[]) {
  return db
    .selectFrom('account_assignments as a')
    .leftJoin('groups as g', 'g.id', 'a.principal_id')
    .select([
      'a.permission_set_id',
      'a.principal_id',
      'g.display_name',
      sql<string>`coalesce(g.display_name_lower, a.principal_id)`.as('k'),
    ])
    .where('a.account_id', '=', accountId)
    .where('a.permission_set_id', 'in', permissionSetIds)
    .where('a.principal_type', '=', 'GROUP');
}

/** Rank of an assignment among those of its permission set, by `key` (1 for the first). */
const rankBy = (key: RawBuilder<string>) =>
  sql<number>`row_number() over (partition by a.permission_set_id order by ${key})`.as('rank');

const USER_KEY = sql<string>`coalesce(u.user_name_lower, a.principal_id)`;
const GROUP_KEY = sql<string>`coalesce(g.display_name_lower, a.principal_id)`;

function assignedUser(r: {
  principal_id: string;
  user_name: string | null;
  display_name: string | null;
  status: string | null;
}): Principal {
  return {
    id: r.principal_id,
    name: r.user_name ?? r.principal_id,
    displayName: r.display_name ?? '',
    status: r.status ?? 'UNKNOWN',
  };
}

/** The member counts of `groupIds`, in one query. */
async function memberCounts(db: Kysely<Database>, groupIds: string[]): Promise<Map<string, number>> {
  if (groupIds.length === 0) return new Map();
  const counts = await db
    .selectFrom('group_memberships')
    .select(['group_id', (eb) => eb.fn.countAll().as('n')])
    .where('group_id', 'in', groupIds)
    .groupBy('group_id')
    .execute();
  return new Map(counts.map((c) => [c.group_id, Number(c.n)]));
}

/**
 * "Who can access this account and how": per permission set assigned in the account (a two-way
 * page of them, by name), the first `PRINCIPALS_SHOWN` users assigned and groups with their
 * first members, and how many of each there are.
 */
export async function accountAccess(
  ctx: AppContext,
  accountId: string,
  page: PageAt = { limit: 50 },
): Promise<AccountAccess | undefined> {
  const db = ctx.store.db;
  const account = await accountQuery(db).where('a.id', '=', accountId).executeTakeFirst();
  if (!account) return undefined;
  const sets = await readTwoWay(
    db
      .selectFrom('account_assignments as a')
      .innerJoin('permission_sets as ps', 'ps.id', 'a.permission_set_id')
      .select(['ps.id', 'ps.name', 'ps.name_lower'])
      .distinct()
      .where('a.account_id', '=', accountId),
    'ps.name_lower',
    page,
    (r) => r.name_lower,
  );
  if (sets.items.length === 0) return { account: accountItem(account), entries: { ...sets, items: [] } };
  const ids = sets.items.map((p) => p.id);
  // How many of each kind per permission set, and the first of each kind per permission set
  // (ranked within it): three queries, whatever the number of permission sets on the page.
  const [counts, firstUsers, firstGroups] = await Promise.all([
    db
      .selectFrom('account_assignments')
      .select(['permission_set_id', 'principal_type', (eb) => eb.fn.countAll().as('n')])
      .where('account_id', '=', accountId)
      .where('permission_set_id', 'in', ids)
      .groupBy(['permission_set_id', 'principal_type'])
      .execute(),
    db
      .selectFrom(assignedUsers(db, accountId, ids).select(rankBy(USER_KEY)).as('t'))
      .selectAll()
      .where('t.rank', '<=', PRINCIPALS_SHOWN)
      .orderBy('t.rank')
      .execute(),
    db
      .selectFrom(assignedGroups(db, accountId, ids).select(rankBy(GROUP_KEY)).as('t'))
      .selectAll()
      .where('t.rank', '<=', PRINCIPALS_SHOWN)
      .orderBy('t.rank')
      .execute(),
  ]);
  const firsts = ids.map(
    (id) =>
      [
        firstUsers.filter((r) => r.permission_set_id === id),
        firstGroups.filter((r) => r.permission_set_id === id),
      ] as const,
  );
  const countOf = (id: string, type: string) =>
    Number(counts.find((c) => c.permission_set_id === id && c.principal_type === type)?.n ?? 0);
  // The groups' member counts in one query, their first members (ranked within each) in another.
  const groupIds = [...new Set(firsts.flatMap(([, groups]) => groups.map((g) => g.principal_id)))];
  const [memberCount, firstMembers] = await Promise.all([
    memberCounts(db, groupIds),
    groupIds.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom(
            db
              .selectFrom('group_memberships as m')
              .innerJoin('users as u', 'u.id', 'm.user_id')
              .select([
                'm.group_id',
                'u.id',
                'u.user_name',
                'u.display_name',
                'u.status',
                sql<number>`row_number() over (partition by m.group_id order by u.user_name_lower)`.as(
                  'rank',
                ),
              ])
              .where('m.group_id', 'in', groupIds)
              .as('t'),
          )
          .selectAll()
          .where('t.rank', '<=', MEMBERS_SHOWN)
          .orderBy('t.rank')
          .execute(),
  ]);
  const members = new Map<string, Principal[]>(groupIds.map((groupId) => [groupId, []]));
  for (const m of firstMembers) {
    members.get(m.group_id)?.push({
      id: m.id,
      name: m.user_name,
      displayName: m.display_name,
      status: m.status,
    });
  }
  const items = sets.items.map((p, i): AccountAccessEntry => {
    const [users, groups] = firsts[i] ?? [[], []];
    return {
      permissionSetId: p.id,
      permissionSetName: p.name,
      users: users.map(assignedUser),
      userCount: countOf(p.id, 'USER'),
      groups: groups.map((g) => ({
        id: g.principal_id,
        name: g.display_name ?? g.principal_id,
        members: members.get(g.principal_id) ?? [],
        memberCount: memberCount.get(g.principal_id) ?? 0,
      })),
      groupCount: countOf(p.id, 'GROUP'),
    };
  });
  return { account: accountItem(account), entries: { items, next: sets.next, prev: sets.prev } };
}

/** The users and groups one permission set is assigned to in one account, each listed by page. */
export interface AccountPermissionSetAccess {
  account: AccountListItem;
  permissionSet: { id: string; name: string };
  /** A two-way page of the users assigned directly, by lower-case user name. */
  users: ConsolePage<Principal>;
  userCount: number;
  /** A two-way page of the groups assigned, by lower-case name, with their member counts. */
  groups: ConsolePage<Principal & { memberCount: number }>;
  groupCount: number;
}

/**
 * The users and groups assigned `permissionSetId` in `accountId` (the account page lists the
 * first of them), each a two-way page by key; undefined when the account or the permission set
 * does not exist.
 */
export async function accountPermissionSetAccess(
  ctx: AppContext,
  accountId: string,
  permissionSetId: string,
  pages: { users: PageAt; groups: PageAt },
): Promise<AccountPermissionSetAccess | undefined> {
  const db = ctx.store.db;
  const [account, ps] = await Promise.all([
    accountQuery(db).where('a.id', '=', accountId).executeTakeFirst(),
    db
      .selectFrom('permission_sets')
      .select(['id', 'name'])
      .where('id', '=', permissionSetId)
      .executeTakeFirst(),
  ]);
  if (!account || !ps) return undefined;
  const [users, groups, counts] = await Promise.all([
    readTwoWay(assignedUsers(db, accountId, [permissionSetId]), USER_KEY, pages.users, (r) => r.k),
    readTwoWay(assignedGroups(db, accountId, [permissionSetId]), GROUP_KEY, pages.groups, (r) => r.k),
    db
      .selectFrom('account_assignments')
      .select(['principal_type', (eb) => eb.fn.countAll().as('n')])
      .where('account_id', '=', accountId)
      .where('permission_set_id', '=', permissionSetId)
      .groupBy('principal_type')
      .execute(),
  ]);
  const memberCount = await memberCounts(
    db,
    groups.items.map((g) => g.principal_id),
  );
  const countOf = (type: string) => Number(counts.find((c) => c.principal_type === type)?.n ?? 0);
  return {
    account: accountItem(account),
    permissionSet: ps,
    users: { items: users.items.map(assignedUser), next: users.next, prev: users.prev },
    userCount: countOf('USER'),
    groups: {
      items: groups.items.map((g) => ({
        id: g.principal_id,
        name: g.display_name ?? g.principal_id,
        memberCount: memberCount.get(g.principal_id) ?? 0,
      })),
      next: groups.next,
      prev: groups.prev,
    },
    groupCount: countOf('GROUP'),
  };
}

// ---- permission sets ----

export interface PermissionSetListItem {
  id: string;
  name: string;
  description: string | null;
  sessionDuration: string;
  administrators: boolean;
}

/** Permission sets ordered by lower-case name, a page after `after`; `query` is a name prefix. */
export async function searchPermissionSets(
  ctx: AppContext,
  page: PageAt & { query?: string | undefined },
): Promise<ConsolePage<PermissionSetListItem>> {
  const q = page.query?.trim() ?? '';
  const sets = ctx.store.db
    .selectFrom('permission_sets')
    .select(['id', 'name', 'name_lower', 'description', 'session_duration', 'administrators'])
    .$if(q !== '', (qb) => qb.where(startsWith(sql`name_lower`, q)));
  const { items, next, prev } = await readTwoWay(sets, 'name_lower', page, (r) => r.name_lower);
  return {
    prev,
    items: items.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      sessionDuration: r.session_duration,
      administrators: r.administrators === 1,
    })),
    next,
  };
}

export interface PermissionSetDetail extends PermissionSetListItem {
  relayState: string | null;
  inlinePolicy: string | null;
  permissionsBoundary: string | null;
  managedPolicies: string[];
  customerPolicies: Array<{ name: string; path: string }>;
  /** Its tags by key (at most 75). */
  tags: Array<{ key: string; value: string }>;
  /** Accounts it is provisioned to whose role has an older version of it. */
  behind: number;
  assignments: ConsolePage<{
    id: string;
    accountId: string;
    accountName: string;
    principalType: 'USER' | 'GROUP';
    principalId: string;
    principalName: string;
  }>;
}

/** A permission set's definition and a two-way page of its assignments (by assignment id). */
export async function permissionSetDetail(
  ctx: AppContext,
  id: string,
  page: PageAt,
): Promise<PermissionSetDetail | undefined> {
  const db = ctx.store.db;
  const ps = await db.selectFrom('permission_sets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!ps) return undefined;
  const [managed, customer, tags, behind, assignments] = await Promise.all([
    db
      .selectFrom('ps_managed_policies')
      .select('arn')
      .where('permission_set_id', '=', id)
      .orderBy('arn')
      .execute(),
    db
      .selectFrom('ps_customer_policies')
      .select(['name', 'path'])
      .where('permission_set_id', '=', id)
      .orderBy('name')
      .execute(),
    db
      .selectFrom('ps_tags')
      .select(['key', 'value'])
      .where('permission_set_id', '=', id)
      .orderBy('key')
      .execute(),
    db
      .selectFrom('provisioned_roles')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('permission_set_id', '=', id)
      .where('provisioned_version', '<>', ps.version)
      .executeTakeFirst(),
    readTwoWay(
      db
        .selectFrom('account_assignments as a')
        .innerJoin('accounts as ac', 'ac.id', 'a.account_id')
        .leftJoin('users as u', (j) =>
          j.onRef('u.id', '=', 'a.principal_id').on('a.principal_type', '=', 'USER'),
        )
        .leftJoin('groups as g', (j) =>
          j.onRef('g.id', '=', 'a.principal_id').on('a.principal_type', '=', 'GROUP'),
        )
        .select([
          'a.id',
          'a.account_id',
          'ac.name as account_name',
          'a.principal_type',
          'a.principal_id',
          'u.user_name',
          'g.display_name as group_name',
        ])
        .where('a.permission_set_id', '=', id),
      'a.id',
      page,
      (r) => r.id,
    ),
  ]);
  return {
    id: ps.id,
    name: ps.name,
    description: ps.description,
    sessionDuration: ps.session_duration,
    administrators: ps.administrators === 1,
    relayState: ps.relay_state,
    inlinePolicy: ps.inline_policy,
    permissionsBoundary: ps.permissions_boundary,
    managedPolicies: managed.map((m) => m.arn),
    customerPolicies: customer,
    tags,
    behind: Number(behind?.n ?? 0),
    assignments: {
      prev: assignments.prev,
      items: assignments.items.map((r) => ({
        id: r.id,
        accountId: r.account_id,
        accountName: r.account_name,
        principalType: r.principal_type as 'USER' | 'GROUP',
        principalId: r.principal_id,
        principalName: r.user_name ?? r.group_name ?? r.principal_id,
      })),
      next: assignments.next,
    },
  };
}

/** The group with this name (any case), or undefined. */
export async function groupIdByName(ctx: AppContext, name: string): Promise<string | undefined> {
  const row = await ctx.store.db
    .selectFrom('groups')
    .select('id')
    .where('display_name_lower', '=', name.toLowerCase())
    .executeTakeFirst();
  return row?.id;
}

// ---- sessions ----

export interface LiveSession {
  id: string;
  userId: string;
  userName: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  sourceIp: string | null;
  userAgent: string | null;
}

/**
 * Live portal sessions, newest first, a two-way page: `after` (reading on, older) or `before`
 * (reading back, newer) is the key `<created_at>.<id>` of the row the page starts from.
 */
export async function liveSessions(
  ctx: AppContext,
  page: PageAt & { userId?: string | undefined },
): Promise<Required<ConsolePage<LiveSession>>> {
  const now = ctx.clock.now();
  const after = parseSessionKey(page.after);
  const before = parseSessionKey(page.before);
  const back = before !== undefined;
  const rows = await sessionRows(ctx.store.db)
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .where('s.mfa_done', '=', 1)
    .$if(page.userId !== undefined, (qb) => qb.where('s.user_id', '=', page.userId ?? ''))
    .$if(after !== undefined, (qb) =>
      qb.where((eb) =>
        eb.or([
          eb('s.created_at', '<', after?.at ?? 0),
          eb.and([eb('s.created_at', '=', after?.at ?? 0), eb('s.id', '>', after?.id ?? '')]),
        ]),
      ),
    )
    .$if(back, (qb) =>
      qb.where((eb) =>
        eb.or([
          eb('s.created_at', '>', before?.at ?? 0),
          eb.and([eb('s.created_at', '=', before?.at ?? 0), eb('s.id', '<', before?.id ?? '')]),
        ]),
      ),
    )
    .orderBy('s.created_at', back ? 'asc' : 'desc')
    .orderBy('s.id', back ? 'desc' : 'asc')
    .limit(page.limit + 1)
    .execute();
  const { items, next, prev } = twoWay(
    rows,
    { limit: page.limit, after: after && page.after, before: before && page.before },
    (r) => `${r.created_at}.${r.id}`,
  );
  return {
    items: items.map((r) => ({
      id: r.id,
      userId: r.user_id,
      userName: r.user_name,
      createdAt: r.created_at,
      lastSeenAt: r.last_seen_at,
      expiresAt: r.expires_at,
      sourceIp: r.source_ip,
      userAgent: r.user_agent,
    })),
    next,
    prev,
  };
}

function parseSessionKey(key: string | undefined): { at: number; id: string } | undefined {
  const m = key === undefined ? null : /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(key);
  return m ? { at: Number(m[1]), id: m[2] ?? '' } : undefined;
}

// ---- audit ----

export interface AuditFilter {
  /** An actor as stored (`user:<id>`, `cli:apply`). */
  actor?: string | undefined;
  /** An action, or a prefix of one ending in `.` (`user.`). */
  action?: string | undefined;
  /** A target id. */
  target?: string | undefined;
  /** Epoch ms, inclusive from and exclusive to. */
  from?: number | undefined;
  to?: number | undefined;
}

/**
 * Audit events newest first: older than `before` (reading on), or newer than `after` (reading
 * back), or the newest. `next` is where the older page starts, `prev` the newer one.
 */
export async function searchAudit(
  ctx: AppContext,
  filter: AuditFilter,
  page: { before?: number | undefined; after?: number | undefined; limit: number },
): Promise<{ items: StoredAuditEvent[]; next: number | undefined; prev: number | undefined }> {
  let q: SelectQueryBuilder<Database, 'audit_events', StoredAuditEvent> = ctx.store.db
    .selectFrom('audit_events')
    .selectAll();
  if (filter.actor) q = q.where('actor', '=', filter.actor);
  if (filter.action)
    q = filter.action.endsWith('.')
      ? q.where(startsWith(sql`action`, filter.action))
      : q.where('action', '=', filter.action);
  if (filter.target) q = q.where('target_id', '=', filter.target);
  if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('at', '<', filter.to);
  if (page.before !== undefined) q = q.where('id', '<', page.before);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  // Newest first is the index read backwards; reading back (newer) is a forward read, turned round.
  const rows = await q
    .orderBy('id', page.after !== undefined ? 'asc' : 'desc')
    .limit(page.limit + 1)
    .execute();
  const { items, next, prev } = twoWay(
    rows,
    {
      limit: page.limit,
      after: page.before === undefined ? undefined : String(page.before),
      before: page.after === undefined ? undefined : String(page.after),
    },
    (r) => String(r.id),
  );
  return {
    items,
    next: next === undefined ? undefined : Number(next),
    prev: prev === undefined ? undefined : Number(prev),
  };
}

/** The group and user of a membership, or undefined when there is no such membership. */
export async function membershipOf(
  ctx: AppContext,
  membershipId: string,
): Promise<{ groupId: string; userId: string } | undefined> {
  const row = await ctx.store.db
    .selectFrom('group_memberships')
    .select(['group_id', 'user_id'])
    .where('id', '=', membershipId)
    .executeTakeFirst();
  return row && { groupId: row.group_id, userId: row.user_id };
}

/** The user of a portal session, or undefined when there is no such session. */
export async function sessionUser(ctx: AppContext, sessionId: string): Promise<string | undefined> {
  const row = await ctx.store.db
    .selectFrom('portal_sessions')
    .select('user_id')
    .where('id', '=', sessionId)
    .executeTakeFirst();
  return row?.user_id;
}
