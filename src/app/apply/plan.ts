/**
 * The plan: what `idcenter apply` must create, update and delete so the store matches the file.
 * Computed in memory by diffing the desired organization against the store state, in "name
 * space" (user, group and permission-set names, account ids, OU paths), so it is complete before
 * any id exists for the new objects. Deletions are listed even without --prune (the plan shows
 * what --prune would remove) and executed only with it.
 */
import { storedStringMap } from '../../domain/federation/session-tags.ts';
import { FEDERATION_FIELDS, type FederationSettings } from '../../domain/federation/settings.ts';
import type { IdentitySource } from '../../domain/identity/identity-source.ts';
import { identitySourceText } from '../directory/settings.ts';
import {
  canonicalJson,
  type DesiredAccount,
  type DesiredGroup,
  type DesiredOrg,
  type DesiredPermissionSet,
  type DesiredUser,
} from '../org-file/model.ts';
import {
  describeExternalIds,
  isPlainProfile,
  profileChanges,
  profileOfStored,
  sameExternalIds,
} from '../org-file/user-profile.ts';
import type {
  StoredAccount,
  StoredGroup,
  StoredOu,
  StoredPermissionSet,
  StoredUser,
  StoreState,
} from './state.ts';

export interface FieldChange {
  field: string;
  from: string;
  to: string;
}

export interface Update<S, D> {
  stored: S;
  want: D;
  changes: FieldChange[];
}

export interface UserUpdate extends Update<StoredUser, DesiredUser> {
  /** Fields of the users row that change (excluding status and password). */
  fieldsChanged: boolean;
  /** The external ids change (`user_external_ids`). */
  externalIdsChanged: boolean;
  status: 'ENABLED' | 'DISABLED' | undefined;
  setPassword: boolean;
}

export interface PermissionSetUpdate extends Update<StoredPermissionSet, DesiredPermissionSet> {
  /** The role definition changed: bump the version and re-provision. */
  definitionChanged: boolean;
  managedChanged: boolean;
  customerChanged: boolean;
  tagsChanged: boolean;
}

/** A membership or assignment named by keys: group/user keys, permission-set key, account id. */
export interface MembershipRef {
  groupKey: string;
  userKey: string;
  /** Set for stored memberships. */
  id?: string;
}

export interface AssignmentRef {
  principalType: 'USER' | 'GROUP';
  /** User or group key; for a stored row whose principal no longer exists, `?<id>`. */
  principal: string;
  permissionSet: string;
  accountId: string;
  /** Set for stored assignments. */
  id?: string;
}

export interface Plan {
  prune: boolean;
  ous: { create: string[]; delete: StoredOu[] };
  accounts: {
    create: DesiredAccount[];
    update: Array<Update<StoredAccount, DesiredAccount>>;
    delete: StoredAccount[];
  };
  groups: { create: DesiredGroup[]; update: Array<Update<StoredGroup, DesiredGroup>>; delete: StoredGroup[] };
  users: { create: DesiredUser[]; update: UserUpdate[]; delete: StoredUser[] };
  memberships: { create: MembershipRef[]; delete: MembershipRef[] };
  permissionSets: {
    create: DesiredPermissionSet[];
    update: PermissionSetUpdate[];
    delete: StoredPermissionSet[];
  };
  assignments: { create: AssignmentRef[]; delete: AssignmentRef[] };
  /** (account id, permission-set key) pairs that get a provisioned role, or lose it (prune). */
  provision: {
    create: Array<{ accountId: string; permissionSet: string }>;
    delete: Array<{ accountId: string; permissionSetId: string }>;
  };
  managementAccount: { from: string | null; to: string } | undefined;
  /**
   * Permission-set keys that become (`grant`) or stop being (`revoke`) the administrators' (the
   * admin APIs); empty when the file has no `administrators:`.
   */
  administrators: { grant: string[]; revoke: string[] };
  /** The instance's federation settings (`federation:`) when they change. */
  federation: { want: FederationSettings; changes: FieldChange[] } | undefined;
  /** The identity source (`identitySource:`) when it changes. */
  identitySource: { want: IdentitySource; from: string; to: string } | undefined;
  /** Users (keys) who lose effective access to (account, permission-set key) pairs (prune only). */
  lostAccess: Array<{ userKey: string; accountId: string; permissionSet: string }>;
  /** Display names by key, for printing. */
  names: { users: Map<string, string>; groups: Map<string, string>; permissionSets: Map<string, string> };
}

export interface PlanCounts {
  create: number;
  update: number;
  delete: number;
}

/** Counts of object changes; deletions count only when they will run (prune). */
export function planCounts(plan: Plan): PlanCounts & { prunable: number } {
  const kinds = [
    plan.ous,
    plan.accounts,
    plan.groups,
    plan.users,
    plan.memberships,
    plan.permissionSets,
    plan.assignments,
  ];
  let create = 0;
  let update = 0;
  let deletes = 0;
  for (const k of kinds) {
    create += k.create.length;
    update += 'update' in k ? k.update.length : 0;
    deletes += k.delete.length;
  }
  if (plan.managementAccount) update++;
  if (plan.federation) update++;
  if (plan.identitySource) update++;
  update += plan.administrators.grant.length + plan.administrators.revoke.length;
  return {
    create,
    update,
    delete: plan.prune ? deletes : 0,
    prunable: plan.prune ? 0 : deletes,
  };
}

/** True when applying the plan writes nothing. */
export function isEmptyPlan(plan: Plan): boolean {
  const c = planCounts(plan);
  const provisionWrites = plan.provision.create.length + (plan.prune ? plan.provision.delete.length : 0);
  return c.create + c.update + c.delete + provisionWrites === 0;
}

function change(changes: FieldChange[], field: string, from: string | null, to: string | null): void {
  if (from !== to) changes.push({ field, from: from ?? '(none)', to: to ?? '(none)' });
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Diff the desired organization against the store.
 *
 * @example const plan = computePlan(org, await loadState(db), { prune: false });
 */
export function computePlan(org: DesiredOrg, state: StoreState, options: { prune: boolean }): Plan {
  const plan: Plan = {
    prune: options.prune,
    ous: { create: [], delete: [] },
    accounts: { create: [], update: [], delete: [] },
    groups: { create: [], update: [], delete: [] },
    users: { create: [], update: [], delete: [] },
    memberships: { create: [], delete: [] },
    permissionSets: { create: [], update: [], delete: [] },
    assignments: { create: [], delete: [] },
    provision: { create: [], delete: [] },
    managementAccount: undefined,
    administrators: { grant: [], revoke: [] },
    federation: undefined,
    identitySource: undefined,
    lostAccess: [],
    names: { users: new Map(), groups: new Map(), permissionSets: new Map() },
  };
  for (const [k, u] of state.users) plan.names.users.set(k, u.user_name);
  for (const [k, g] of state.groups) plan.names.groups.set(k, g.display_name);
  for (const [k, p] of state.permissionSets) plan.names.permissionSets.set(k, p.name);
  for (const u of org.users) plan.names.users.set(u.key, u.userName);
  for (const g of org.groups) plan.names.groups.set(g.key, g.name);
  for (const p of org.permissionSets) plan.names.permissionSets.set(p.key, p.name);

  // OUs.
  const wantOus = new Set(org.ous);
  for (const path of org.ous) if (!state.ous.has(path)) plan.ous.create.push(path);
  for (const [path, ou] of state.ous) if (!wantOus.has(path)) plan.ous.delete.push(ou);
  plan.ous.delete.sort(
    (a, b) => b.path.split('/').length - a.path.split('/').length || a.path.localeCompare(b.path),
  );

  // Accounts.
  const wantAccounts = new Set<string>();
  for (const want of org.accounts) {
    wantAccounts.add(want.id);
    const stored = state.accounts.get(want.id);
    if (!stored) {
      plan.accounts.create.push(want);
      continue;
    }
    const changes: FieldChange[] = [];
    change(changes, 'name', stored.name, want.name);
    change(changes, 'email', stored.email, want.email);
    const storedPath = stored.ou_id === null ? '/' : (state.ouById.get(stored.ou_id)?.path ?? '?');
    change(changes, 'ou', storedPath, want.ouPath);
    change(changes, 'access', stored.access, want.access);
    change(changes, 'partition', stored.partition, want.partition);
    change(changes, 'federation', stored.federation, want.federation);
    if (changes.length > 0) plan.accounts.update.push({ stored, want, changes });
  }
  for (const [id, stored] of state.accounts) if (!wantAccounts.has(id)) plan.accounts.delete.push(stored);

  // Groups.
  const wantGroups = new Set<string>();
  for (const want of org.groups) {
    wantGroups.add(want.key);
    const stored = state.groups.get(want.key);
    if (!stored) {
      plan.groups.create.push(want);
      continue;
    }
    const changes: FieldChange[] = [];
    change(changes, 'name', stored.display_name, want.name);
    change(changes, 'description', stored.description, want.description);
    if (!sameExternalIds(stored.externalIds, want.externalIds))
      change(
        changes,
        'externalIds',
        describeExternalIds(stored.externalIds),
        describeExternalIds(want.externalIds),
      );
    if (changes.length > 0) plan.groups.update.push({ stored, want, changes });
  }
  // Groups and users of the directory belong to its sync, not to the file.
  for (const [key, stored] of state.groups)
    if (!wantGroups.has(key) && !stored.fromDirectory) plan.groups.delete.push(stored);

  // Users.
  const wantUsers = new Set<string>();
  for (const want of org.users) {
    wantUsers.add(want.key);
    const stored = state.users.get(want.key);
    if (!stored) {
      plan.users.create.push(want);
      continue;
    }
    const changes: FieldChange[] = [];
    change(changes, 'userName', stored.user_name, want.userName);
    change(changes, 'displayName', stored.display_name, want.displayName);
    change(changes, 'givenName', stored.given_name, want.givenName);
    change(changes, 'familyName', stored.family_name, want.familyName);
    change(changes, 'email', stored.email, want.email);
    change(
      changes,
      'attributes',
      mapText(stored.custom_attributes),
      mapText(storedStringMap(want.attributes)),
    );
    // A user the file and the store give no attribute beyond the columns: nothing to compare.
    if (stored.profile !== null || !isPlainProfile(want.profile, want.email)) {
      for (const c of profileChanges(
        profileOfStored(stored.profile, stored.email),
        want.profile,
        stored.email,
        want.email,
      ))
        change(changes, c.field, c.from, c.to);
    }
    const fieldsChanged = changes.length > 0;
    const externalIdsChanged = !sameExternalIds(stored.externalIds, want.externalIds);
    if (externalIdsChanged)
      change(
        changes,
        'externalIds',
        describeExternalIds(stored.externalIds),
        describeExternalIds(want.externalIds),
      );
    let status: 'ENABLED' | 'DISABLED' | undefined;
    if (want.disabled === true && stored.status !== 'DISABLED') status = 'DISABLED';
    if (want.disabled === false && stored.status === 'DISABLED') status = 'ENABLED';
    if (status) changes.push({ field: 'status', from: stored.status, to: status });
    const setPassword = want.password !== undefined && !stored.hasPassword;
    if (setPassword) changes.push({ field: 'password', from: '(none)', to: '(set)' });
    if (changes.length > 0)
      plan.users.update.push({
        stored,
        want,
        changes,
        fieldsChanged,
        externalIdsChanged,
        status,
        setPassword,
      });
  }
  for (const [key, stored] of state.users)
    if (!wantUsers.has(key) && !stored.fromDirectory) plan.users.delete.push(stored);

  // Memberships, by group and user keys.
  const wantMemberships = new Set<string>();
  for (const u of org.users) {
    for (const g of u.groups) {
      const k = `${g}|${u.key}`;
      wantMemberships.add(k);
      const gid = state.groups.get(g)?.id;
      const uid = state.users.get(u.key)?.id;
      if (gid === undefined || uid === undefined || !state.memberships.has(`${gid}|${uid}`)) {
        plan.memberships.create.push({ groupKey: g, userKey: u.key });
      }
    }
  }
  for (const [ids, id] of state.memberships) {
    const [gid = '', uid = ''] = ids.split('|');
    const groupKey = state.groupById.get(gid) ?? `?${gid}`;
    const userKey = state.userById.get(uid) ?? `?${uid}`;
    if (state.groups.get(groupKey)?.fromDirectory || state.users.get(userKey)?.fromDirectory) continue;
    if (!wantMemberships.has(`${groupKey}|${userKey}`))
      plan.memberships.delete.push({ groupKey, userKey, id });
  }

  // Permission sets.
  const wantSets = new Set<string>();
  for (const want of org.permissionSets) {
    wantSets.add(want.key);
    const stored = state.permissionSets.get(want.key);
    if (!stored) {
      plan.permissionSets.create.push(want);
      continue;
    }
    plan.permissionSets.update.push(...diffPermissionSet(stored, want));
  }
  for (const [key, stored] of state.permissionSets)
    if (!wantSets.has(key)) plan.permissionSets.delete.push(stored);

  // Assignments and provisioned roles, with numeric keys: this is the hot loop of a
  // 500,000-row organization, and numbers hash without building strings.
  diffAssignments(org, state, plan, options.prune);

  // Management account.
  if (org.managementAccount !== undefined && org.managementAccount !== state.instance.management_account_id) {
    plan.managementAccount = { from: state.instance.management_account_id, to: org.managementAccount };
  }

  // The administrators' permission sets, when the file names them.
  if (org.administrators !== undefined) {
    const want = new Set(org.administrators);
    for (const key of org.administrators) {
      if (state.permissionSets.get(key)?.administrators !== 1) plan.administrators.grant.push(key);
    }
    for (const [key, stored] of state.permissionSets) {
      if (stored.administrators === 1 && !want.has(key)) plan.administrators.revoke.push(key);
    }
  }

  // Federation settings.
  const federationChanges: FieldChange[] = [];
  for (const field of FEDERATION_FIELDS) {
    change(federationChanges, field, state.federation[field], org.federation[field]);
  }
  if (federationChanges.length > 0) plan.federation = { want: org.federation, changes: federationChanges };

  const sourceText = identitySourceText(org.identitySource);
  if (sourceText !== state.identitySource) {
    plan.identitySource = {
      want: org.identitySource,
      from: (JSON.parse(state.identitySource) as IdentitySource).kind,
      to: org.identitySource.kind,
    };
  }

  if (options.prune) plan.lostAccess = lostAccess(org, state, plan);
  return plan;
}

/** Small dense indexes for strings, so composite keys can be numbers. */
class Interner {
  readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  of(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(value, id);
      this.values.push(value);
    }
    return id;
  }
}

function diffAssignments(org: DesiredOrg, state: StoreState, plan: Plan, prune: boolean): void {
  const principals = new Interner(); // `U|key` / `G|key`
  const sets = new Interner(); // permission-set keys
  const accounts = new Interner(); // account ids
  // Stored rows, translated from ids to keys once per distinct id.
  const userOfId = new Map<string, number>();
  const groupOfId = new Map<string, number>();
  for (const [key, u] of state.users) userOfId.set(u.id, principals.of(`U|${key}`));
  for (const [key, g] of state.groups) groupOfId.set(g.id, principals.of(`G|${key}`));
  const psOfId = new Map<string, number>();
  for (const [key, p] of state.permissionSets) psOfId.set(p.id, sets.of(key));
  const storedP = new Int32Array(state.assignments.length);
  const storedS = new Int32Array(state.assignments.length);
  const storedA = new Int32Array(state.assignments.length);
  state.assignments.forEach((a, i) => {
    const group = a.principal_type === 'GROUP';
    storedP[i] =
      (group ? groupOfId : userOfId).get(a.principal_id) ??
      principals.of(`${group ? 'G' : 'U'}|?${a.principal_id}`);
    storedS[i] = psOfId.get(a.permission_set_id) ?? sets.of(`?${a.permission_set_id}`);
    storedA[i] = accounts.of(a.account_id);
  });
  const wantP = new Int32Array(org.assignments.length);
  const wantS = new Int32Array(org.assignments.length);
  const wantA = new Int32Array(org.assignments.length);
  org.assignments.forEach((a, i) => {
    wantP[i] = principals.of(`${a.principalType === 'USER' ? 'U' : 'G'}|${a.principal}`);
    wantS[i] = sets.of(a.permissionSet);
    wantA[i] = accounts.of(a.accountId);
  });
  for (const key of state.provisioned.keys()) {
    const bar = key.indexOf('|');
    accounts.of(key.slice(0, bar));
    sets.of(psOfKeyOrId(state, key.slice(bar + 1)));
  }
  const nS = sets.values.length + 1;
  const nA = accounts.values.length + 1;
  if (principals.values.length * nS * nA >= Number.MAX_SAFE_INTEGER) {
    throw new Error('organization too large to plan');
  }
  const key = (p: number, s: number, a: number) => (p * nS + s) * nA + a;

  const stored = new Set<number>();
  for (let i = 0; i < storedP.length; i++) stored.add(key(storedP[i] ?? 0, storedS[i] ?? 0, storedA[i] ?? 0));
  const wanted = new Set<number>();
  const split = (p: number) => {
    const v = principals.values[p] ?? '';
    return {
      principalType: v.startsWith('U|') ? ('USER' as const) : ('GROUP' as const),
      principal: v.slice(2),
    };
  };
  for (let i = 0; i < wantP.length; i++) {
    const k = key(wantP[i] ?? 0, wantS[i] ?? 0, wantA[i] ?? 0);
    wanted.add(k);
    if (!stored.has(k)) {
      const a = org.assignments[i];
      if (a) plan.assignments.create.push({ ...a });
    }
  }
  for (let i = 0; i < storedP.length; i++) {
    if (wanted.has(key(storedP[i] ?? 0, storedS[i] ?? 0, storedA[i] ?? 0))) continue;
    const row = state.assignments[i];
    if (!row) continue;
    plan.assignments.delete.push({
      ...split(storedP[i] ?? 0),
      permissionSet: sets.values[storedS[i] ?? 0] ?? '',
      accountId: row.account_id,
      id: row.id,
    });
  }

  // Provisioned roles follow the assignments that remain.
  const pairs = new Set<number>();
  const pair = (s: number, a: number) => s * nA + a;
  if (prune) {
    for (let i = 0; i < wantS.length; i++) pairs.add(pair(wantS[i] ?? 0, wantA[i] ?? 0));
  } else {
    for (let i = 0; i < storedS.length; i++) pairs.add(pair(storedS[i] ?? 0, storedA[i] ?? 0));
    for (const a of plan.assignments.create)
      pairs.add(pair(sets.of(a.permissionSet), accounts.of(a.accountId)));
  }
  const storedPairs = new Set<number>();
  for (const k of state.provisioned.keys()) {
    const bar = k.indexOf('|');
    const accountId = k.slice(0, bar);
    const psId = k.slice(bar + 1);
    const pk = pair(sets.of(psOfKeyOrId(state, psId)), accounts.of(accountId));
    storedPairs.add(pk);
    if (!pairs.has(pk)) plan.provision.delete.push({ accountId, permissionSetId: psId });
  }
  for (const pk of pairs) {
    if (storedPairs.has(pk)) continue;
    plan.provision.create.push({
      accountId: accounts.values[pk % nA] ?? '',
      permissionSet: sets.values[Math.floor(pk / nA)] ?? '',
    });
  }
}

function psOfKeyOrId(state: StoreState, psId: string): string {
  return state.psById.get(psId) ?? `?${psId}`;
}

function diffPermissionSet(stored: StoredPermissionSet, want: DesiredPermissionSet): PermissionSetUpdate[] {
  const changes: FieldChange[] = [];
  change(changes, 'name', stored.name, want.name);
  const before = changes.length;
  change(changes, 'description', stored.description, want.description);
  change(changes, 'sessionDuration', stored.session_duration, want.sessionDuration);
  change(changes, 'relayState', stored.relay_state, want.relayState);
  if (canonicalJson(stored.inline_policy) !== canonicalJson(want.inlinePolicy)) {
    changes.push({
      field: 'inlinePolicy',
      from: stored.inline_policy === null ? '(none)' : '(policy)',
      to: want.inlinePolicy === null ? '(none)' : '(new policy)',
    });
  }
  change(changes, 'permissionsBoundary', stored.permissions_boundary, want.permissionsBoundary);
  const managedChanged = !sameList(stored.managedPolicies, want.managedPolicies);
  if (managedChanged) {
    changes.push({
      field: 'managedPolicies',
      from: stored.managedPolicies.join(', ') || '(none)',
      to: want.managedPolicies.join(', ') || '(none)',
    });
  }
  const customerKey = (list: Array<{ name: string; path: string }>) => list.map((c) => `${c.path}${c.name}`);
  const customerChanged = !sameList(customerKey(stored.customerPolicies), customerKey(want.customerPolicies));
  if (customerChanged) {
    changes.push({
      field: 'customerManagedPolicies',
      from: customerKey(stored.customerPolicies).join(', ') || '(none)',
      to: customerKey(want.customerPolicies).join(', ') || '(none)',
    });
  }
  const definitionChanged = changes.length > before;
  const tagText = (t: Record<string, string>) =>
    Object.keys(t)
      .sort()
      .map((k) => `${k}=${t[k]}`)
      .join(', ');
  const tagsChanged = tagText(stored.tags) !== tagText(want.tags);
  if (tagsChanged)
    changes.push({
      field: 'tags',
      from: tagText(stored.tags) || '(none)',
      to: tagText(want.tags) || '(none)',
    });
  // Session tags change what the server puts in assertions, not the role: no new version.
  change(changes, 'sessionTags', mapText(stored.session_tags), mapText(storedStringMap(want.sessionTags)));
  if (changes.length === 0) return [];
  return [{ stored, want, changes, definitionChanged, managedChanged, customerChanged, tagsChanged }];
}

/** A stored string map (sorted JSON) as the plan prints it: `key=value, …`, or null for none. */
function mapText(stored: string | null): string | null {
  if (stored === null) return null;
  try {
    const map = JSON.parse(stored) as Record<string, string>;
    return Object.entries(map)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
  } catch {
    return stored;
  }
}

/**
 * Users who lose effective access to an (account, permission set) when the pruned assignments
 * and memberships go. Effective access = own assignments ∪ assignments of the user's groups.
 * Users who are deleted are left out: their own revocation covers everything.
 */
function lostAccess(org: DesiredOrg, state: StoreState, plan: Plan): Plan['lostAccess'] {
  if (plan.assignments.delete.length === 0 && plan.memberships.delete.length === 0) return [];
  const deletedUsers = new Set(plan.users.delete.map((u) => state.userById.get(u.id) ?? ''));

  // Old state, in key space.
  const oldMembers = new Map<string, string[]>(); // group key → user keys
  const oldGroupsOf = new Map<string, string[]>(); // user key → group keys
  for (const ids of state.memberships.keys()) {
    const [gid = '', uid = ''] = ids.split('|');
    const g = state.groupById.get(gid);
    const u = state.userById.get(uid);
    if (!g || !u) continue;
    push(oldMembers, g, u);
    push(oldGroupsOf, u, g);
  }
  const oldByPrincipal = new Map<string, string[]>(); // `TYPE|key` → `account|ps`
  for (const a of state.assignments) {
    const key =
      a.principal_type === 'GROUP' ? state.groupById.get(a.principal_id) : state.userById.get(a.principal_id);
    const ps = state.psById.get(a.permission_set_id);
    if (!key || !ps) continue;
    push(oldByPrincipal, `${a.principal_type}|${key}`, `${a.account_id}|${ps}`);
  }

  // Who might lose something.
  const affected = new Set<string>();
  for (const m of plan.memberships.delete) affected.add(m.userKey);
  for (const a of plan.assignments.delete) {
    if (a.principalType === 'USER') affected.add(a.principal);
    else for (const u of oldMembers.get(a.principal) ?? []) affected.add(u);
  }

  // New state for those users.
  const newGroupsOf = new Map<string, string[]>();
  for (const u of org.users) if (affected.has(u.key)) newGroupsOf.set(u.key, u.groups);
  // Directory users keep their directory groups: apply does not change those memberships.
  for (const user of affected) {
    if (!newGroupsOf.has(user) && state.users.get(user)?.fromDirectory)
      newGroupsOf.set(user, oldGroupsOf.get(user) ?? []);
  }
  const newByPrincipal = new Map<string, Set<string>>();
  for (const a of org.assignments) {
    const k = `${a.principalType}|${a.principal}`;
    let set = newByPrincipal.get(k);
    if (!set) {
      set = new Set();
      newByPrincipal.set(k, set);
    }
    set.add(`${a.accountId}|${a.permissionSet}`);
  }

  const out: Plan['lostAccess'] = [];
  for (const user of affected) {
    if (deletedUsers.has(user) || user.startsWith('?')) continue;
    const before = new Set(oldByPrincipal.get(`USER|${user}`) ?? []);
    for (const g of oldGroupsOf.get(user) ?? [])
      for (const p of oldByPrincipal.get(`GROUP|${g}`) ?? []) before.add(p);
    const after = new Set(newByPrincipal.get(`USER|${user}`) ?? []);
    for (const g of newGroupsOf.get(user) ?? [])
      for (const p of newByPrincipal.get(`GROUP|${g}`) ?? []) after.add(p);
    for (const pair of before) {
      if (after.has(pair)) continue;
      const bar = pair.indexOf('|');
      out.push({ userKey: user, accountId: pair.slice(0, bar), permissionSet: pair.slice(bar + 1) });
    }
  }
  return out;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * External ids the file gives that the store has given to a user or group the file does not
 * declare, which keeps them after this apply (one external id names one user, and one group):
 * each a sentence naming both. Those that --prune deletes give theirs up.
 */
export function externalIdConflicts(org: DesiredOrg, state: StoreState, prune: boolean): string[] {
  const problems: string[] = [];
  const check = (
    kind: 'user' | 'group',
    wanted: Array<{ name: string; key: string; externalIds: Array<{ issuer: string; id: string }> }>,
    stored: Map<
      string,
      { id: string; externalIds: Array<{ issuer: string; id: string }>; fromDirectory: boolean }
    >,
    nameOf: (key: string) => string,
  ) => {
    const declared = new Set(wanted.map((w) => w.key));
    const holder = new Map<string, string>();
    for (const [key, s] of stored) {
      if (declared.has(key) || (prune && !s.fromDirectory)) continue;
      for (const e of s.externalIds) holder.set(`${e.issuer}\u0000${e.id}`, key);
    }
    if (holder.size === 0) return;
    for (const w of wanted) {
      for (const e of w.externalIds) {
        const other = holder.get(`${e.issuer}\u0000${e.id}`);
        if (other === undefined) continue;
        problems.push(
          `${kind} "${w.name}": the external id "${e.id}" of issuer "${e.issuer}" belongs to ${kind} "${nameOf(other)}", which the file does not declare (remove it there, declare that ${kind} in the file, or run apply with --prune)`,
        );
      }
    }
  };
  check(
    'user',
    org.users.map((u) => ({ name: u.userName, key: u.key, externalIds: u.externalIds })),
    state.users,
    (k) => state.users.get(k)?.user_name ?? k,
  );
  check(
    'group',
    org.groups.map((g) => ({ name: g.name, key: g.key, externalIds: g.externalIds })),
    state.groups,
    (k) => state.groups.get(k)?.display_name ?? k,
  );
  return problems;
}

/**
 * What the file asks that the directory forbids: a user or group of the file whose name the
 * directory already gave someone here, and assignments to directory groups that the directory
 * (as last synced) does not have. Each problem a sentence with where it is in the file.
 */
export function directoryConflicts(org: DesiredOrg, state: StoreState): string[] {
  const problems: string[] = [];
  for (const u of org.users) {
    if (state.users.get(u.key)?.fromDirectory) {
      problems.push(
        `user "${u.userName}" is a user of the directory; a local user may not have the same name (rename the local user)`,
      );
    }
  }
  for (const g of org.groups) {
    if (state.groups.get(g.key)?.fromDirectory) {
      problems.push(
        `group "${g.name}" is a group of the directory; a local group may not have the same name`,
      );
    }
  }
  for (const g of org.directoryGroups) {
    if (!state.groups.get(g.key)?.fromDirectory) {
      const where = g.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
        .join('')
        .slice(1);
      problems.push(
        org.identitySource.kind === 'builtIn'
          ? `${where}: group "${g.name}" is not defined in groups`
          : `${where}: group "${g.name}" is neither in groups nor in the directory (hint: run "idcenter directory sync" after apply sets the identity source, and check identitySource.groups)`,
      );
    }
  }
  return problems;
}
