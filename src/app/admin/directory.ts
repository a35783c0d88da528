/**
 * The identity store as the identitystore API sees it: users, groups and memberships in the
 * AWS shapes, read from and written to the same rows the organization file writes. A user's
 * columns hold what the rest of the server reads (user name, display name, given and family
 * name, the primary e-mail); the other identitystore attributes are kept whole in
 * `users.profile`, external ids in `user_external_ids`/`group_external_ids` (migration 019).
 *
 * Every change runs in one transaction with its audit row naming the caller; changes that can
 * take access away (a deleted user or membership) end what it granted: sessions and role
 * credentials of a deleted user, the role credentials a lost membership gave (`access`
 * revocations, as `apply --prune` does). The store generation moves by trigger.
 *
 * What the directory owns (a directory user, a directory group and its members) is refused
 * inside each write's transaction by the rule the console keeps too (`directory-owned.ts`).
 */
import type { Kysely } from 'kysely';
import { DomainError } from '../../domain/errors.ts';
import { PROFILE_ATTRIBUTES, PROFILE_NAME_PARTS } from '../../domain/identity/user-attributes.ts';
import { newDirectoryId } from '../../domain/ids.ts';
import { preparedRead, preparedReadArrays } from '../../storage/prepared.ts';
import type { Database, GroupRow, UserRow } from '../../storage/schema.ts';
import { revokeUnreachable } from '../access-loss.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { revokingTransaction, type WrittenRevocations } from '../revocation.ts';
import { revokeUserSessions } from '../users.ts';
import { assertOwnedHere } from './directory-owned.ts';
import { type AdminWho, auditOf, isUniqueViolation } from './who.ts';

export type Wire = Record<string, unknown>;

export interface ExternalId {
  Issuer: string;
  Id: string;
}

/** Names AWS keeps for itself: no user or group may take them. */
const RESERVED_NAMES = new Set(['administrator', 'awsadministrators']);

const seconds = (ms: number) => ms / 1000;

function notFound(type: 'USER' | 'GROUP' | 'GROUP_MEMBERSHIP', id: string): DomainError {
  const what = type === 'USER' ? 'User' : type === 'GROUP' ? 'Group' : 'GroupMembership';
  return new DomainError('not_found', `${what} not found`, { resourceType: type, resourceId: id });
}

function conflict(message: string): DomainError {
  return new DomainError('conflict', message, { reason: 'UNIQUENESS_CONSTRAINT_VIOLATION' });
}

/** Runs a write whose unique-index violation means "already exists": it becomes that conflict. */
async function uniqueOr<T>(message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(message);
    throw err;
  }
}

/** One page of rows read with `limit + 1`: the extra row only says there is a next page. */
function pageOf<R extends { id: string }>(
  rows: R[],
  limit: number,
): { items: R[]; after: string | undefined } {
  const items = rows.slice(0, limit);
  return { items, after: rows.length > limit ? items.at(-1)?.id : undefined };
}

/**
 * Stamps a user or group row before reading it, in the caller's transaction: the write comes
 * first so that SQLite takes its write lock here and PostgreSQL the row's, and two updates of
 * one row never lose one another.
 */
async function stampForUpdate(
  trx: Kysely<Database>,
  table: 'users' | 'groups',
  id: string,
  now: number,
): Promise<void> {
  const touched = await trx
    .updateTable(table)
    .set({ updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(touched.numUpdatedRows) === 0) throw notFound(table === 'users' ? 'USER' : 'GROUP', id);
}

// ---- users ----

/** The columns of a user document (the attributes beyond them go to `profile`). */
function userColumns(doc: Wire) {
  const name = (doc.Name ?? {}) as Record<string, unknown>;
  const emails = (doc.Emails ?? []) as Array<{ Value?: string; Primary?: boolean }>;
  const email = (emails.find((e) => e.Primary) ?? emails[0])?.Value ?? null;
  // Only attributes are stored: the document may be an answer (UpdateUser changes the user as
  // DescribeUser shows it), whose ids, status and times are the row's own columns.
  const profile: Wire = {};
  for (const k of PROFILE_ATTRIBUTES) {
    const v = doc[k];
    if (k !== 'Name' && v !== undefined && v !== null) profile[k] = v;
  }
  const otherName: Wire = {};
  for (const part of PROFILE_NAME_PARTS) {
    const v = name[part];
    if (v !== undefined && v !== null) otherName[part] = v;
  }
  if (Object.keys(otherName).length > 0) profile.Name = otherName;
  const userName = doc.UserName as string;
  if (RESERVED_NAMES.has(userName.toLowerCase())) {
    throw new DomainError('validation', `${userName} is a reserved name and can't be used for users`);
  }
  return {
    user_name: userName,
    user_name_lower: userName.toLowerCase(),
    display_name: doc.DisplayName as string,
    given_name: (name.GivenName as string | undefined) ?? null,
    family_name: (name.FamilyName as string | undefined) ?? null,
    email,
    profile: Object.keys(profile).length > 0 ? JSON.stringify(profile) : null,
  };
}

/**
 * The columns of a user that its identitystore shape is made of (`userWire`); `userWireRow`
 * reads a row of them as an array, in this order.
 */
const USER_WIRE_COLUMNS = [
  'id',
  'user_name',
  'display_name',
  'profile',
  'given_name',
  'family_name',
  'email',
  'status',
  'created_at',
  'created_by',
  'updated_at',
  'updated_by',
] as const;
type UserWireRow = Pick<UserRow, (typeof USER_WIRE_COLUMNS)[number]>;

/** A stored user in the identitystore User shape. */
export function userWire(row: UserWireRow, externalIds: readonly ExternalId[], storeId: string): Wire {
  const profile = row.profile ? (JSON.parse(row.profile) as Wire) : {};
  const name: Wire = { ...((profile.Name as Wire | undefined) ?? {}) };
  if (row.given_name !== null) name.GivenName = row.given_name;
  if (row.family_name !== null) name.FamilyName = row.family_name;
  const out: Wire = {
    IdentityStoreId: storeId,
    UserId: row.id,
    UserName: row.user_name,
    DisplayName: row.display_name,
    ...profile,
    UserStatus: row.status,
    CreatedAt: seconds(row.created_at),
    CreatedBy: row.created_by,
    UpdatedAt: seconds(row.updated_at),
    UpdatedBy: row.updated_by,
  };
  if (Object.keys(name).length > 0) out.Name = name;
  else delete out.Name;
  // A user the organization file made has an e-mail column and no profile: it is their one e-mail.
  if (out.Emails === undefined && row.email) out.Emails = [{ Value: row.email, Primary: true }];
  if (externalIds.length > 0) out.ExternalIds = externalIds;
  return out;
}

async function externalIdsOf(
  db: Kysely<Database>,
  table: 'user_external_ids' | 'group_external_ids',
  ids: readonly string[],
): Promise<Map<string, ExternalId[]>> {
  const out = new Map<string, ExternalId[]>();
  if (ids.length === 0) return out;
  const rows =
    table === 'user_external_ids'
      ? await db
          .selectFrom('user_external_ids')
          .select(['user_id as owner', 'issuer', 'external_id', 'position'])
          .where('user_id', 'in', ids)
          .orderBy('position')
          .execute()
      : await db
          .selectFrom('group_external_ids')
          .select(['group_id as owner', 'issuer', 'external_id', 'position'])
          .where('group_id', 'in', ids)
          .orderBy('position')
          .execute();
  for (const r of rows) {
    const list = out.get(r.owner) ?? [];
    list.push({ Issuer: r.issuer, Id: r.external_id });
    out.set(r.owner, list);
  }
  return out;
}

async function externalIdsOfOne(
  db: Kysely<Database>,
  table: 'user_external_ids' | 'group_external_ids',
  id: string,
): Promise<ExternalId[]> {
  return (await externalIdsOf(db, table, [id])).get(id) ?? [];
}

/** A page of user or group rows in the wire shape, their external ids read in one query. */
async function wirePage<R extends { id: string }>(
  db: Kysely<Database>,
  table: 'user_external_ids' | 'group_external_ids',
  page: { items: R[]; after: string | undefined },
  wire: (row: R, externalIds: readonly ExternalId[]) => Wire,
): Promise<Page<Wire>> {
  const ext = await externalIdsOf(
    db,
    table,
    page.items.map((r) => r.id),
  );
  return { items: page.items.map((r) => wire(r, ext.get(r.id) ?? [])), after: page.after };
}

async function writeExternalIds(
  db: Kysely<Database>,
  kind: 'user' | 'group',
  ownerId: string,
  ids: readonly ExternalId[] | undefined,
): Promise<void> {
  if (kind === 'user') await db.deleteFrom('user_external_ids').where('user_id', '=', ownerId).execute();
  else await db.deleteFrom('group_external_ids').where('group_id', '=', ownerId).execute();
  if (!ids || ids.length === 0) return;
  const rows = ids.map((e, position) => ({ issuer: e.Issuer, external_id: e.Id, position }));
  if (kind === 'user') {
    await db
      .insertInto('user_external_ids')
      .values(rows.map((r) => ({ ...r, user_id: ownerId })))
      .execute();
  } else {
    await db
      .insertInto('group_external_ids')
      .values(rows.map((r) => ({ ...r, group_id: ownerId })))
      .execute();
  }
}

export async function createUser(
  ctx: AppContext,
  who: AdminWho,
  storeId: string,
  doc: Wire,
): Promise<string> {
  const columns = userColumns(doc);
  const id = newDirectoryId(ctx.random, storeId);
  const now = ctx.clock.now();
  await uniqueOr('Duplicate UserName or ExternalId', () =>
    ctx.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('users')
        .values({
          id,
          ...columns,
          status: 'ENABLED',
          password_hash: null,
          external_id: null,
          created_at: now,
          updated_at: now,
          created_by: who.actor,
          updated_by: who.actor,
          custom_attributes: null,
        })
        .execute();
      await writeExternalIds(trx, 'user', id, doc.ExternalIds as ExternalId[] | undefined);
      await writeAudit(trx, auditOf(who, now, 'user.create', 'USER', id, { userName: columns.user_name }));
    }),
  );
  return id;
}

export async function describeUser(ctx: AppContext, storeId: string, userId: string): Promise<Wire> {
  const row = await ctx.store.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!row) throw notFound('USER', userId);
  return userWire(row, await externalIdsOfOne(ctx.store.db, 'user_external_ids', userId), storeId);
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts, when there is one. */
  after: string | undefined;
}

/**
 * The reads of ListUsers, prepared once (`storage/prepared.ts`) and run on the read connection:
 * building and compiling them with Kysely cost more than SQLite took to answer. A UserName
 * filter matches at most one user (user names are unique): one statement reads them with their
 * external ids (a left join; a user with none comes once, with nulls), and has no ORDER BY or
 * LIMIT, which SQLite would otherwise set up on every run (they doubled its cost). A page is
 * the users in id order, then the external ids of its id range: for a hundred users the join
 * cost more than the second read (one index search per user against one range scan). Only the
 * columns of the answer are read: making the row objects is most of what a page of 100 costs
 * SQLite (`select *` took 1.5 times as long).
 */
/** `USER_WIRE_COLUMNS` of `u` and a user's external id `e`; `userJoinedRow` reads them in this order. */
const USER_JOINED_COLUMNS = [
  'u.id',
  'u.user_name',
  'u.display_name',
  'u.profile',
  'u.given_name',
  'u.family_name',
  'u.email',
  'u.status',
  'u.created_at',
  'u.created_by',
  'u.updated_at',
  'u.updated_by',
  'e.issuer as ext_issuer',
  'e.external_id as ext_id',
  'e.position as ext_position',
] as const;
type UserJoinedRow = UserWireRow & {
  ext_issuer: string | null;
  ext_id: string | null;
  ext_position: number | null;
};

const usersByName = preparedReadArrays(['name'] as const, (db, p) =>
  db
    .selectFrom('users as u')
    .leftJoin('user_external_ids as e', 'e.user_id', 'u.id')
    .select(USER_JOINED_COLUMNS)
    .where('u.user_name_lower', '=', p.name),
);
const usersByNameAfter = preparedReadArrays(['name', 'after'] as const, (db, p) =>
  db
    .selectFrom('users as u')
    .leftJoin('user_external_ids as e', 'e.user_id', 'u.id')
    .select(USER_JOINED_COLUMNS)
    .where('u.user_name_lower', '=', p.name)
    .where('u.id', '>', p.after),
);
const usersFirst = preparedReadArrays(['limit'] as const, (db, p) =>
  db
    .selectFrom('users')
    .select(USER_WIRE_COLUMNS)
    .orderBy('id')
    .limit(p.limit as unknown as number),
);
const usersAfter = preparedReadArrays(['after', 'limit'] as const, (db, p) =>
  db
    .selectFrom('users')
    .select(USER_WIRE_COLUMNS)
    .where('id', '>', p.after)
    .orderBy('id')
    .limit(p.limit as unknown as number),
);

/** A row of `usersFirst`/`usersAfter` (an array in the order of `USER_WIRE_COLUMNS`). */
function userWireRow(a: readonly unknown[]): UserWireRow {
  return {
    id: a[0] as string,
    user_name: a[1] as string,
    display_name: a[2] as string,
    profile: a[3] as string | null,
    given_name: a[4] as string | null,
    family_name: a[5] as string | null,
    email: a[6] as string | null,
    status: a[7] as string,
    created_at: a[8] as number,
    created_by: a[9] as string,
    updated_at: a[10] as number,
    updated_by: a[11] as string,
  };
}
/** External ids of the users whose ids lie between `from` and `to` (a page read in id order). */
const userExternalIdsBetween = preparedRead(['from', 'to'] as const, (db, p) =>
  db
    .selectFrom('user_external_ids')
    .select(['user_id as owner', 'issuer', 'external_id', 'position'])
    .where('user_id', '>=', p.from)
    .where('user_id', '<=', p.to)
    .orderBy('user_id')
    .orderBy('position'),
);

/** A row of `usersByName`/`usersByNameAfter` (an array in the order of `USER_JOINED_COLUMNS`). */
function userJoinedRow(a: readonly unknown[]): UserJoinedRow {
  return {
    ...userWireRow(a),
    ext_issuer: a[12] as string | null,
    ext_id: a[13] as string | null,
    ext_position: a[14] as number | null,
  };
}

/** The users of a joined read in the order first met, each with its external ids in order. */
function joinedUsers(arrays: readonly unknown[][], storeId: string): Wire[] {
  const users = new Map<string, { row: UserJoinedRow; ext: UserJoinedRow[] }>();
  for (const a of arrays) {
    const row = userJoinedRow(a);
    let user = users.get(row.id);
    if (!user) {
      user = { row, ext: [] };
      users.set(row.id, user);
    }
    if (row.ext_issuer !== null) user.ext.push(row);
  }
  const out: Wire[] = [];
  for (const { row, ext } of users.values()) {
    if (ext.length > 1) ext.sort((a, b) => (a.ext_position ?? 0) - (b.ext_position ?? 0));
    out.push(
      userWire(
        row,
        ext.map((r) => ({ Issuer: r.ext_issuer ?? '', Id: r.ext_id ?? '' })),
        storeId,
      ),
    );
  }
  return out;
}

export async function listUsers(
  ctx: AppContext,
  storeId: string,
  page: { after: string | undefined; limit: number; userName?: string | undefined },
): Promise<Page<Wire>> {
  const store = ctx.store;
  const name = page.userName?.toLowerCase();
  if (name !== undefined) {
    const rows =
      page.after !== undefined
        ? await usersByNameAfter(store, { name, after: page.after })
        : await usersByName(store, { name });
    // At most one user: never a page after it (MaxResults is at least 1).
    return { items: joinedUsers(rows, storeId), after: undefined };
  }
  const arrays =
    page.after !== undefined
      ? await usersAfter(store, { after: page.after, limit: page.limit + 1 })
      : await usersFirst(store, { limit: page.limit + 1 });
  const { items, after } = pageOf(arrays.map(userWireRow), page.limit);
  // The page is a run of consecutive ids: its external ids are those of the users in its id
  // range, one prepared read.
  const ext = new Map<string, ExternalId[]>();
  const first = items[0];
  const last = items.at(-1);
  if (first && last) {
    for (const r of await userExternalIdsBetween(store, { from: first.id, to: last.id })) {
      const list = ext.get(r.owner) ?? [];
      list.push({ Issuer: r.issuer, Id: r.external_id });
      ext.set(r.owner, list);
    }
  }
  return { items: items.map((r) => userWire(r, ext.get(r.id) ?? [], storeId)), after };
}

/**
 * Change a user: `mutate` gets the stored document and returns the new one (or throws). The
 * row is read and written in one transaction, locked on PostgreSQL and under SQLite's write
 * lock, so two updates of one user never lose one another.
 */
export async function updateUser(
  ctx: AppContext,
  who: AdminWho,
  storeId: string,
  userId: string,
  mutate: (doc: Wire) => Wire,
): Promise<WrittenRevocations> {
  const now = ctx.clock.now();
  return uniqueOr('Duplicate UserName or ExternalId', () =>
    revokingTransaction(ctx, async (trx) => {
      await stampForUpdate(trx, 'users', userId, now);
      const row = await trx
        .selectFrom('users')
        .selectAll()
        .where('id', '=', userId)
        .executeTakeFirstOrThrow();
      assertOwnedHere(row.source, 'user.attributes');
      const before = userWire(row, await externalIdsOfOne(trx, 'user_external_ids', userId), storeId);
      const after = mutate(before);
      const columns = userColumns(after);
      await trx
        .updateTable('users')
        .set({ ...columns, updated_at: now, updated_by: who.actor })
        .where('id', '=', userId)
        .execute();
      if (JSON.stringify(after.ExternalIds ?? null) !== JSON.stringify(before.ExternalIds ?? null)) {
        await writeExternalIds(trx, 'user', userId, after.ExternalIds as ExternalId[] | undefined);
      }
      // A new user name is a new sign-in identity: sessions under the old one end.
      if (columns.user_name_lower !== row.user_name_lower)
        await revokeUserSessions(trx, userId, now, 'user_renamed');
      await writeAudit(
        trx,
        auditOf(who, now, 'user.update', 'USER', userId, { changed: changedKeys(before, after) }),
      );
    }),
  );
}

function changedKeys(before: Wire, after: Wire): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter(
    (k) => !['UpdatedAt', 'UpdatedBy'].includes(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
}

export async function deleteUser(
  ctx: AppContext,
  who: AdminWho,
  userId: string,
): Promise<WrittenRevocations> {
  const now = ctx.clock.now();
  return revokingTransaction(ctx, async (trx) => {
    const row = await trx
      .selectFrom('users')
      .select(['user_name', 'source'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!row) throw notFound('USER', userId);
    assertOwnedHere(row.source, 'user.delete');
    await revokeUserSessions(trx, userId, now, 'user_deleted');
    await trx
      .deleteFrom('account_assignments')
      .where('principal_type', '=', 'USER')
      .where('principal_id', '=', userId)
      .execute();
    await trx.deleteFrom('users').where('id', '=', userId).execute();
    await writeAudit(trx, auditOf(who, now, 'user.delete', 'USER', userId, { userName: row.user_name }));
  });
}

/** GetUserId: by external id, or by the unique attributes `userName` and `emails.value`. */
export async function findUserId(
  ctx: AppContext,
  by: { externalId: ExternalId } | { path: string; value: string },
): Promise<string> {
  const db = ctx.store.db;
  let id: string | undefined;
  if ('externalId' in by) {
    id = (
      await db
        .selectFrom('user_external_ids')
        .select('user_id')
        .where('issuer', '=', by.externalId.Issuer)
        .where('external_id', '=', by.externalId.Id)
        .executeTakeFirst()
    )?.user_id;
  } else if (by.path === 'userName') {
    id = (
      await db
        .selectFrom('users')
        .select('id')
        .where('user_name_lower', '=', by.value.toLowerCase())
        .executeTakeFirst()
    )?.id;
  } else {
    id = (
      await db.selectFrom('users').select('id').where('email', '=', by.value).orderBy('id').executeTakeFirst()
    )?.id;
  }
  if (!id) throw notFound('USER', 'USER');
  return id;
}

// ---- groups ----

export function groupWire(row: GroupRow, externalIds: readonly ExternalId[], storeId: string): Wire {
  const out: Wire = {
    GroupId: row.id,
    DisplayName: row.display_name,
    IdentityStoreId: storeId,
    CreatedAt: seconds(row.created_at),
    CreatedBy: row.created_by,
    UpdatedAt: seconds(row.updated_at),
    UpdatedBy: row.updated_by,
  };
  if (row.description !== null) out.Description = row.description;
  if (externalIds.length > 0) out.ExternalIds = externalIds;
  return out;
}

function groupColumns(doc: Wire) {
  const name = doc.DisplayName as string;
  if (RESERVED_NAMES.has(name.toLowerCase())) {
    throw new DomainError('validation', `${name} is a reserved name and can't be used for groups`);
  }
  return {
    display_name: name,
    display_name_lower: name.toLowerCase(),
    description: (doc.Description as string | undefined) ?? null,
  };
}

export async function createGroup(
  ctx: AppContext,
  who: AdminWho,
  storeId: string,
  doc: Wire,
): Promise<string> {
  const columns = groupColumns(doc);
  const id = newDirectoryId(ctx.random, storeId);
  const now = ctx.clock.now();
  await uniqueOr('Duplicate GroupDisplayName', () =>
    ctx.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('groups')
        .values({
          id,
          ...columns,
          external_id: null,
          created_at: now,
          updated_at: now,
          created_by: who.actor,
          updated_by: who.actor,
        })
        .execute();
      await writeAudit(trx, auditOf(who, now, 'group.create', 'GROUP', id, { name: columns.display_name }));
    }),
  );
  return id;
}

export async function describeGroup(ctx: AppContext, storeId: string, groupId: string): Promise<Wire> {
  const row = await ctx.store.db
    .selectFrom('groups')
    .selectAll()
    .where('id', '=', groupId)
    .executeTakeFirst();
  if (!row) throw notFound('GROUP', groupId);
  return groupWire(row, await externalIdsOfOne(ctx.store.db, 'group_external_ids', groupId), storeId);
}

export async function listGroups(
  ctx: AppContext,
  storeId: string,
  page: { after: string | undefined; limit: number; displayName?: string | undefined },
): Promise<Page<Wire>> {
  const rows = await ctx.store.db
    .selectFrom('groups')
    .selectAll()
    .$if(page.displayName !== undefined, (q) =>
      q.where('display_name_lower', '=', (page.displayName ?? '').toLowerCase()),
    )
    .$if(page.after !== undefined, (q) => q.where('id', '>', page.after ?? ''))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  return wirePage(ctx.store.db, 'group_external_ids', pageOf(rows, page.limit), (r, ext) =>
    groupWire(r, ext, storeId),
  );
}

export async function updateGroup(
  ctx: AppContext,
  who: AdminWho,
  storeId: string,
  groupId: string,
  mutate: (doc: Wire) => Wire,
): Promise<void> {
  const now = ctx.clock.now();
  await uniqueOr('Duplicate GroupDisplayName or ExternalId', () =>
    ctx.store.db.transaction().execute(async (trx) => {
      await stampForUpdate(trx, 'groups', groupId, now);
      const row = await trx
        .selectFrom('groups')
        .selectAll()
        .where('id', '=', groupId)
        .executeTakeFirstOrThrow();
      assertOwnedHere(row.source, 'group.attributes');
      const before = groupWire(row, await externalIdsOfOne(trx, 'group_external_ids', groupId), storeId);
      const after = mutate(before);
      await trx
        .updateTable('groups')
        .set({ ...groupColumns(after), updated_at: now, updated_by: who.actor })
        .where('id', '=', groupId)
        .execute();
      if (JSON.stringify(after.ExternalIds ?? null) !== JSON.stringify(before.ExternalIds ?? null)) {
        await writeExternalIds(trx, 'group', groupId, after.ExternalIds as ExternalId[] | undefined);
      }
      await writeAudit(
        trx,
        auditOf(who, now, 'group.update', 'GROUP', groupId, { changed: changedKeys(before, after) }),
      );
    }),
  );
}

/**
 * Delete a group. A group that still has members or account assignments is refused
 * (ConflictException): deleting it would take access away from people through a call that
 * names none of them; remove the memberships and assignments first.
 */
export async function deleteGroup(ctx: AppContext, who: AdminWho, groupId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('groups')
      .select(['display_name', 'source'])
      .where('id', '=', groupId)
      .executeTakeFirst();
    if (!row) throw notFound('GROUP', groupId);
    assertOwnedHere(row.source, 'group.delete');
    const member = await trx
      .selectFrom('group_memberships')
      .select('id')
      .where('group_id', '=', groupId)
      .executeTakeFirst();
    if (member) {
      throw new DomainError('conflict', 'The group has members; delete its group memberships first', {
        reason: 'CONCURRENT_MODIFICATION',
      });
    }
    const assigned = await trx
      .selectFrom('account_assignments')
      .select('id')
      .where('principal_type', '=', 'GROUP')
      .where('principal_id', '=', groupId)
      .executeTakeFirst();
    if (assigned) {
      throw new DomainError('conflict', 'The group has account assignments; delete them first', {
        reason: 'CONCURRENT_MODIFICATION',
      });
    }
    await trx.deleteFrom('groups').where('id', '=', groupId).execute();
    await writeAudit(trx, auditOf(who, now, 'group.delete', 'GROUP', groupId, { name: row.display_name }));
  });
}

export async function findGroupId(
  ctx: AppContext,
  by: { externalId: ExternalId } | { path: string; value: string },
): Promise<string> {
  const db = ctx.store.db;
  const id =
    'externalId' in by
      ? (
          await db
            .selectFrom('group_external_ids')
            .select('group_id')
            .where('issuer', '=', by.externalId.Issuer)
            .where('external_id', '=', by.externalId.Id)
            .executeTakeFirst()
        )?.group_id
      : (
          await db
            .selectFrom('groups')
            .select('id')
            .where('display_name_lower', '=', by.value.toLowerCase())
            .executeTakeFirst()
        )?.id;
  if (!id) throw notFound('GROUP', 'GROUP');
  return id;
}

// ---- memberships ----

interface MembershipRow {
  id: string;
  group_id: string;
  user_id: string;
  created_at: number;
  created_by: string;
}

export function membershipWire(m: MembershipRow, storeId: string): Wire {
  return {
    IdentityStoreId: storeId,
    MembershipId: m.id,
    GroupId: m.group_id,
    MemberId: { UserId: m.user_id },
    CreatedAt: seconds(m.created_at),
    CreatedBy: m.created_by,
    UpdatedAt: seconds(m.created_at),
    UpdatedBy: m.created_by,
  };
}

export async function createMembership(
  ctx: AppContext,
  who: AdminWho,
  storeId: string,
  groupId: string,
  userId: string,
): Promise<string> {
  const now = ctx.clock.now();
  const id = newDirectoryId(ctx.random, storeId);
  await uniqueOr('Member is already in the group', () =>
    ctx.store.db.transaction().execute(async (trx) => {
      const group = await trx
        .selectFrom('groups')
        .select('source')
        .where('id', '=', groupId)
        .executeTakeFirst();
      if (!group) throw notFound('GROUP', groupId);
      assertOwnedHere(group.source, 'group.members');
      const user = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
      if (!user) throw notFound('USER', userId);
      await trx
        .insertInto('group_memberships')
        .values({ id, group_id: groupId, user_id: userId, created_at: now, created_by: who.actor })
        .execute();
      await writeAudit(trx, auditOf(who, now, 'membership.create', 'MEMBERSHIP', id, { groupId, userId }));
    }),
  );
  return id;
}

/** Delete a membership; the role credentials it alone gave stop verifying. */
export async function deleteMembership(
  ctx: AppContext,
  who: AdminWho,
  membershipId: string,
): Promise<WrittenRevocations> {
  const now = ctx.clock.now();
  return revokingTransaction(ctx, async (trx) => {
    const m = await trx
      .selectFrom('group_memberships')
      .selectAll()
      .where('id', '=', membershipId)
      .executeTakeFirst();
    if (!m) throw notFound('GROUP_MEMBERSHIP', membershipId);
    const group = await trx
      .selectFrom('groups')
      .select('source')
      .where('id', '=', m.group_id)
      .executeTakeFirstOrThrow();
    assertOwnedHere(group.source, 'group.members');
    await trx.deleteFrom('group_memberships').where('id', '=', membershipId).execute();
    const granted = await trx
      .selectFrom('account_assignments')
      .select(['account_id', 'permission_set_id'])
      .where('principal_type', '=', 'GROUP')
      .where('principal_id', '=', m.group_id)
      .execute();
    await revokeUnreachable(
      trx,
      granted.map((g) => ({
        userId: m.user_id,
        accountId: g.account_id,
        permissionSetId: g.permission_set_id,
      })),
    );
    await writeAudit(
      trx,
      auditOf(who, now, 'membership.delete', 'MEMBERSHIP', membershipId, {
        groupId: m.group_id,
        userId: m.user_id,
      }),
    );
  });
}

export async function describeMembership(
  ctx: AppContext,
  storeId: string,
  membershipId: string,
): Promise<Wire> {
  const m = await ctx.store.db
    .selectFrom('group_memberships')
    .selectAll()
    .where('id', '=', membershipId)
    .executeTakeFirst();
  if (!m) throw notFound('GROUP_MEMBERSHIP', membershipId);
  return membershipWire(m, storeId);
}

export async function listMemberships(
  ctx: AppContext,
  storeId: string,
  of: { groupId: string } | { userId: string },
  page: { after: string | undefined; limit: number },
): Promise<Page<Wire>> {
  const db = ctx.store.db;
  if ('groupId' in of) {
    const g = await db.selectFrom('groups').select('id').where('id', '=', of.groupId).executeTakeFirst();
    if (!g) throw notFound('GROUP', of.groupId);
  } else {
    const u = await db.selectFrom('users').select('id').where('id', '=', of.userId).executeTakeFirst();
    if (!u) throw notFound('USER', of.userId);
  }
  const rows = await db
    .selectFrom('group_memberships')
    .selectAll()
    .$if('groupId' in of, (q) => q.where('group_id', '=', (of as { groupId: string }).groupId))
    .$if('userId' in of, (q) => q.where('user_id', '=', (of as { userId: string }).userId))
    .$if(page.after !== undefined, (q) => q.where('id', '>', page.after ?? ''))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  const { items, after } = pageOf(rows, page.limit);
  return { items: items.map((m) => membershipWire(m, storeId)), after };
}

export async function findMembershipId(ctx: AppContext, groupId: string, userId: string): Promise<string> {
  const m = await ctx.store.db
    .selectFrom('group_memberships')
    .select('id')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!m) throw notFound('GROUP_MEMBERSHIP', `${groupId}`);
  return m.id;
}

/** IsMemberInGroups: for each group, whether the user is in it. */
export async function membershipsAmong(
  ctx: AppContext,
  userId: string,
  groupIds: readonly string[],
): Promise<Set<string>> {
  const rows = await ctx.store.db
    .selectFrom('group_memberships')
    .select('group_id')
    .where('user_id', '=', userId)
    .where('group_id', 'in', groupIds)
    .execute();
  return new Set(rows.map((r) => r.group_id));
}
