/**
 * Rules that span entries of the organization file: unique names and ids, references between
 * users, groups, permission sets, accounts and OUs, policy counts; then the expansion of
 * OU-targeted assignments to the accounts under each OU. Every problem is collected.
 */

import { parseDuration } from '../../domain/duration.ts';
import { defaultRegion, isPartition, type Partition } from '../../domain/federation/partitions.ts';
import { MAX_SESSION_TAGS, MAX_USER_ATTRIBUTES } from '../../domain/federation/session-tags.ts';
import {
  checkRegion,
  DEFAULT_FEDERATION,
  DEFAULT_PROVISIONING,
  type FederationSettings,
  isAccessMode,
  isFederationProtocol,
  type ProvisioningSettings,
} from '../../domain/federation/settings.ts';
import { userNameKey } from '../../domain/identity/directory.ts';
import {
  BUILT_IN,
  DEFAULT_DELETION_GUARD,
  DEFAULT_FULL_SYNC_INTERVAL_SECONDS,
  DEFAULT_SYNC_INTERVAL_SECONDS,
  DEFAULT_TIMEOUT_SECONDS,
  DIRECTORY_DEFAULTS,
  type DirectoryKind,
  type IdentitySource,
  parseDeletionGuard,
} from '../../domain/identity/identity-source.ts';
import { ouAncestry } from '../../domain/identity/organization.ts';
import {
  DEFAULT_SESSION_DURATION,
  MAX_ATTACHED_POLICIES,
  MAX_TAGS,
  parseSessionDuration,
} from '../../domain/identity/permission-set.ts';
import type {
  DesiredAccount,
  DesiredAssignment,
  DesiredGroup,
  DesiredOrg,
  DesiredPermissionSet,
  DesiredUser,
} from './model.ts';
import { type ExternalIdRef, emailOfEmails, profileOfFileUser } from './user-profile.ts';
import type { FileProblem, PathSegment } from './yaml-source.ts';

type Entry = Record<string, unknown>;

/** The entries of a top-level list that are mappings, with their index (others: schema problems). */
function entries(file: unknown, key: string): Array<[Entry, number]> {
  const list = isEntry(file) ? file[key] : undefined;
  if (!Array.isArray(list)) return [];
  const out: Array<[Entry, number]> = [];
  list.forEach((e, i) => {
    if (isEntry(e)) out.push([e, i]);
  });
  return out;
}

function isEntry(v: unknown): v is Entry {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(e: Entry, key: string): string | undefined {
  const v = e[key];
  return typeof v === 'string' ? v : undefined;
}

function strings(e: Entry, key: string): Array<[string, number]> {
  const v = e[key];
  if (!Array.isArray(v)) return [];
  const out: Array<[string, number]> = [];
  v.forEach((x, i) => {
    if (typeof x === 'string') out.push([x, i]);
  });
  return out;
}

function at(path: PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/** Remembers the first entry for each key, to name it when a duplicate appears. */
class FirstSeen {
  private readonly map = new Map<string, PathSegment[]>();
  /** Returns the path of the earlier entry when `key` was seen before. */
  add(key: string, path: PathSegment[]): PathSegment[] | undefined {
    const earlier = this.map.get(key);
    if (earlier) return earlier;
    this.map.set(key, path);
    return undefined;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
}

/**
 * The external ids of a user or group entry (those the schema accepts). One (issuer, id) names at
 * most one user, and one group: a second use, in this entry or another, is a problem.
 */
function externalIdsOf(
  e: Entry,
  path: PathSegment[],
  seen: FirstSeen,
  problem: (path: PathSegment[], message: string) => void,
): ExternalIdRef[] {
  const list = e.externalIds;
  if (!Array.isArray(list)) return [];
  const out: ExternalIdRef[] = [];
  list.forEach((x, j) => {
    if (!isEntry(x) || typeof x.issuer !== 'string' || typeof x.id !== 'string') return;
    const here = [...path, 'externalIds', j];
    const earlier = seen.add(`${x.issuer}\u0000${x.id}`, here);
    if (earlier) {
      problem(
        here,
        `the external id "${x.id}" of issuer "${x.issuer}" is already given at ${at(earlier)} (it names one ${path[0] === 'groups' ? 'group' : 'user'})`,
      );
      return;
    }
    out.push({ issuer: x.issuer, id: x.id });
  });
  return out;
}

/**
 * Check the rules between entries and build the organization. Tolerant of entries the schema
 * rejects (it skips values of the wrong type), so one run reports schema and reference
 * problems together; the organization is only meaningful when the schema passed too.
 */
export function resolveOrg(file: unknown): { org: DesiredOrg; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const problem = (path: PathSegment[], message: string) => problems.push({ path, message });

  // Accounts and the OUs they create.
  const accounts: DesiredAccount[] = [];
  const accountIds = new FirstSeen();
  const accountEmails = new FirstSeen();
  const ouSet = new Set<string>();
  for (const [a, i] of entries(file, 'accounts')) {
    const id = str(a, 'id');
    const email = str(a, 'email');
    const earlier = id === undefined ? undefined : accountIds.add(id, ['accounts', i]);
    if (earlier) problem(['accounts', i, 'id'], `account ${id} is already defined at ${at(earlier)}`);
    const earlierEmail =
      email === undefined ? undefined : accountEmails.add(email.toLowerCase(), ['accounts', i]);
    if (earlierEmail) {
      problem(
        ['accounts', i, 'email'],
        `e-mail ${email} is already used by the account at ${at(earlierEmail)}`,
      );
    }
    const ouPath = str(a, 'ou') ?? '/';
    if (ouPath.startsWith('/')) for (const p of ouAncestry(ouPath)) ouSet.add(p);
    if (id !== undefined && !earlier) {
      const access = str(a, 'access') ?? 'local';
      const partition = str(a, 'partition');
      const protocol = str(a, 'federation');
      if (protocol !== undefined && access !== 'aws') {
        problem(
          ['accounts', i, 'federation'],
          `federation applies to accounts with access: aws only; account ${id} is ${access}`,
        );
      }
      accounts.push({
        id,
        name: str(a, 'name') ?? '',
        email: email ?? '',
        ouPath,
        access: isAccessMode(access) ? access : 'local',
        partition: partition !== undefined && isPartition(partition) ? partition : null,
        federation: protocol !== undefined && isFederationProtocol(protocol) ? protocol : 'saml',
      });
    }
  }
  // OUs named on their own (`organizationalUnits:`): kept even with no account in them.
  const ouNamed = new FirstSeen();
  for (const [path, i] of strings(isEntry(file) ? file : {}, 'organizationalUnits')) {
    const earlier = ouNamed.add(path, ['organizationalUnits', i]);
    if (earlier) problem(['organizationalUnits', i], `OU ${path} is already listed at ${at(earlier)}`);
    else if (path.startsWith('/') && path !== '/') for (const p of ouAncestry(path)) ouSet.add(p);
  }
  const ous = [...ouSet].sort((x, y) => x.split('/').length - y.split('/').length || x.localeCompare(y));
  /** OU path → ids of the accounts in its subtree. */
  const subtree = new Map<string, string[]>();
  for (const a of accounts) {
    if (!a.ouPath.startsWith('/')) continue;
    for (const p of ouAncestry(a.ouPath)) {
      const list = subtree.get(p);
      if (list) list.push(a.id);
      else subtree.set(p, [a.id]);
    }
  }

  const federation = resolveFederation(isEntry(file) ? file.federation : undefined, problem);
  const provisioning = resolveProvisioning(isEntry(file) ? file.federation : undefined);

  const identitySource = resolveIdentitySource(isEntry(file) ? file.identitySource : undefined, problem);
  const fromDirectory = identitySource.kind !== 'builtIn';

  const management = isEntry(file) ? file.managementAccount : undefined;
  if (typeof management === 'string' && !accountIds.has(management)) {
    problem(['managementAccount'], `account ${management} is not in accounts`);
  }

  // Groups.
  const groupExternalIds = new FirstSeen();
  const groups: DesiredGroup[] = [];
  const groupKeys = new FirstSeen();
  for (const [g, i] of entries(file, 'groups')) {
    const name = str(g, 'name');
    if (name === undefined) continue;
    const key = name.toLowerCase();
    const earlier = groupKeys.add(key, ['groups', i]);
    if (earlier) {
      problem(
        ['groups', i, 'name'],
        `group "${name}" is already defined at ${at(earlier)} (names are compared without case)`,
      );
      continue;
    }
    groups.push({
      key,
      name,
      description: str(g, 'description') ?? null,
      externalIds: externalIdsOf(g, ['groups', i], groupExternalIds, problem),
    });
  }

  // Users and their groups.
  const userExternalIds = new FirstSeen();
  const users: DesiredUser[] = [];
  const userKeys = new FirstSeen();
  for (const [u, i] of entries(file, 'users')) {
    const userName = str(u, 'userName');
    const key = userName === undefined ? undefined : userNameKey(userName);
    const earlier = key === undefined ? undefined : userKeys.add(key, ['users', i]);
    if (earlier) {
      problem(
        ['users', i, 'userName'],
        `user "${userName}" is already defined at ${at(earlier)} (names are compared without case)`,
      );
    }
    const memberOf: string[] = [];
    const seen = new Set<string>();
    for (const [g, j] of strings(u, 'groups')) {
      const gk = g.toLowerCase();
      if (!groupKeys.has(gk)) problem(['users', i, 'groups', j], `group "${g}" is not defined in groups`);
      else if (seen.has(gk)) problem(['users', i, 'groups', j], `group "${g}" is listed twice`);
      else {
        seen.add(gk);
        memberOf.push(gk);
      }
    }
    if (userName === undefined || key === undefined || earlier) continue;
    const attributes: Record<string, string> = {};
    if (isEntry(u.attributes)) {
      for (const [k, v] of Object.entries(u.attributes)) if (typeof v === 'string') attributes[k] = v;
      const count = Object.keys(u.attributes).length;
      if (count > MAX_USER_ATTRIBUTES) {
        problem(
          ['users', i, 'attributes'],
          `${count} attributes; at most ${MAX_USER_ATTRIBUTES} are allowed`,
        );
      }
    }
    const disabled = u.disabled;
    if (u.email !== undefined && u.email !== null && u.emails !== undefined && u.emails !== null) {
      problem(
        ['users', i, 'emails'],
        'give email or emails, not both (emails says the e-mail with its type; email is the short form)',
      );
    }
    const profile = profileOfFileUser(u);
    const externalIds = externalIdsOf(u, ['users', i], userExternalIds, problem);
    users.push({
      key,
      userName,
      displayName: str(u, 'displayName') ?? '',
      givenName: str(u, 'givenName') ?? null,
      familyName: str(u, 'familyName') ?? null,
      email: emailOfEmails(profile.Emails),
      profile,
      externalIds,
      password: str(u, 'password'),
      groups: memberOf,
      disabled: typeof disabled === 'boolean' ? disabled : undefined,
      attributes,
    });
  }

  // Permission sets.
  const permissionSets: DesiredPermissionSet[] = [];
  const psKeys = new FirstSeen();
  for (const [ps, i] of entries(file, 'permissionSets')) {
    const name = str(ps, 'name');
    if (name === undefined) continue;
    const key = name.toLowerCase();
    const earlier = psKeys.add(key, ['permissionSets', i]);
    if (earlier) {
      problem(
        ['permissionSets', i, 'name'],
        `permission set "${name}" is already defined at ${at(earlier)} (names are compared without case)`,
      );
      continue;
    }
    const managedSeen = new Set<string>();
    for (const [arn, j] of strings(ps, 'managedPolicies')) {
      if (managedSeen.has(arn))
        problem(['permissionSets', i, 'managedPolicies', j], `${arn} is listed twice`);
      managedSeen.add(arn);
    }
    const customer = new Map<string, { name: string; path: string }>();
    const customerList = Array.isArray(ps.customerManagedPolicies) ? ps.customerManagedPolicies : [];
    customerList.forEach((c: unknown, j: number) => {
      if (!isEntry(c) || typeof c.name !== 'string') return;
      const ref = { name: c.name, path: typeof c.path === 'string' ? c.path : '/' };
      const k = `${ref.path}${ref.name}`;
      if (customer.has(k))
        problem(['permissionSets', i, 'customerManagedPolicies', j], `${k} is listed twice`);
      customer.set(k, ref);
    });
    if (managedSeen.size + customer.size > MAX_ATTACHED_POLICIES) {
      problem(
        ['permissionSets', i],
        `permission set "${name}" attaches ${managedSeen.size + customer.size} managed and customer managed policies; at most ${MAX_ATTACHED_POLICIES} are allowed`,
      );
    }
    const tags: Record<string, string> = {};
    if (isEntry(ps.tags)) {
      for (const [k, v] of Object.entries(ps.tags)) if (typeof v === 'string') tags[k] = v;
      const count = Object.keys(ps.tags).length;
      if (count > MAX_TAGS)
        problem(['permissionSets', i, 'tags'], `${count} tags; at most ${MAX_TAGS} are allowed`);
    }
    const sessionTags: Record<string, string> = {};
    if (isEntry(ps.sessionTags)) {
      const lower = new Map<string, string>();
      for (const [k, v] of Object.entries(ps.sessionTags)) {
        if (typeof v !== 'string') continue;
        // AWS compares session tag keys without case: two that differ only in case are one tag.
        const earlier = lower.get(k.toLowerCase());
        if (earlier !== undefined) {
          problem(
            ['permissionSets', i, 'sessionTags', k],
            `session tag keys ${earlier} and ${k} differ only in case; AWS treats them as one tag`,
          );
        }
        lower.set(k.toLowerCase(), k);
        sessionTags[k] = v;
      }
      const count = Object.keys(ps.sessionTags).length;
      if (count > MAX_SESSION_TAGS) {
        problem(
          ['permissionSets', i, 'sessionTags'],
          `${count} session tags; AWS accepts at most ${MAX_SESSION_TAGS}`,
        );
      }
    }
    const sessionDuration = str(ps, 'sessionDuration') ?? DEFAULT_SESSION_DURATION;
    const parsed = parseSessionDuration(sessionDuration);
    const inline = ps.inlinePolicy;
    const boundary = ps.permissionsBoundary;
    permissionSets.push({
      key,
      name,
      description: str(ps, 'description') ?? null,
      sessionDuration,
      sessionSeconds: 'seconds' in parsed ? parsed.seconds : 3600,
      relayState: str(ps, 'relayState') ?? null,
      inlinePolicy: inline == null ? null : typeof inline === 'string' ? inline : JSON.stringify(inline),
      permissionsBoundary:
        typeof boundary === 'string'
          ? JSON.stringify({ ManagedPolicyArn: boundary })
          : isEntry(boundary)
            ? JSON.stringify({
                CustomerManagedPolicyReference: {
                  Name: boundary.name,
                  Path: typeof boundary.path === 'string' ? boundary.path : '/',
                },
              })
            : null,
      managedPolicies: [...managedSeen].sort(),
      customerPolicies: [...customer.values()].sort(
        (x, y) => x.path.localeCompare(y.path) || x.name.localeCompare(y.name),
      ),
      tags,
      sessionTags,
    });
  }

  // Assignments, with OU targets expanded.
  const assignments: DesiredAssignment[] = [];
  const assignmentKeys = new Set<string>();
  const directoryGroups = new Map<string, { name: string; path: PathSegment[] }>();
  for (const [a, i] of entries(file, 'assignments')) {
    const user = str(a, 'user');
    const group = str(a, 'group');
    let ok = (user === undefined) !== (group === undefined);
    const principalType = user !== undefined ? 'USER' : 'GROUP';
    const principal = user !== undefined ? userNameKey(user) : (group ?? '').toLowerCase();
    if (user !== undefined && !userKeys.has(principal)) {
      problem(['assignments', i, 'user'], `user "${user}" is not defined in users`);
      ok = false;
    }
    if (group !== undefined && !groupKeys.has(group.toLowerCase())) {
      if (fromDirectory) {
        // A group of the directory: apply checks that the directory has it.
        if (!directoryGroups.has(group.toLowerCase()))
          directoryGroups.set(group.toLowerCase(), { name: group, path: ['assignments', i, 'group'] });
      } else {
        problem(['assignments', i, 'group'], `group "${group}" is not defined in groups`);
        ok = false;
      }
    }
    const psName = str(a, 'permissionSet');
    const permissionSet = (psName ?? '').toLowerCase();
    if (psName !== undefined && !psKeys.has(permissionSet)) {
      problem(
        ['assignments', i, 'permissionSet'],
        `permission set "${psName}" is not defined in permissionSets`,
      );
      ok = false;
    }
    const targets: string[] = [];
    const listed = new Set<string>();
    for (const [id, j] of strings(a, 'accounts')) {
      if (!accountIds.has(id)) {
        problem(['assignments', i, 'accounts', j], `account ${id} is not defined in accounts`);
        ok = false;
      } else if (listed.has(id)) {
        problem(['assignments', i, 'accounts', j], `account ${id} is listed twice`);
      } else {
        listed.add(id);
        targets.push(id);
      }
    }
    const ouListed = new Set<string>();
    for (const [path, j] of strings(a, 'ous')) {
      if (ouListed.has(path)) {
        problem(['assignments', i, 'ous', j], `OU ${path} is listed twice`);
        continue;
      }
      ouListed.add(path);
      if (path === '/') {
        for (const acc of accounts) targets.push(acc.id);
        continue;
      }
      const under = subtree.get(path);
      if (!under) {
        if (path.startsWith('/')) {
          problem(
            ['assignments', i, 'ous', j],
            `OU ${path} has no accounts in this file (OUs come from the accounts' ou paths)`,
          );
        }
        ok = false;
        continue;
      }
      targets.push(...under);
    }
    if (!ok || psName === undefined) continue;
    for (const accountId of targets) {
      const k = `${principalType}|${principal}|${permissionSet}|${accountId}`;
      if (assignmentKeys.has(k)) continue;
      assignmentKeys.add(k);
      assignments.push({ principalType, principal, permissionSet, accountId });
    }
  }

  // The administrators' permission sets: each must be one the file defines.
  let administrators: string[] | undefined;
  const admins = isEntry(file) ? file.administrators : undefined;
  if (isEntry(admins)) {
    administrators = [];
    for (const [name, j] of strings(admins, 'permissionSets')) {
      const key = name.toLowerCase();
      if (!psKeys.has(key)) {
        problem(
          ['administrators', 'permissionSets', j],
          `permission set "${name}" is not defined in permissionSets`,
        );
      } else if (!administrators.includes(key)) administrators.push(key);
    }
  }

  return {
    org: {
      managementAccount: typeof management === 'string' ? management : undefined,
      federation,
      provisioning,
      identitySource,
      directoryGroups: [...directoryGroups].map(([key, g]) => ({ key, ...g })),
      ous,
      accounts,
      groups,
      users,
      permissionSets,
      assignments,
      administrators,
    },
    problems,
  };
}

/**
 * `federation:` with the defaults filled in. The region defaults to the partition's own when the
 * file names another partition, and must belong to the partition.
 */
function resolveFederation(
  value: unknown,
  problem: (path: PathSegment[], message: string) => void,
): FederationSettings {
  const f = isEntry(value) ? value : {};
  const partitionText = str(f, 'partition');
  const partition: Partition =
    partitionText !== undefined && isPartition(partitionText) ? partitionText : DEFAULT_FEDERATION.partition;
  const regionText = str(f, 'region');
  let region =
    partition === DEFAULT_FEDERATION.partition ? DEFAULT_FEDERATION.region : defaultRegion(partition);
  if (regionText !== undefined) {
    const p = checkRegion(regionText, partition);
    if (p) problem(['federation', 'region'], p);
    else region = regionText;
  }
  return {
    providerName: str(f, 'providerName') ?? DEFAULT_FEDERATION.providerName,
    roleNamePattern: str(f, 'roleNamePattern') ?? DEFAULT_FEDERATION.roleNamePattern,
    rolePath: str(f, 'rolePath') ?? DEFAULT_FEDERATION.rolePath,
    partition,
    region,
    oidcAudience: str(f, 'oidcAudience') ?? DEFAULT_FEDERATION.oidcAudience,
  };
}

/** `federation.provisioning` with the defaults filled in (the schema checked each value). */
function resolveProvisioning(value: unknown): ProvisioningSettings {
  const f = isEntry(value) && isEntry(value.provisioning) ? value.provisioning : {};
  return {
    enabled: typeof f.enabled === 'boolean' ? f.enabled : DEFAULT_PROVISIONING.enabled,
    profile: str(f, 'profile') ?? DEFAULT_PROVISIONING.profile,
    roleName: str(f, 'roleName') ?? DEFAULT_PROVISIONING.roleName,
    externalId: str(f, 'externalId') ?? DEFAULT_PROVISIONING.externalId,
    oidcThumbprints: strings(f, 'oidcThumbprints').map(([t]) => t.toLowerCase()),
  };
}

/**
 * `identitySource:` with the defaults of its kind filled in, and the rules between its keys:
 * a directory needs URLs, a bind DN, the variable of its bind password and a user base DN;
 * plain `ldap://` needs StartTLS or an explicit `allowPlainLdap: true`.
 */
function resolveIdentitySource(
  value: unknown,
  problem: (path: PathSegment[], message: string) => void,
): IdentitySource {
  if (!isEntry(value)) return BUILT_IN;
  const kind = str(value, 'type');
  if (kind !== 'activeDirectory' && kind !== 'ldap') {
    if (kind === 'builtIn') {
      for (const key of Object.keys(value))
        if (key !== 'type')
          problem(['identitySource', key], `${key} applies to activeDirectory and ldap only`);
    }
    return BUILT_IN;
  }
  const at = (key: string): PathSegment[] => ['identitySource', key];
  const required = (key: string, what: string) => {
    if (value[key] === undefined || value[key] === null) problem(at(key), `${what} is required for ${kind}`);
  };
  const urls = strings(value, 'urls').map(([u]) => u);
  if (Array.isArray(value.urls) && value.urls.length === 0)
    problem(at('urls'), 'urls must name at least one server');
  required('urls', 'urls');
  required('bindDn', 'bindDn');
  required('bindPasswordEnv', 'bindPasswordEnv');
  required('users', 'users (with its baseDn)');
  const startTls = value.startTls === true;
  const allowPlainLdap = value.allowPlainLdap === true;
  urls.forEach((u, i) => {
    if (u.startsWith('ldap://') && !startTls && !allowPlainLdap) {
      problem(
        ['identitySource', 'urls', i],
        `${u} would send passwords in the clear; use ldaps://, or set startTls: true (or allowPlainLdap: true for a test directory)`,
      );
    }
  });
  const defaults = DIRECTORY_DEFAULTS[kind as DirectoryKind];
  const users = isEntry(value.users) ? value.users : {};
  const groups = isEntry(value.groups) ? value.groups : users;
  const attributes = isEntry(value.attributes) ? value.attributes : {};
  if (kind === 'activeDirectory' && attributes.disabled !== undefined) {
    problem(
      ['identitySource', 'attributes', 'disabled'],
      'Active Directory says a user is disabled in userAccountControl; attributes.disabled is for ldap',
    );
  }
  const seconds = (key: string, fallback: number) => {
    const v = str(value, key);
    return v === undefined ? fallback : (parseDuration(v) ?? fallback);
  };
  const guardValue = value.deletionGuard;
  const guard =
    typeof guardValue === 'string' || typeof guardValue === 'number'
      ? parseDeletionGuard(guardValue)
      : undefined;
  return {
    kind: kind as DirectoryKind,
    urls,
    startTls,
    caFile: str(value, 'caFile') ?? null,
    allowPlainLdap,
    bindDn: str(value, 'bindDn') ?? '',
    bindPasswordEnv: str(value, 'bindPasswordEnv') ?? '',
    userBaseDn: str(users, 'baseDn') ?? '',
    userFilter: str(users, 'filter') ?? defaults.userFilter,
    groupBaseDn: str(groups, 'baseDn') ?? str(users, 'baseDn') ?? '',
    groupFilter: (isEntry(value.groups) ? str(value.groups, 'filter') : undefined) ?? defaults.groupFilter,
    attributes: {
      userName: str(attributes, 'userName') ?? defaults.attributes.userName,
      email: str(attributes, 'email') ?? defaults.attributes.email,
      displayName: str(attributes, 'displayName') ?? defaults.attributes.displayName,
      givenName: str(attributes, 'givenName') ?? defaults.attributes.givenName,
      familyName: str(attributes, 'familyName') ?? defaults.attributes.familyName,
      externalId: str(attributes, 'externalId') ?? defaults.attributes.externalId,
      disabled: str(attributes, 'disabled') ?? defaults.attributes.disabled,
    },
    syncIntervalSeconds: seconds('syncInterval', DEFAULT_SYNC_INTERVAL_SECONDS),
    fullSyncIntervalSeconds: seconds('fullSyncInterval', DEFAULT_FULL_SYNC_INTERVAL_SECONDS),
    deletionGuard: guard ?? DEFAULT_DELETION_GUARD,
    timeoutSeconds: seconds('timeout', DEFAULT_TIMEOUT_SECONDS),
  };
}
