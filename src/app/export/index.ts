/**
 * `idcenter export`: the store's current organization as an organization file that `idcenter
 * apply` accepts and that round-trips (export, then `apply --dry-run` of that file: "No changes.").
 *
 * Read in one snapshot with the same bulk loader apply diffs against (`apply/state.ts`), so what
 * is written is exactly what apply compares. Entries are sorted (accounts by id, groups, users
 * and permission sets by name, assignments by principal then permission set) so that two exports
 * of one store are the same bytes and a diff between exports shows what changed.
 *
 * Users carry every identitystore attribute (name parts, title, e-mails with their type,
 * addresses, phone numbers…, `org-file/user-profile.ts`) and users and groups their external ids.
 * What the file cannot say is named in comment lines at its top instead of being dropped
 * silently: users and groups of a directory (they come from the identity source), account status.
 * Secrets are never written: no password or its hash, no bind password (the file names its
 * environment variable), no provisioning external id (not kept in the store).
 */
import { parseStringMap } from '../../domain/federation/session-tags.ts';
import { DEFAULT_FEDERATION, FEDERATION_FIELDS } from '../../domain/federation/settings.ts';
import {
  DEFAULT_DELETION_GUARD,
  DEFAULT_FULL_SYNC_INTERVAL_SECONDS,
  DEFAULT_SYNC_INTERVAL_SECONDS,
  DEFAULT_TIMEOUT_SECONDS,
  DIRECTORY_DEFAULTS,
  type DirectorySettings,
  type IdentitySource,
} from '../../domain/identity/identity-source.ts';
import { DEFAULT_SESSION_DURATION } from '../../domain/identity/permission-set.ts';
import { writePrivateFileAtomic } from '../../storage/private-files.ts';
import { withReadSnapshot } from '../apply/index.ts';
import { loadState, type StoredPermissionSet, type StoreState } from '../apply/state.ts';
import type { AppContext } from '../context.ts';
import { checkOrgValue, formatProblem } from '../org-file/index.ts';
import { fileKeysOfProfile, NAME_PARTS, profileOfStored } from '../org-file/user-profile.ts';
import { block, flow, type YamlValue } from './yaml-writer.ts';

type Mapping = { [key: string]: YamlValue };

export interface ExportResult {
  /** The organization file. */
  text: string;
  /** What the store holds that the file does not say (also comment lines in `text`). */
  notes: string[];
  /** Values of the store the organization file refuses, with their path: apply would refuse the file. */
  problems: string[];
  counts: { accounts: number; groups: number; users: number; permissionSets: number; assignments: number };
}

/** What the store holds beyond `loadState`, for the notes. */
interface Extras {
  inactiveAccounts: string[];
}

/**
 * The store's organization as an organization file.
 *
 * @example
 * const r = await exportOrg(ctx);
 * writeExportFile('org.yaml', r.text);
 */
export async function exportOrg(ctx: AppContext): Promise<ExportResult> {
  const { state, extras } = await withReadSnapshot(ctx.store, async (db) => {
    const state = await loadState(db);
    const inactive = await db
      .selectFrom('accounts')
      .select(['id', 'status'])
      .where('status', '!=', 'ACTIVE')
      .orderBy('id')
      .execute();
    const extras: Extras = { inactiveAccounts: inactive.map((a) => `${a.id} (${a.status})`) };
    return { state, extras };
  });
  return buildExport(state, extras);
}

/** Write an export atomically with mode 0600 (it names every person of the organization). */
export function writeExportFile(file: string, text: string): void {
  writePrivateFileAtomic(file, text);
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function buildExport(state: StoreState, extras: Extras): ExportResult {
  const notes: string[] = [];
  const file: Mapping = {};

  if (state.instance.management_account_id) file.managementAccount = state.instance.management_account_id;
  const federation = federationOf(state);
  if (federation) file.federation = federation;
  const source = JSON.parse(state.identitySource) as IdentitySource;
  if (source.kind !== 'builtIn') file.identitySource = identitySourceOf(source);

  // Accounts, and the OU each sits in.
  const ouOfAccount = new Map<string, string>();
  const accounts: Mapping[] = [];
  for (const a of [...state.accounts.values()].sort((x, y) => byText(x.id, y.id))) {
    const ou = a.ou_id === null ? '/' : (state.ouById.get(a.ou_id)?.path ?? '/');
    ouOfAccount.set(a.id, ou);
    const entry: Mapping = { id: a.id, name: a.name, email: a.email };
    if (ou !== '/') entry.ou = ou;
    if (a.access !== 'local') entry.access = a.access;
    if (a.partition !== null) entry.partition = a.partition;
    if (a.federation !== 'saml') entry.federation = a.federation;
    accounts.push(entry);
  }
  const emptyOus = [...state.ous.keys()]
    .filter((p) => ![...ouOfAccount.values()].some((ou) => ou === p || ou.startsWith(`${p}/`)))
    .sort(byText);
  // OUs without accounts are named on their own; their parents follow from their paths.
  const organizationalUnits = emptyOus.filter((p) => !emptyOus.some((q) => q.startsWith(`${p}/`)));
  if (extras.inactiveAccounts.length > 0) {
    notes.push(`account status is not part of the file: ${extras.inactiveAccounts.join(', ')}`);
  }
  if (accounts.some((a) => a.access === 'aws')) {
    notes.push(
      'federation.provisioning (how apply reaches IAM) is not kept in the store: add it from your own file',
    );
  }

  // Groups and users: the local ones; the directory's come from the identity source.
  const localGroups = [...state.groups.entries()].filter(([, g]) => !g.fromDirectory);
  const directoryGroups = state.groups.size - localGroups.length;
  const localUsers = [...state.users.entries()].filter(([, u]) => !u.fromDirectory);
  const directoryUsers = state.users.size - localUsers.length;
  if (directoryUsers + directoryGroups > 0) {
    notes.push(
      `${directoryUsers} users and ${directoryGroups} groups of the directory are not written as local users and groups: they come from the identity source`,
    );
  }
  const groupName = (key: string) => state.groups.get(key)?.display_name ?? key;
  const groups: Mapping[] = localGroups
    .sort(([a], [b]) => byText(a, b))
    .map(([, g]) => {
      const entry: Mapping = { name: g.display_name };
      if (g.description !== null) entry.description = g.description;
      if (g.externalIds.length > 0)
        entry.externalIds = g.externalIds.map((e) => ({ issuer: e.issuer, id: e.id }));
      return entry;
    });

  const groupsOfUser = new Map<string, string[]>();
  let directoryMemberships = 0;
  for (const ids of state.memberships.keys()) {
    const [gid = '', uid = ''] = ids.split('|');
    const g = state.groupById.get(gid);
    const u = state.userById.get(uid);
    if (g === undefined || u === undefined) continue;
    if (state.users.get(u)?.fromDirectory) continue;
    if (state.groups.get(g)?.fromDirectory) {
      directoryMemberships++;
      continue;
    }
    const list = groupsOfUser.get(u);
    if (list) list.push(g);
    else groupsOfUser.set(u, [g]);
  }
  if (directoryMemberships > 0) {
    notes.push(
      `${directoryMemberships} memberships of local users in directory groups are not written (a user's groups must be groups of the file)`,
    );
  }
  const users: Mapping[] = [];
  for (const [key, u] of localUsers.sort(([a], [b]) => byText(a, b))) {
    const entry: Mapping = { userName: u.user_name, displayName: u.display_name };
    if (u.given_name !== null) entry.givenName = u.given_name;
    if (u.family_name !== null) entry.familyName = u.family_name;
    // The name parts and the e-mail next to the names, the other attributes after the file's own.
    const { email, ...profile } = fileKeysOfProfile(profileOfStored(u.profile, u.email));
    for (const [k] of NAME_PARTS) {
      if (profile[k] !== undefined) entry[k] = profile[k] as YamlValue;
      delete profile[k];
    }
    if (email !== undefined) entry.email = email;
    if (u.status === 'DISABLED') entry.disabled = true;
    const memberOf = groupsOfUser.get(key);
    if (memberOf) entry.groups = memberOf.sort(byText).map(groupName);
    const attributes = parseStringMap(u.custom_attributes);
    if (Object.keys(attributes).length > 0) entry.attributes = attributes;
    for (const [k, v] of Object.entries(profile)) entry[k] = v as YamlValue;
    if (u.externalIds.length > 0)
      entry.externalIds = u.externalIds.map((e) => ({ issuer: e.issuer, id: e.id }));
    users.push(entry);
  }

  const permissionSets = [...state.permissionSets.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([, ps]) => permissionSetOf(ps));
  const administrators = [...state.permissionSets.entries()]
    .filter(([, ps]) => ps.administrators === 1)
    .sort(([a], [b]) => byText(a, b))
    .map(([, ps]) => ps.name);

  const assignments = assignmentsOf(state, ouOfAccount, notes);

  if (accounts.length > 0) file.accounts = accounts;
  if (organizationalUnits.length > 0) file.organizationalUnits = organizationalUnits;
  if (groups.length > 0) file.groups = groups;
  if (users.length > 0) file.users = users;
  if (permissionSets.length > 0) file.permissionSets = permissionSets;
  if (administrators.length > 0) file.administrators = { permissionSets: administrators };
  if (assignments.length > 0) file.assignments = assignments;

  const problems = checkOrgValue(file).problems.map(formatProblem);
  return {
    text: render(file, notes),
    notes,
    problems,
    counts: {
      accounts: accounts.length,
      groups: groups.length,
      users: users.length,
      permissionSets: permissionSets.length,
      assignments: assignments.length,
    },
  };
}

function federationOf(state: StoreState): Mapping | undefined {
  const out: Mapping = {};
  const f = state.federation;
  for (const k of FEDERATION_FIELDS) {
    // The region's default follows the partition: name it whenever the partition is not the default.
    if (f[k] !== DEFAULT_FEDERATION[k] || (k === 'region' && f.partition !== DEFAULT_FEDERATION.partition))
      out[k] = f[k];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Whole seconds as the shortest duration text the file reads back (`15m`, `24h`, `90s`). */
function durationText(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function identitySourceOf(s: DirectorySettings): Mapping {
  const defaults = DIRECTORY_DEFAULTS[s.kind];
  const out: Mapping = { type: s.kind, urls: s.urls };
  if (s.startTls) out.startTls = true;
  if (s.caFile !== null) out.caFile = s.caFile;
  if (s.allowPlainLdap) out.allowPlainLdap = true;
  out.bindDn = s.bindDn;
  out.bindPasswordEnv = s.bindPasswordEnv;
  out.users =
    s.userFilter === defaults.userFilter
      ? { baseDn: s.userBaseDn }
      : { baseDn: s.userBaseDn, filter: s.userFilter };
  if (s.groupBaseDn !== s.userBaseDn || s.groupFilter !== defaults.groupFilter) {
    out.groups =
      s.groupFilter === defaults.groupFilter
        ? { baseDn: s.groupBaseDn }
        : { baseDn: s.groupBaseDn, filter: s.groupFilter };
  }
  const attributes: Mapping = {};
  for (const [k, v] of Object.entries(s.attributes)) {
    if (v !== null && v !== defaults.attributes[k as keyof typeof defaults.attributes]) attributes[k] = v;
  }
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  if (s.syncIntervalSeconds !== DEFAULT_SYNC_INTERVAL_SECONDS)
    out.syncInterval = durationText(s.syncIntervalSeconds);
  if (s.fullSyncIntervalSeconds !== DEFAULT_FULL_SYNC_INTERVAL_SECONDS)
    out.fullSyncInterval = durationText(s.fullSyncIntervalSeconds);
  const guard = s.deletionGuard;
  if (JSON.stringify(guard) !== JSON.stringify(DEFAULT_DELETION_GUARD))
    out.deletionGuard = 'count' in guard ? guard.count : `${guard.percent}%`;
  if (s.timeoutSeconds !== DEFAULT_TIMEOUT_SECONDS) out.timeout = durationText(s.timeoutSeconds);
  return out;
}

function permissionSetOf(ps: StoredPermissionSet): Mapping {
  const out: Mapping = { name: ps.name };
  if (ps.description !== null) out.description = ps.description;
  if (ps.session_duration !== DEFAULT_SESSION_DURATION) out.sessionDuration = ps.session_duration;
  if (ps.relay_state !== null) out.relayState = ps.relay_state;
  if (ps.managedPolicies.length > 0) out.managedPolicies = ps.managedPolicies;
  if (ps.customerPolicies.length > 0) {
    out.customerManagedPolicies = ps.customerPolicies.map((c) =>
      c.path === '/' ? { name: c.name } : { name: c.name, path: c.path },
    );
  }
  if (ps.inline_policy !== null) out.inlinePolicy = jsonValue(ps.inline_policy);
  if (ps.permissions_boundary !== null) {
    const b = jsonValue(ps.permissions_boundary) as {
      ManagedPolicyArn?: string;
      CustomerManagedPolicyReference?: { Name: string; Path?: string };
    };
    if (typeof b.ManagedPolicyArn === 'string') out.permissionsBoundary = b.ManagedPolicyArn;
    else if (b.CustomerManagedPolicyReference) {
      const ref = b.CustomerManagedPolicyReference;
      out.permissionsBoundary = { name: ref.Name, path: ref.Path ?? '/' };
    }
  }
  if (Object.keys(ps.tags).length > 0) {
    out.tags = Object.fromEntries(
      Object.keys(ps.tags)
        .sort(byText)
        .map((k) => [k, ps.tags[k] ?? '']),
    );
  }
  const sessionTags = parseStringMap(ps.session_tags);
  if (Object.keys(sessionTags).length > 0) out.sessionTags = sessionTags;
  return out;
}

/** A stored JSON text as a value (the text itself when it is not JSON). */
function jsonValue(text: string): YamlValue {
  try {
    return JSON.parse(text) as YamlValue;
  } catch {
    return text;
  }
}

/**
 * Assignments grouped by principal and permission set, with an OU named instead of its accounts
 * where the principal has the permission set in every account under it (at least two), as the
 * file's `ous:` says it; the other accounts listed.
 */
function assignmentsOf(state: StoreState, ouOfAccount: Map<string, string>, notes: string[]): Mapping[] {
  const targets = new Map<
    string,
    { type: 'USER' | 'GROUP'; key: string; ps: string; accounts: Set<string> }
  >();
  let directoryUserAssignments = 0;
  for (const a of state.assignments) {
    const type = a.principal_type === 'GROUP' ? 'GROUP' : 'USER';
    const key = type === 'GROUP' ? state.groupById.get(a.principal_id) : state.userById.get(a.principal_id);
    const ps = state.psById.get(a.permission_set_id);
    if (key === undefined || ps === undefined) continue;
    if (type === 'USER' && state.users.get(key)?.fromDirectory) {
      directoryUserAssignments++;
      continue;
    }
    const k = `${type}|${key}|${ps}`;
    let t = targets.get(k);
    if (!t) {
      t = { type, key, ps, accounts: new Set() };
      targets.set(k, t);
    }
    t.accounts.add(a.account_id);
  }
  if (directoryUserAssignments > 0) {
    notes.push(
      `${directoryUserAssignments} assignments made directly to directory users are not written (an assignment's user must be a user of the file; assign a directory group instead)`,
    );
  }

  // Every OU (and the root) with the accounts under it, shallowest first.
  const all = [...ouOfAccount.keys()];
  const subtrees: Array<[string, string[]]> = [['/', all]];
  for (const path of [...state.ous.keys()].sort(
    (a, b) => a.split('/').length - b.split('/').length || byText(a, b),
  )) {
    subtrees.push([
      path,
      all.filter((id) => ouOfAccount.get(id) === path || ouOfAccount.get(id)?.startsWith(`${path}/`)),
    ]);
  }

  const name = (t: { type: string; key: string }) =>
    t.type === 'GROUP'
      ? (state.groups.get(t.key)?.display_name ?? t.key)
      : (state.users.get(t.key)?.user_name ?? t.key);
  const sorted = [...targets.values()].sort(
    (x, y) =>
      byText(x.type === 'GROUP' ? 'a' : 'b', y.type === 'GROUP' ? 'a' : 'b') ||
      byText(x.key, y.key) ||
      byText(x.ps, y.ps),
  );
  return sorted.map((t) => {
    const covered = new Set<string>();
    const ous: string[] = [];
    for (const [path, under] of subtrees) {
      if (under.length < 2 || under.length > t.accounts.size) continue;
      if (under.some((id) => covered.has(id) || !t.accounts.has(id))) continue;
      ous.push(path);
      for (const id of under) covered.add(id);
    }
    const accounts = [...t.accounts].filter((id) => !covered.has(id)).sort(byText);
    const entry: Mapping = t.type === 'GROUP' ? { group: name(t) } : { user: name(t) };
    entry.permissionSet = state.permissionSets.get(t.ps)?.name ?? t.ps;
    if (accounts.length > 0) entry.accounts = accounts;
    if (ous.length > 0) entry.ous = ous.sort(byText);
    return entry;
  });
}

/** The file's text: the header and notes as comments, then each section. */
function render(file: Mapping, notes: string[]): string {
  const out: string[] = [
    '# The organization as the idcenter store holds it, written by `idcenter export`.',
    '# Apply it with: idcenter apply -f <this file>. Secrets are not exported: no passwords, no bind',
    '# password (identitySource names its variable), no provisioning externalId.',
  ];
  for (const n of notes) out.push(`# Not in this file: ${n}.`);
  for (const [k, v] of Object.entries(file)) {
    out.push('');
    if (k === 'accounts' || k === 'groups' || k === 'assignments') {
      out.push(`${k}:`);
      for (const item of v as YamlValue[]) out.push(`  - ${flow(item)}`);
    } else {
      const lines = block(v, 2);
      if (typeof lines === 'string') out.push(`${k}: ${lines}`);
      else {
        out.push(`${k}:`);
        for (const line of lines) out.push(line);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
