/**
 * The directory sync (`idcenter directory sync`, and the server on its interval): read the
 * directory, compare it with the directory users and groups here, and write the difference.
 *
 * - Everything is read before anything is written: a sync that could not read (a server down,
 *   a bad certificate, a search refused) changes nothing.
 * - Users are matched by their external id (objectGUID, entryUUID), so a rename or a move between
 *   OUs is an update. A user whose name a local user holds, or that two directory entries share,
 *   or that another user here keeps (one an incremental sync did not read, one gone from the
 *   directory) is left out and reported, in the result, the audit row and the server's log; an
 *   existing user left out so keeps its old name, its groups, and is still disabled when the
 *   directory disables it. Names that move between users in one sync (a swap) move.
 * - A full sync reads every user and notices deletions; an incremental one reads only the users
 *   changed since the last (a higher uSNChanged, a later entryCSN or modifyTimestamp) and every
 *   group.
 * - A user disabled in the directory, or gone from it (full syncs), is disabled here by
 *   `disableUser`, exactly as `idcenter user disable` does: sessions, tokens and role credentials
 *   end. The deletion guard refuses a sync that would disable more users than it allows (a wrong
 *   filter that returns nothing must not disable everyone).
 * - Users and groups change in one transaction with the generation bump and one audit row for
 *   the run; each disable or enable has its own audit row.
 */
import type { Kysely } from 'kysely';
import { DomainError } from '../../domain/errors.ts';
import { checkDisplayName, checkEmail, checkUserName, userNameKey } from '../../domain/identity/directory.ts';
import { type DirectorySettings, guardLimit } from '../../domain/identity/identity-source.ts';
import { newDirectoryId } from '../../domain/ids.ts';
import type { Dialect } from '../../storage/db.ts';
import type { Database, UserRow } from '../../storage/schema.ts';
import { type Reach, revokeUnreachable } from '../access-loss.ts';
import { deleteByIds, insertChunked, updateByIds } from '../apply/steps/bulk.ts';
import { type AuditEvent, writeAudit, writeAuditBatch } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { bumpGeneration } from '../instance.ts';
import { revokingTransaction, type WrittenRevocations } from '../revocation.ts';
import { disableUser, enableUser } from '../users.ts';
import { bindPassword, DirectoryError, openServiceConnection } from './ldap.ts';
import { type DirectoryGroup, type DirectoryRead, type DirectoryUser, dnKey, readDirectory } from './read.ts';
import { loadIdentitySource } from './settings.ts';

export interface SyncOptions {
  /** Read every user and notice deletions, whatever the interval says. */
  full?: boolean;
  /** Read and compare, write nothing. */
  dryRun?: boolean;
  /**
   * Go past the deletion guard on purpose (`idcenter directory sync --force`): the users the
   * directory lost are disabled however many they are, with a warning in the result and a
   * `directory.sync_forced` audit row.
   */
  force?: boolean;
  actor?: string;
  progress?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * Called with each set of revocations the sync wrote (lost access, disabled users): a server
   * applies them to its own credential verifier at once; other replicas see them at their next
   * refresh.
   */
  onRevocations?: (written: WrittenRevocations) => void;
}

export interface SyncResult {
  mode: 'full' | 'incremental';
  dryRun: boolean;
  /** Directory server that answered. */
  server: string;
  usersRead: number;
  groupsRead: number;
  created: string[];
  updated: string[];
  disabled: Array<{ userName: string; why: 'disabled in the directory' | 'gone from the directory' }>;
  enabled: string[];
  groupsCreated: string[];
  groupsUpdated: string[];
  groupsDeleted: string[];
  membershipsAdded: number;
  membershipsRemoved: number;
  /** Entries left out, each with why. */
  skipped: string[];
  /** Set when `force` took the sync past the deletion guard: the warning to show. */
  forced: string | null;
}

/** The deletion guard refused the sync: nothing was written. */
export class SyncRefused extends Error {
  readonly result: SyncResult;
  constructor(message: string, result: SyncResult) {
    super(message);
    this.name = 'SyncRefused';
    this.result = result;
  }
}

/** What a sync needs of every user here: who, which entry, and status. */
const STORED_USER_COLUMNS = [
  'id',
  'user_name',
  'status',
  'external_id',
  'directory_dn',
  'source',
  'updated_by',
] as const;
/** What it compares with the directory, needed only for the users it read. */
const USER_DETAIL_COLUMNS = ['display_name', 'given_name', 'family_name', 'email'] as const;

type StoredUser = Pick<UserRow, (typeof STORED_USER_COLUMNS)[number]>;
type UserDetail = Pick<UserRow, (typeof USER_DETAIL_COLUMNS)[number]>;

/** Actors of the sync: a user they disabled is enabled again when the directory enables it. */
const SYNC_ACTORS = /^(?:directory-sync|server:directory-sync|cli:directory-sync)$/;

interface StoredGroup {
  id: string;
  display_name: string;
  description: string | null;
  external_id: string | null;
  directory_dn: string | null;
  source: string;
}

/** The directory settings, or a clear error when the instance uses the built-in directory. */
export async function directorySettings(ctx: AppContext): Promise<DirectorySettings> {
  const source = await loadIdentitySource(ctx.store.db);
  if (source.kind === 'builtIn') {
    throw new DomainError(
      'validation',
      'the identity source is the built-in directory: set identitySource in the organization file and run idcenter apply',
    );
  }
  return source;
}

/**
 * Sync users and groups from the directory.
 *
 * @throws DirectoryError when the directory cannot be read (nothing written), SyncRefused when
 *   the deletion guard stops it (nothing written, an audit row says why)
 */
export async function syncDirectory(ctx: AppContext, options: SyncOptions = {}): Promise<SyncResult> {
  const settings = await directorySettings(ctx);
  const actor = options.actor ?? 'directory-sync';
  const progress = options.progress ?? (() => {});
  const state = await ctx.store.db
    .selectFrom('directory_sync')
    .selectAll()
    .where('id', '=', 'default')
    .executeTakeFirst();
  const now = ctx.clock.now();
  const [cursorServer, cursorMark] = splitCursor(state?.cursor ?? null);

  const password = bindPassword(settings, options.env);
  progress(`connecting to ${settings.urls.join(', ')}`);
  let conn: Awaited<ReturnType<typeof openServiceConnection>>;
  try {
    conn = await openServiceConnection(settings, password);
  } catch (err) {
    await recordFailure(ctx, actor, err);
    throw err;
  }
  const full =
    options.full === true ||
    cursorMark === undefined ||
    cursorServer !== conn.url ||
    state?.last_full_at == null ||
    now - state.last_full_at >= settings.fullSyncIntervalSeconds * 1000;
  progress(`${full ? 'full' : 'incremental'} sync from ${conn.url}`);
  let read: DirectoryRead;
  try {
    read = await readDirectory(conn, settings, full ? undefined : cursorMark, progress);
  } catch (err) {
    await recordFailure(ctx, actor, err);
    throw err;
  } finally {
    await conn.close();
  }
  progress(`read ${read.users.length} users and ${read.groups.length} groups`);

  const plan = await planSync(ctx.store.db, settings, read, full);
  const result: SyncResult = {
    mode: full ? 'full' : 'incremental',
    dryRun: options.dryRun === true,
    server: conn.url,
    usersRead: read.users.length,
    groupsRead: read.groups.length,
    created: plan.createUsers.map((u) => u.userName),
    updated: plan.updateUsers.map((u) => u.userName),
    disabled: plan.disable.map((d) => ({ userName: d.userName, why: d.why })),
    enabled: plan.enable.map((u) => u.userName),
    groupsCreated: plan.createGroups.map((g) => g.name),
    groupsUpdated: plan.updateGroups.map((g) => g.name),
    groupsDeleted: plan.deleteGroups.map((g) => g.display_name),
    membershipsAdded: plan.addMemberships.length,
    membershipsRemoved: plan.removeMemberships.length,
    skipped: plan.skipped,
    forced: null,
  };

  const limit = guardLimit(settings.deletionGuard, plan.enabledDirectoryUsers);
  const guard =
    'count' in settings.deletionGuard
      ? `${settings.deletionGuard.count} users`
      : `${settings.deletionGuard.percent}%`;
  const guardDetail = {
    wouldDisable: plan.disable.length,
    limit,
    deletionGuard: guard,
    usersRead: read.users.length,
  };
  if (plan.disable.length > limit && options.force === true) {
    result.forced = `--force: the deletion guard was overridden; ${result.dryRun ? 'would disable' : 'disabling'} ${plan.disable.length} of ${plan.enabledDirectoryUsers} directory users, more than deletionGuard ${guard} allows (${limit})`;
    progress(`warning: ${result.forced}`);
  } else if (plan.disable.length > limit) {
    const message = `the sync would disable ${plan.disable.length} of ${plan.enabledDirectoryUsers} directory users, more than the deletion guard allows (${limit}, deletionGuard ${guard}); nothing was changed. Check identitySource.users (base DN and filter); if the directory really lost them, raise deletionGuard, or run idcenter directory sync --force once to disable them anyway`;
    if (!result.dryRun) {
      await writeAudit(ctx.store.db, {
        at: ctx.clock.now(),
        actor,
        action: 'directory.sync_refused',
        targetType: 'DIRECTORY',
        targetId: conn.url,
        detail: guardDetail,
      });
      await saveState(ctx.store.db, state?.cursor ?? null, state?.last_full_at ?? null, ctx.clock.now(), {
        ok: false,
        refused: message,
      });
    }
    throw new SyncRefused(message, result);
  }
  if (result.dryRun) return result;

  if (result.forced !== null) {
    // Written first, on its own: it stands even if a later step fails.
    await writeAudit(ctx.store.db, {
      at: ctx.clock.now(),
      actor,
      action: 'directory.sync_forced',
      targetType: 'DIRECTORY',
      targetId: conn.url,
      detail: { ...guardDetail, warning: result.forced },
    });
  }
  const revoked = options.onRevocations ?? (() => {});
  // Nothing to write, no transaction: the store's generation (and every cache keyed on it) stays.
  if (writesSomething(plan)) revoked(await writeSync(ctx, plan, actor, progress));
  for (const d of plan.disable) revoked((await disableUser(ctx, d.id, actor)).written);
  for (const u of plan.enable) await enableUser(ctx, u.id, actor);
  await writeAudit(ctx.store.db, {
    at: ctx.clock.now(),
    actor,
    action: 'directory.sync',
    targetType: 'DIRECTORY',
    targetId: conn.url,
    // What was left out, and why (a name already taken here, …): the first few, for the operator.
    detail: { ...summary(result), ...(result.skipped.length > 0 ? { leftOut: leftOut(result) } : {}) },
  });
  const cursor = read.cursor === undefined ? (state?.cursor ?? null) : `${conn.url} ${read.cursor}`;
  await saveState(ctx.store.db, cursor, full ? now : (state?.last_full_at ?? null), ctx.clock.now(), {
    ok: true,
    ...summary(result),
  });
  return result;
}

/** Counts of a result, for the audit row, the log and the last result kept. */
export function summary(r: SyncResult): Record<string, number | string> {
  return {
    mode: r.mode,
    usersRead: r.usersRead,
    groupsRead: r.groupsRead,
    created: r.created.length,
    updated: r.updated.length,
    disabled: r.disabled.length,
    enabled: r.enabled.length,
    groupsCreated: r.groupsCreated.length,
    groupsUpdated: r.groupsUpdated.length,
    groupsDeleted: r.groupsDeleted.length,
    membershipsAdded: r.membershipsAdded,
    membershipsRemoved: r.membershipsRemoved,
    skipped: r.skipped.length,
  };
}

/** How many left-out entries the audit row and the log name. */
const LEFT_OUT_SHOWN = 20;

/** The first entries a sync left out, with why. */
export function leftOut(r: SyncResult): string[] {
  return r.skipped.slice(0, LEFT_OUT_SHOWN);
}

function splitCursor(cursor: string | null): [string | undefined, string | undefined] {
  if (!cursor) return [undefined, undefined];
  const space = cursor.lastIndexOf(' ');
  return space < 0 ? [undefined, undefined] : [cursor.slice(0, space), cursor.slice(space + 1)];
}

async function recordFailure(ctx: AppContext, actor: string, err: unknown): Promise<void> {
  const message = err instanceof Error ? err.message : String(err);
  await writeAudit(ctx.store.db, {
    at: ctx.clock.now(),
    actor,
    action: 'directory.sync_failure',
    targetType: 'DIRECTORY',
    targetId: null,
    detail: { kind: err instanceof DirectoryError ? err.kind : 'other', message: message.slice(0, 500) },
  });
}

async function saveState(
  db: Kysely<Database>,
  cursor: string | null,
  lastFullAt: number | null,
  at: number,
  result: Record<string, unknown>,
): Promise<void> {
  const values = {
    cursor,
    last_full_at: lastFullAt,
    last_run_at: at,
    last_result: JSON.stringify(result),
  };
  await db
    .insertInto('directory_sync')
    .values({ id: 'default', ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

interface WantUser {
  dn: string;
  externalId: string;
  userName: string;
  displayName: string;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  disabled: boolean;
}

interface SyncPlan {
  createUsers: WantUser[];
  /**
   * `adminDisabled`: disabled here by an administrator; the update keeps that actor, so a later
   * sync still knows the disable is not its own to undo.
   */
  updateUsers: Array<WantUser & { id: string; previousName: string; adminDisabled: boolean }>;
  disable: Array<{
    id: string;
    userName: string;
    why: 'disabled in the directory' | 'gone from the directory';
  }>;
  enable: Array<{ id: string; userName: string }>;
  createGroups: Array<{ dn: string; externalId: string; name: string; description: string | null }>;
  updateGroups: Array<{
    id: string;
    dn: string;
    name: string;
    previousName: string;
    description: string | null;
  }>;
  deleteGroups: StoredGroup[];
  /** By external ids (user, group): the rows may not exist yet. */
  addMemberships: Array<{ group: string; user: string }>;
  removeMemberships: Array<{ id: string; userId: string; groupId: string }>;
  skipped: string[];
  /** Directory users here that are enabled: what the deletion guard's percentage is of. */
  enabledDirectoryUsers: number;
}

/** Directory values are untrusted text: what breaks a rule of the store is left out. */
function wantUser(u: DirectoryUser, skipped: string[]): WantUser | undefined {
  if (!u.externalId) {
    skipped.push(`${u.dn}: no external id attribute; left out`);
    return undefined;
  }
  if (!u.userName) {
    skipped.push(`${u.dn}: no user name attribute; left out`);
    return undefined;
  }
  const nameProblem = checkUserName(u.userName);
  if (nameProblem) {
    skipped.push(`${u.dn}: ${nameProblem}; left out`);
    return undefined;
  }
  const displayName = u.displayName && !checkDisplayName(u.displayName) ? u.displayName : u.userName;
  return {
    dn: u.dn,
    externalId: u.externalId,
    userName: u.userName,
    displayName,
    givenName: u.givenName ?? null,
    familyName: u.familyName ?? null,
    email: u.email && !checkEmail(u.email) ? u.email : null,
    disabled: u.disabled,
  };
}

async function planSync(
  db: Kysely<Database>,
  settings: DirectorySettings,
  read: DirectoryRead,
  full: boolean,
): Promise<SyncPlan> {
  const [[users, details], groups, memberships] = await Promise.all([
    storedUsers(db, read, full),
    db
      .selectFrom('groups')
      .select(['id', 'display_name', 'description', 'external_id', 'directory_dn', 'source'])
      .execute() as Promise<StoredGroup[]>,
    db
      .selectFrom('group_memberships')
      .innerJoin('groups', 'groups.id', 'group_memberships.group_id')
      .where('groups.source', '=', 'directory')
      .select(['group_memberships.id', 'group_memberships.group_id', 'group_memberships.user_id'])
      .execute(),
  ]);
  const plan: SyncPlan = {
    createUsers: [],
    updateUsers: [],
    disable: [],
    enable: [],
    createGroups: [],
    updateGroups: [],
    deleteGroups: [],
    addMemberships: [],
    removeMemberships: [],
    skipped: [],
    enabledDirectoryUsers: 0,
  };
  const localNames = new Set<string>();
  const byExternalId = new Map<string, StoredUser>();
  for (const u of users) {
    if (u.source === 'directory' && u.external_id) {
      byExternalId.set(u.external_id, u);
      if (u.status === 'ENABLED') plan.enabledDirectoryUsers++;
    } else localNames.add(userNameKey(u.user_name));
  }

  // Names two entries share are left out: which one is meant cannot be known.
  const wanted: WantUser[] = [];
  for (const u of read.users) {
    const w = wantUser(u, plan.skipped);
    if (w) wanted.push(w);
  }
  const nameCount = new Map<string, number>();
  for (const w of wanted)
    nameCount.set(userNameKey(w.userName), (nameCount.get(userNameKey(w.userName)) ?? 0) + 1);
  const blocked = blockedNames(wanted, nameCount, localNames, users, byExternalId, full);
  const seen = new Set<string>();
  const userIdOfDn = new Map<string, string>(); // dn key → external id
  for (const w of wanted) {
    seen.add(w.externalId);
    const stored = byExternalId.get(w.externalId);
    const why = blocked.get(w.externalId);
    if (why) {
      plan.skipped.push(`${w.dn}: ${why}`);
      if (!stored) continue;
      // A user here whose new name cannot be taken keeps the old one, and stays who they are:
      // in their groups, and disabled when the directory disables them.
      userIdOfDn.set(dnKey(w.dn), w.externalId);
      planStatus(plan, stored, w);
      continue;
    }
    userIdOfDn.set(dnKey(w.dn), w.externalId);
    if (!stored) {
      plan.createUsers.push(w);
      continue;
    }
    const detail = details.get(stored.id);
    if (
      stored.user_name !== w.userName ||
      detail?.display_name !== w.displayName ||
      detail.given_name !== w.givenName ||
      detail.family_name !== w.familyName ||
      detail.email !== w.email ||
      stored.directory_dn !== w.dn
    ) {
      plan.updateUsers.push({
        ...w,
        id: stored.id,
        previousName: stored.user_name,
        adminDisabled: stored.status === 'DISABLED' && !SYNC_ACTORS.test(stored.updated_by),
      });
    }
    planStatus(plan, stored, w);
  }
  if (full) {
    for (const [externalId, stored] of byExternalId) {
      if (!seen.has(externalId) && stored.status === 'ENABLED') {
        plan.disable.push({ id: stored.id, userName: stored.user_name, why: 'gone from the directory' });
      }
    }
  }
  // DNs of users not read this time (incremental runs) still count for membership.
  for (const u of users) {
    if (u.source === 'directory' && u.external_id && u.directory_dn && !seen.has(u.external_id)) {
      userIdOfDn.set(dnKey(u.directory_dn), u.external_id);
    }
  }

  planGroups(plan, read.groups, groups, memberships, userIdOfDn, users, settings);
  return plan;
}

/**
 * Every user here (the columns every sync needs), and the compared columns by id: of everyone on
 * a full sync, in the same read; of the directory users read, on an incremental one (a few,
 * usually, against tens of thousands of rows).
 */
async function storedUsers(
  db: Kysely<Database>,
  read: DirectoryRead,
  full: boolean,
): Promise<[StoredUser[], Map<string, UserDetail>]> {
  if (full) {
    const rows = await db
      .selectFrom('users')
      .select([...STORED_USER_COLUMNS, ...USER_DETAIL_COLUMNS])
      .execute();
    return [rows, new Map(rows.map((r) => [r.id, r]))];
  }
  const rows = await db.selectFrom('users').select(STORED_USER_COLUMNS).execute();
  const details = new Map<string, UserDetail>();
  const ids = read.users.flatMap((u) => (u.externalId ? [u.externalId] : []));
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const found = await db
      .selectFrom('users')
      .select(['id', ...USER_DETAIL_COLUMNS])
      .where('source', '=', 'directory')
      .where('external_id', 'in', ids.slice(i, i + ID_CHUNK))
      .execute();
    for (const r of found) details.set(r.id, r);
  }
  return [rows, details];
}

/** Disable or enable a user here as the directory says. */
function planStatus(plan: SyncPlan, stored: StoredUser, w: WantUser): void {
  if (w.disabled && stored.status === 'ENABLED') {
    plan.disable.push({ id: stored.id, userName: stored.user_name, why: 'disabled in the directory' });
  } else if (!w.disabled && stored.status === 'DISABLED' && SYNC_ACTORS.test(stored.updated_by)) {
    // Only what a sync disabled: a user an administrator disabled here stays disabled.
    plan.enable.push({ id: stored.id, userName: stored.user_name });
  }
}

/**
 * The directory entries read whose user name cannot be taken, each with why: a name two entries
 * share, a name a local user holds, or a name another user here holds and keeps — one this
 * sync did not read (an incremental sync after a rename in the directory), one gone from the
 * directory (disabled, not deleted), or one whose own rename is left out. A name a user here
 * gives up in the same sync (a rename, a swap) is free. Two users can never end up with one
 * name, whichever kind of sync runs.
 */
function blockedNames(
  wanted: WantUser[],
  nameCount: Map<string, number>,
  localNames: Set<string>,
  users: StoredUser[],
  byExternalId: Map<string, StoredUser>,
  full: boolean,
): Map<string, string> {
  const blocked = new Map<string, string>(); // external id → why
  if (wanted.length === 0) return blocked;
  for (const w of wanted) {
    const key = userNameKey(w.userName);
    if ((nameCount.get(key) ?? 0) > 1) {
      blocked.set(
        w.externalId,
        `user name "${w.userName}" is held by more than one directory entry; left out until it is unique`,
      );
    } else if (localNames.has(key)) {
      blocked.set(
        w.externalId,
        `user name "${w.userName}" belongs to a local user here; left out (rename one of them)`,
      );
    }
  }
  const holderOf = new Map(users.map((u) => [userNameKey(u.user_name), u]));
  const readIds = new Set(wanted.map((w) => w.externalId));
  const claims = wanted.map((w) => {
    const stored = byExternalId.get(w.externalId);
    return {
      externalId: w.externalId,
      name: w.userName,
      key: userNameKey(w.userName),
      stored: stored && { id: stored.id, key: userNameKey(stored.user_name) },
    };
  });
  blockHeldNames(claims, holderOf, blocked, (c, holder) => {
    const from = holder.directory_dn ?? holder.user_name;
    const state =
      holder.external_id && readIds.has(holder.external_id)
        ? 'whose own new name is left out'
        : full
          ? 'gone from the directory; delete that user here to free the name'
          : 'not read by this incremental sync; a full sync (--full) settles a rename';
    return `user name "${c.name}" is held here by another directory user (${from}, ${state}); left out until the name is free`;
  });
  return blocked;
}

interface NameClaim {
  externalId: string;
  name: string;
  key: string;
  /** The row here of the same entry, and the name key it has now. */
  stored: { id: string; key: string } | undefined;
}

/**
 * Add to `blocked` the claims whose name a row here keeps: a row that is not the claim's own
 * and is not renamed by this sync. A rename left out keeps its old name, which may block
 * another claim: repeat until nothing moves.
 */
function blockHeldNames<H extends { id: string }>(
  claims: NameClaim[],
  holderOf: Map<string, H>,
  blocked: Map<string, string>,
  why: (claim: NameClaim, holder: H) => string,
): void {
  for (let changed = true; changed; ) {
    changed = false;
    const renamed = new Set<string>(); // ids of rows here whose name this sync changes
    for (const c of claims)
      if (c.stored && !blocked.has(c.externalId) && c.stored.key !== c.key) renamed.add(c.stored.id);
    for (const c of claims) {
      if (blocked.has(c.externalId)) continue;
      const holder = holderOf.get(c.key);
      if (!holder || holder.id === c.stored?.id || renamed.has(holder.id)) continue;
      blocked.set(c.externalId, why(c, holder));
      changed = true;
    }
  }
}

function planGroups(
  plan: SyncPlan,
  read: DirectoryGroup[],
  groups: StoredGroup[],
  memberships: Array<{ id: string; group_id: string; user_id: string }>,
  userExternalIdOfDn: Map<string, string>,
  users: StoredUser[],
  settings: DirectorySettings,
): void {
  const localNames = new Set(
    groups.filter((g) => g.source !== 'directory').map((g) => g.display_name.toLowerCase()),
  );
  const byExternalId = new Map(
    groups.filter((g) => g.source === 'directory').map((g) => [g.external_id ?? '', g]),
  );
  const nameCount = new Map<string, number>();
  for (const g of read)
    if (g.name) nameCount.set(g.name.toLowerCase(), (nameCount.get(g.name.toLowerCase()) ?? 0) + 1);
  const seen = new Set<string>();
  const blocked = new Map<string, string>(); // external id → why
  const claims: NameClaim[] = [];
  for (const g of read) {
    if (!g.externalId || !g.name) continue;
    seen.add(g.externalId);
    const key = g.name.toLowerCase();
    if ((nameCount.get(key) ?? 0) > 1)
      blocked.set(g.externalId, `group name "${g.name}" is held by more than one directory group; left out`);
    else if (localNames.has(key))
      blocked.set(g.externalId, `group name "${g.name}" belongs to a local group here; left out`);
    const stored = byExternalId.get(g.externalId);
    claims.push({
      externalId: g.externalId,
      name: g.name,
      key,
      stored: stored && { id: stored.id, key: stored.display_name.toLowerCase() },
    });
  }
  // Groups not read are deleted before any is created or renamed: their names are free.
  const holderOf = new Map(
    [...byExternalId.values()]
      .filter((g) => seen.has(g.external_id ?? ''))
      .map((g) => [g.display_name.toLowerCase(), g]),
  );
  blockHeldNames(
    claims,
    holderOf,
    blocked,
    (c, holder) =>
      `group name "${c.name}" is held here by another directory group (${holder.directory_dn ?? holder.display_name}, whose own new name is left out); left out until the name is free`,
  );
  const wantMembers = new Map<string, Set<string>>(); // group external id → user external ids
  for (const g of read) {
    if (!g.externalId || !g.name) {
      plan.skipped.push(`${g.dn}: no ${g.name ? settings.attributes.externalId : 'cn'}; group left out`);
      continue;
    }
    const why = blocked.get(g.externalId);
    if (why) {
      plan.skipped.push(`${g.dn}: ${why}`);
      continue;
    }
    const description = g.description ?? null;
    const stored = byExternalId.get(g.externalId);
    if (!stored) plan.createGroups.push({ dn: g.dn, externalId: g.externalId, name: g.name, description });
    else if (
      stored.display_name !== g.name ||
      stored.description !== description ||
      stored.directory_dn !== g.dn
    ) {
      plan.updateGroups.push({
        id: stored.id,
        dn: g.dn,
        name: g.name,
        previousName: stored.display_name,
        description,
      });
    }
    const members = new Set<string>();
    for (const dn of g.members) {
      const id = userExternalIdOfDn.get(dnKey(dn));
      if (id) members.add(id);
    }
    wantMembers.set(g.externalId, members);
  }
  // Every group is read on every sync, so a group not read is gone.
  for (const [externalId, stored] of byExternalId) if (!seen.has(externalId)) plan.deleteGroups.push(stored);

  const userExternalIdOfId = new Map(users.map((u) => [u.id, u.external_id ?? '']));
  const groupExternalIdOfId = new Map(groups.map((g) => [g.id, g.external_id ?? '']));
  // What is here and wanted leaves the wanted sets; what remains in them is to add.
  for (const m of memberships) {
    const g = groupExternalIdOfId.get(m.group_id) ?? '';
    const u = userExternalIdOfId.get(m.user_id) ?? '';
    const want = wantMembers.get(g);
    if (want === undefined) continue; // the group is deleted (cascade) or left out
    if (!want.delete(u)) plan.removeMemberships.push({ id: m.id, userId: m.user_id, groupId: m.group_id });
  }
  for (const [g, members] of wantMembers) {
    for (const u of members) plan.addMemberships.push({ group: g, user: u });
  }
}

async function writeSync(
  ctx: AppContext,
  plan: SyncPlan,
  actor: string,
  progress: (message: string) => void,
): Promise<WrittenRevocations> {
  const now = ctx.clock.now();
  const dialect = ctx.store.dialect;
  const { revocations, notBefore, ids } = await revokingTransaction(ctx, async (trx) => {
    const instance = await trx
      .selectFrom('instance')
      .select('identity_store_id')
      .where('id', '=', 'default')
      .executeTakeFirstOrThrow();
    const storeId = instance.identity_store_id;
    const audit: AuditEvent[] = [];
    const ev = (
      action: AuditEvent['action'],
      targetType: string,
      targetId: string,
      detail: Record<string, unknown>,
    ) => audit.push({ at: now, actor, action, targetType, targetId, detail });

    // Ids by external id, for the memberships to add (read only when there are some).
    const adding = plan.addMemberships.length > 0;
    const userIds = new Map<string, string>(); // external id → id
    const existing = adding
      ? await trx
          .selectFrom('users')
          .select(['id', 'external_id'])
          .where('source', '=', 'directory')
          .execute()
      : [];
    for (const u of existing) if (u.external_id) userIds.set(u.external_id, u.id);
    await moveNamesAside(
      trx,
      dialect,
      'users',
      'user_name_lower',
      plan.updateUsers,
      (u) => userNameKey(u.userName),
      (u) => userNameKey(u.previousName),
    );
    await updateByIds(
      trx,
      dialect,
      'users',
      plan.updateUsers.map((u) => {
        ev('user.update', 'USER', u.id, { userName: u.userName, source: 'directory' });
        return {
          id: u.id,
          set: {
            user_name: u.userName,
            user_name_lower: userNameKey(u.userName),
            display_name: u.displayName,
            given_name: u.givenName,
            family_name: u.familyName,
            email: u.email,
            directory_dn: u.dn,
            updated_at: now,
            ...(u.adminDisabled ? {} : { updated_by: actor }),
          },
        };
      }),
      undefined,
      'users',
    );
    await insertChunked(
      trx,
      dialect,
      'users',
      plan.createUsers.map((u) => {
        const id = newDirectoryId(ctx.random, storeId);
        userIds.set(u.externalId, id);
        ev('user.create', 'USER', id, { userName: u.userName, source: 'directory' });
        return {
          id,
          user_name: u.userName,
          user_name_lower: userNameKey(u.userName),
          display_name: u.displayName,
          given_name: u.givenName,
          family_name: u.familyName,
          email: u.email,
          status: u.disabled ? 'DISABLED' : 'ENABLED',
          password_hash: null,
          external_id: u.externalId,
          custom_attributes: null,
          source: 'directory',
          directory_dn: u.dn,
          created_at: now,
          updated_at: now,
          created_by: actor,
          updated_by: actor,
        };
      }),
      (_, done, total) => progress(`users written: ${done}/${total}`),
      'users',
    );

    const groupIds = new Map<string, string>();
    const existingGroups = adding
      ? await trx
          .selectFrom('groups')
          .select(['id', 'external_id'])
          .where('source', '=', 'directory')
          .execute()
      : [];
    for (const g of existingGroups) if (g.external_id) groupIds.set(g.external_id, g.id);
    // What the memberships and groups about to go gave, to revoke once every write is done.
    const lossCandidates = await accessGivenBy(trx, plan);
    if (plan.deleteGroups.length > 0) {
      const ids = plan.deleteGroups.map((g) => g.id);
      await trx
        .deleteFrom('account_assignments')
        .where('principal_type', '=', 'GROUP')
        .where('principal_id', 'in', ids)
        .execute();
      await deleteByIds(trx, 'groups', ids);
      for (const g of plan.deleteGroups)
        ev('group.delete', 'GROUP', g.id, { name: g.display_name, source: 'directory' });
    }
    await moveNamesAside(
      trx,
      dialect,
      'groups',
      'display_name_lower',
      plan.updateGroups,
      (g) => g.name.toLowerCase(),
      (g) => g.previousName.toLowerCase(),
    );
    await updateByIds(
      trx,
      dialect,
      'groups',
      plan.updateGroups.map((g) => {
        ev('group.update', 'GROUP', g.id, { name: g.name, source: 'directory' });
        return {
          id: g.id,
          set: {
            display_name: g.name,
            display_name_lower: g.name.toLowerCase(),
            description: g.description,
            directory_dn: g.dn,
            updated_at: now,
            updated_by: actor,
          },
        };
      }),
      undefined,
      'groups',
    );
    await insertChunked(
      trx,
      dialect,
      'groups',
      plan.createGroups.map((g) => {
        const id = newDirectoryId(ctx.random, storeId);
        groupIds.set(g.externalId, id);
        ev('group.create', 'GROUP', id, { name: g.name, source: 'directory' });
        return {
          id,
          display_name: g.name,
          display_name_lower: g.name.toLowerCase(),
          description: g.description,
          external_id: g.externalId,
          source: 'directory',
          directory_dn: g.dn,
          created_at: now,
          updated_at: now,
          created_by: actor,
          updated_by: actor,
        };
      }),
      undefined,
      'groups',
    );

    if (plan.removeMemberships.length > 0) {
      await deleteByIds(
        trx,
        'group_memberships',
        plan.removeMemberships.map((m) => m.id),
      );
    }
    await insertChunked(
      trx,
      dialect,
      'group_memberships',
      plan.addMemberships.flatMap((m) => {
        const groupId = groupIds.get(m.group);
        const userId = userIds.get(m.user);
        if (!groupId || !userId) return [];
        return [
          {
            id: newDirectoryId(ctx.random, storeId),
            group_id: groupId,
            user_id: userId,
            created_at: now,
            created_by: actor,
          },
        ];
      }),
      (_, done, total) => progress(`memberships written: ${done}/${total}`),
      'memberships',
    );
    // A user who left a group keeps the role credentials of what another group (or their own
    // assignment) still gives; those of what they lost stop.
    const revoked = await revokeUnreachable(trx, lossCandidates);
    if (revoked > 0) progress(`role credentials revoked for ${revoked} lost (account, permission set) pairs`);
    if (plan.removeMemberships.length + plan.addMemberships.length > 0) {
      ev('membership.create', 'DIRECTORY', 'sync', {
        added: plan.addMemberships.length,
        removed: plan.removeMemberships.length,
      });
    }
    await writeAuditBatch(trx, audit);
    await bumpGeneration(trx);
  });
  return { revocations, notBefore, ...(ids ? { ids } : {}) };
}

function writesSomething(plan: SyncPlan): boolean {
  return (
    plan.createUsers.length +
      plan.updateUsers.length +
      plan.createGroups.length +
      plan.updateGroups.length +
      plan.deleteGroups.length +
      plan.addMemberships.length +
      plan.removeMemberships.length >
    0
  );
}

/**
 * Names that move from one row to another in this sync (a swap, a chain of renames): the rows
 * giving one up first take a unique name nobody can have (names hold no leading space), so the
 * unique index never sees two rows with one name when the renames are written after this.
 */
async function moveNamesAside<T extends { id: string }>(
  trx: Kysely<Database>,
  dialect: Dialect,
  table: 'users' | 'groups',
  column: 'user_name_lower' | 'display_name_lower',
  rows: T[],
  newKey: (r: T) => string,
  oldKey: (r: T) => string,
): Promise<void> {
  const renamed = rows.filter((r) => newKey(r) !== oldKey(r));
  const taken = new Set(renamed.map(newKey));
  const aside = renamed.filter((r) => taken.has(oldKey(r)));
  await updateByIds(
    trx,
    dialect,
    table,
    aside.map((r) => ({ id: r.id, set: { [column]: ` renaming ${r.id}` } })),
    undefined,
    table,
  );
}

/**
 * The (user, account, permission set) reaches that the memberships the plan removes, and the
 * groups it deletes, give today: each is revoked after the writes unless the user still has it.
 */
async function accessGivenBy(trx: Kysely<Database>, plan: SyncPlan): Promise<Reach[]> {
  const membersOf = new Map<string, string[]>(); // group id → user ids losing it
  for (const m of plan.removeMemberships) push(membersOf, m.groupId, m.userId);
  const deleted = plan.deleteGroups.map((g) => g.id);
  for (let i = 0; i < deleted.length; i += ID_CHUNK) {
    const rows = await trx
      .selectFrom('group_memberships')
      .select(['group_id', 'user_id'])
      .where('group_id', 'in', deleted.slice(i, i + ID_CHUNK))
      .execute();
    for (const r of rows) push(membersOf, r.group_id, r.user_id);
  }
  const groupIds = [...membersOf.keys()];
  const out: Reach[] = [];
  for (let i = 0; i < groupIds.length; i += ID_CHUNK) {
    const granted = await trx
      .selectFrom('account_assignments')
      .select(['principal_id', 'account_id', 'permission_set_id'])
      .where('principal_type', '=', 'GROUP')
      .where('principal_id', 'in', groupIds.slice(i, i + ID_CHUNK))
      .execute();
    for (const a of granted) {
      for (const userId of membersOf.get(a.principal_id) ?? []) {
        out.push({ userId, accountId: a.account_id, permissionSetId: a.permission_set_id });
      }
    }
  }
  return out;
}

/** Ids per `in (…)` list: well under either dialect's bound-parameter limit. */
const ID_CHUNK = 1000;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Take the sync lease for `owner` until `ttlMs` from now, when nobody holds it (or it ran out,
 * or `owner` holds it): one conditional update of the `directory_sync` row, so of the replicas on
 * one PostgreSQL store one syncs at a time. Returns whether `owner` holds it.
 */
export async function takeSyncLease(ctx: AppContext, owner: string, ttlMs: number): Promise<boolean> {
  const now = ctx.clock.now();
  await ctx.store.db
    .insertInto('directory_sync')
    .values({
      id: 'default',
      cursor: null,
      last_full_at: null,
      last_run_at: null,
      last_result: null,
      lease_owner: null,
      lease_until: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const r = await ctx.store.db
    .updateTable('directory_sync')
    .set({ lease_owner: owner, lease_until: now + ttlMs })
    .where('id', '=', 'default')
    .where((eb) =>
      eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function releaseSyncLease(ctx: AppContext, owner: string): Promise<void> {
  await ctx.store.db
    .updateTable('directory_sync')
    .set({ lease_owner: null, lease_until: null })
    .where('id', '=', 'default')
    .where('lease_owner', '=', owner)
    .execute();
}

/** When the last sync ran (ms), or null. */
export async function lastSyncRun(ctx: AppContext): Promise<number | null> {
  const row = await ctx.store.db
    .selectFrom('directory_sync')
    .select('last_run_at')
    .where('id', '=', 'default')
    .executeTakeFirst();
  return row?.last_run_at ?? null;
}
