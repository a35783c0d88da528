/**
 * The current organization in the store, loaded in bulk (one query per table, no per-row round
 * trips) and indexed the way the diff needs it: objects by their case-insensitive name key,
 * memberships and assignments by their natural keys.
 */
import type { Kysely } from 'kysely';
import { DEFAULT_FEDERATION, type FederationSettings } from '../../domain/federation/settings.ts';
import { BUILT_IN } from '../../domain/identity/identity-source.ts';
import type { Database, InstanceTable, UserRow } from '../../storage/schema.ts';
import { identitySourceText, loadIdentitySourceText } from '../directory/settings.ts';
import { loadFederationSettings } from '../federation/stored-settings.ts';
import type { ExternalIdRef } from '../org-file/user-profile.ts';

export interface StoredOu {
  id: string;
  parent_id: string;
  name: string;
  path: string;
}

export interface StoredAccount {
  id: string;
  name: string;
  email: string;
  ou_id: string | null;
  access: string;
  partition: string | null;
  federation: string;
}

export interface StoredGroup {
  id: string;
  display_name: string;
  description: string | null;
  /** In their order (`group_external_ids.position`). */
  externalIds: ExternalIdRef[];
  /** Synced from the directory: apply never changes or removes it. */
  fromDirectory: boolean;
}

export interface StoredUser
  extends Pick<
    UserRow,
    'id' | 'user_name' | 'display_name' | 'given_name' | 'family_name' | 'email' | 'status'
  > {
  hasPassword: boolean;
  /** Free attributes, as stored (sorted JSON) or null. */
  custom_attributes: string | null;
  /** The identitystore attributes beyond the columns (`users.profile`), JSON or null. */
  profile: string | null;
  /** In their order (`user_external_ids.position`). */
  externalIds: ExternalIdRef[];
  /** Synced from the directory: apply never changes or removes it. */
  fromDirectory: boolean;
}

export interface StoredPermissionSet {
  id: string;
  name: string;
  description: string | null;
  session_duration: string;
  session_seconds: number;
  relay_state: string | null;
  inline_policy: string | null;
  permissions_boundary: string | null;
  version: number;
  managedPolicies: string[];
  customerPolicies: Array<{ name: string; path: string }>;
  tags: Record<string, string>;
  /** Session tag mapping, as stored (sorted JSON) or null. */
  session_tags: string | null;
  /** 1 when its role credentials may call the admin APIs (migration 019). */
  administrators: number;
}

export interface StoredAssignment {
  id: string;
  account_id: string;
  permission_set_id: string;
  principal_type: string;
  principal_id: string;
}

export interface StoreState {
  instance: InstanceTable;
  federation: FederationSettings;
  /** The stored identity source, as JSON text (`app/directory/settings.ts`). */
  identitySource: string;
  /** By path. */
  ous: Map<string, StoredOu>;
  ouById: Map<string, StoredOu>;
  /** By account id. */
  accounts: Map<string, StoredAccount>;
  /** By lower-case display name. */
  groups: Map<string, StoredGroup>;
  groupById: Map<string, string>;
  /** By lower-case user name. */
  users: Map<string, StoredUser>;
  userById: Map<string, string>;
  /** `groupId|userId` → membership id. */
  memberships: Map<string, string>;
  /** By lower-case name. */
  permissionSets: Map<string, StoredPermissionSet>;
  psById: Map<string, string>;
  assignments: StoredAssignment[];
  /** `accountId|permissionSetId` → provisioned version. */
  provisioned: Map<string, number>;
}

/** A state with `instance` and `assignments` and nothing else yet: the maps are filled by the caller. */
export function emptyState(instance: InstanceTable, assignments: StoredAssignment[] = []): StoreState {
  return {
    instance,
    federation: { ...DEFAULT_FEDERATION },
    identitySource: identitySourceText(BUILT_IN),
    ous: new Map(),
    ouById: new Map(),
    accounts: new Map(),
    groups: new Map(),
    groupById: new Map(),
    users: new Map(),
    userById: new Map(),
    memberships: new Map(),
    permissionSets: new Map(),
    psById: new Map(),
    assignments,
    provisioned: new Map(),
  };
}

export async function loadState(db: Kysely<Database>): Promise<StoreState> {
  const instance = await db
    .selectFrom('instance')
    .selectAll()
    .where('id', '=', 'default')
    .executeTakeFirstOrThrow();
  const [
    ous,
    accounts,
    groups,
    users,
    memberships,
    sets,
    managed,
    customer,
    tags,
    assignments,
    provisioned,
    federation,
    identitySource,
    userExternalIds,
    groupExternalIds,
  ] = await Promise.all([
    db.selectFrom('ous').select(['id', 'parent_id', 'name', 'path']).execute(),
    db
      .selectFrom('accounts')
      .select(['id', 'name', 'email', 'ou_id', 'access', 'partition', 'federation'])
      .execute(),
    db
      .selectFrom('groups')
      .select(['id', 'display_name', 'display_name_lower', 'description', 'source'])
      .execute(),
    db
      .selectFrom('users')
      .select([
        'id',
        'user_name',
        'user_name_lower',
        'display_name',
        'given_name',
        'family_name',
        'email',
        'status',
        'custom_attributes',
        'profile',
        'source',
      ])
      .select((eb) =>
        eb.case().when('password_hash', 'is not', null).then(1).else(0).end().as('has_password'),
      )
      .execute(),
    db.selectFrom('group_memberships').select(['id', 'group_id', 'user_id']).execute(),
    db
      .selectFrom('permission_sets')
      .select([
        'id',
        'name',
        'name_lower',
        'description',
        'session_duration',
        'session_seconds',
        'relay_state',
        'inline_policy',
        'permissions_boundary',
        'version',
        'session_tags',
        'administrators',
      ])
      .execute(),
    db.selectFrom('ps_managed_policies').select(['permission_set_id', 'arn']).execute(),
    db.selectFrom('ps_customer_policies').select(['permission_set_id', 'name', 'path']).execute(),
    db.selectFrom('ps_tags').select(['permission_set_id', 'key', 'value']).execute(),
    db
      .selectFrom('account_assignments')
      .select(['id', 'account_id', 'permission_set_id', 'principal_type', 'principal_id'])
      .execute(),
    db
      .selectFrom('provisioned_roles')
      .select(['account_id', 'permission_set_id', 'provisioned_version'])
      .execute(),
    loadFederationSettings(db),
    loadIdentitySourceText(db),
    db
      .selectFrom('user_external_ids')
      .select(['user_id as owner', 'issuer', 'external_id'])
      .orderBy('user_id')
      .orderBy('position')
      .execute(),
    db
      .selectFrom('group_external_ids')
      .select(['group_id as owner', 'issuer', 'external_id'])
      .orderBy('group_id')
      .orderBy('position')
      .execute(),
  ]);
  const externalIdsOf = (rows: typeof userExternalIds) => {
    const out = new Map<string, ExternalIdRef[]>();
    for (const r of rows) {
      const list = out.get(r.owner);
      if (list) list.push({ issuer: r.issuer, id: r.external_id });
      else out.set(r.owner, [{ issuer: r.issuer, id: r.external_id }]);
    }
    return out;
  };
  const userIds = externalIdsOf(userExternalIds);
  const groupIds = externalIdsOf(groupExternalIds);

  const state = emptyState(instance, assignments);
  state.federation = federation;
  state.identitySource = identitySource;

  for (const o of ous) {
    state.ous.set(o.path, o);
    state.ouById.set(o.id, o);
  }
  for (const a of accounts) state.accounts.set(a.id, a);
  for (const g of groups) {
    state.groups.set(g.display_name_lower, {
      id: g.id,
      display_name: g.display_name,
      description: g.description,
      externalIds: groupIds.get(g.id) ?? [],
      fromDirectory: g.source === 'directory',
    });
    state.groupById.set(g.id, g.display_name_lower);
  }
  for (const u of users) {
    state.users.set(u.user_name_lower, {
      id: u.id,
      user_name: u.user_name,
      display_name: u.display_name,
      given_name: u.given_name,
      family_name: u.family_name,
      email: u.email,
      status: u.status,
      hasPassword: Number(u.has_password) === 1,
      custom_attributes: u.custom_attributes,
      profile: u.profile,
      externalIds: userIds.get(u.id) ?? [],
      fromDirectory: u.source === 'directory',
    });
    state.userById.set(u.id, u.user_name_lower);
  }
  for (const m of memberships) state.memberships.set(`${m.group_id}|${m.user_id}`, m.id);
  const byId = new Map<string, StoredPermissionSet>();
  for (const ps of sets) {
    const stored: StoredPermissionSet = {
      id: ps.id,
      name: ps.name,
      description: ps.description,
      session_duration: ps.session_duration,
      session_seconds: ps.session_seconds,
      relay_state: ps.relay_state,
      inline_policy: ps.inline_policy,
      permissions_boundary: ps.permissions_boundary,
      version: ps.version,
      managedPolicies: [],
      customerPolicies: [],
      tags: {},
      session_tags: ps.session_tags,
      administrators: ps.administrators,
    };
    byId.set(ps.id, stored);
    state.permissionSets.set(ps.name_lower, stored);
    state.psById.set(ps.id, ps.name_lower);
  }
  for (const m of managed) byId.get(m.permission_set_id)?.managedPolicies.push(m.arn);
  for (const c of customer)
    byId.get(c.permission_set_id)?.customerPolicies.push({ name: c.name, path: c.path });
  for (const t of tags) {
    const ps = byId.get(t.permission_set_id);
    if (ps) ps.tags[t.key] = t.value;
  }
  for (const ps of byId.values()) {
    ps.managedPolicies.sort();
    ps.customerPolicies.sort((x, y) => x.path.localeCompare(y.path) || x.name.localeCompare(y.name));
  }
  for (const p of provisioned)
    state.provisioned.set(`${p.account_id}|${p.permission_set_id}`, p.provisioned_version);
  return state;
}
