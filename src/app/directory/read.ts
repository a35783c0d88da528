/**
 * Reading the directory for a sync: its users and groups, and which users are in each group,
 * nested groups resolved. Active Directory answers nesting itself (the in-chain matching rule,
 * one search per group); an LDAP directory lists members (`member`, `uniqueMember` DNs, which may
 * be groups, or `memberUid` user names) and the nesting is walked here, each group once, so a
 * membership loop ends.
 */
import {
  type DirectorySettings,
  escapeFilterValue,
  formatGuid,
  isAdDisabled,
  isLdapDisabled,
} from '../../domain/identity/identity-source.ts';
import { bytesOf, type DirectoryConnection, textOf, textsOf } from './ldap.ts';

export interface DirectoryUser {
  dn: string;
  externalId: string | undefined;
  userName: string | undefined;
  email: string | undefined;
  displayName: string | undefined;
  givenName: string | undefined;
  familyName: string | undefined;
  disabled: boolean;
}

export interface DirectoryGroup {
  dn: string;
  externalId: string | undefined;
  name: string | undefined;
  description: string | undefined;
  /** DNs of the users in the group, directly or through nested groups. */
  members: string[];
}

export interface DirectoryRead {
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  /** The highest change mark seen (uSNChanged on AD, entryCSN or else modifyTimestamp on LDAP). */
  cursor: string | undefined;
}

/** AD: the matching rule that follows nested groups on the server (LDAP_MATCHING_RULE_IN_CHAIN). */
const IN_CHAIN = '1.2.840.113556.1.4.1941';

/**
 * The attributes that say when an entry last changed. AD: uSNChanged, a counter. LDAP: entryCSN
 * where the server keeps it (OpenLDAP: a time to the microsecond, then a count and the server
 * id, unique per change and ordered as text), else modifyTimestamp (to the second). A
 * cursor of whole seconds makes each incremental sync read again every entry changed in the
 * cursor's second — after a bulk load, every entry, every sync — which a CSN does not.
 */
function changeMarks(settings: DirectorySettings): string[] {
  return settings.kind === 'activeDirectory' ? ['uSNChanged'] : ['entryCSN', 'modifyTimestamp'];
}

function markOf(settings: DirectorySettings, e: Parameters<typeof textOf>[0]): string | undefined {
  if (settings.kind === 'activeDirectory') return textOf(e, 'uSNChanged');
  return textOf(e, 'entryCSN') ?? textOf(e, 'modifyTimestamp');
}

/** A CSN (`20261207094600.123456Z#000000#000#000000`) rather than a GeneralizedTime. */
function isCsn(mark: string): boolean {
  return mark.includes('#');
}

/**
 * Filter text for entries changed at or after `cursor` (AD: a higher USN; LDAP: the same or a
 * later CSN, or time for a cursor kept before CSNs were used or from a server without them).
 */
function changedSince(settings: DirectorySettings, cursor: string): string {
  if (settings.kind === 'activeDirectory') return `(uSNChanged>=${BigInt(cursor) + 1n})`;
  const attribute = isCsn(cursor) ? 'entryCSN' : 'modifyTimestamp';
  return `(${attribute}>=${escapeFilterValue(cursor)})`;
}

function laterMark(settings: DirectorySettings, a: string | undefined, b: string | undefined) {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (settings.kind === 'activeDirectory') return BigInt(a) >= BigInt(b) ? a : b;
  // A CSN wins over a time (the first sync after a cursor of times); like with like, as text.
  if (isCsn(a) !== isCsn(b)) return isCsn(a) ? a : b;
  return a >= b ? a : b;
}

function externalIdOf(settings: DirectorySettings, entry: Parameters<typeof textOf>[0]): string | undefined {
  const attribute = settings.attributes.externalId;
  if (attribute.toLowerCase() === 'objectguid') {
    const bytes = bytesOf(entry, attribute);
    return bytes ? formatGuid(bytes) : undefined;
  }
  return textOf(entry, attribute);
}

/**
 * Read users (all, or those changed after `since`) and every group with its members. Throws
 * `DirectoryError` when anything cannot be read: a sync that could not read changes nothing.
 */
export async function readDirectory(
  conn: DirectoryConnection,
  settings: DirectorySettings,
  since: string | undefined,
  progress: (message: string) => void,
): Promise<DirectoryRead> {
  const a = settings.attributes;
  const marks = changeMarks(settings);
  const userAttributes = [
    a.userName,
    a.email,
    a.displayName,
    a.givenName,
    a.familyName,
    a.externalId,
    ...marks,
    'cn',
  ];
  if (settings.kind === 'activeDirectory') userAttributes.push('userAccountControl');
  else if (a.disabled) userAttributes.push(a.disabled);
  const userFilter =
    since === undefined ? settings.userFilter : `(&${settings.userFilter}${changedSince(settings, since)})`;
  let cursor: string | undefined = since;
  const userEntries = await conn.searchAll(settings.userBaseDn, userFilter, userAttributes, (n) =>
    progress(`users read: ${n}`),
  );
  const users = userEntries.map((e): DirectoryUser => {
    cursor = laterMark(settings, cursor, markOf(settings, e));
    return {
      dn: e.dn,
      externalId: externalIdOf(settings, e),
      userName: textOf(e, a.userName),
      email: textOf(e, a.email),
      displayName: textOf(e, a.displayName) ?? textOf(e, 'cn'),
      givenName: textOf(e, a.givenName),
      familyName: textOf(e, a.familyName),
      disabled:
        settings.kind === 'activeDirectory'
          ? isAdDisabled(textOf(e, 'userAccountControl'))
          : a.disabled !== null && isLdapDisabled(textOf(e, a.disabled)),
    };
  });

  const groupAttributes = ['cn', 'description', a.externalId, ...marks];
  if (settings.kind === 'ldap') groupAttributes.push('member', 'uniqueMember', 'memberUid');
  const groupEntries = await conn.searchAll(
    settings.groupBaseDn,
    settings.groupFilter,
    groupAttributes,
    (n) => progress(`groups read: ${n}`),
  );
  for (const e of groupEntries) cursor = laterMark(settings, cursor, markOf(settings, e));

  let members: Map<string, string[]>;
  if (settings.kind === 'activeDirectory') {
    members = new Map();
    let done = 0;
    for (const g of groupEntries) {
      const filter = `(&${settings.userFilter}(memberOf:${IN_CHAIN}:=${escapeFilterValue(g.dn)}))`;
      const found = await conn.searchAll(settings.userBaseDn, filter, ['1.1']);
      members.set(
        g.dn,
        found.map((u) => u.dn),
      );
      done++;
      if (done % 100 === 0 || done === groupEntries.length)
        progress(`group members read: ${done}/${groupEntries.length}`);
    }
  } else {
    // Whoever is named by uid (memberUid) is found among all users, not only the changed ones
    // (read only when a group names members so).
    const dnOfName =
      since === undefined
        ? new Map(users.flatMap((u) => (u.userName ? [[u.userName.toLowerCase(), u.dn] as const] : [])))
        : groupEntries.some((g) => textsOf(g, 'memberUid').length > 0)
          ? await allUserNames(conn, settings)
          : new Map<string, string>();
    members = nestedMembers(groupEntries, dnOfName);
  }

  return {
    users,
    groups: groupEntries.map((e) => ({
      dn: e.dn,
      externalId: externalIdOf(settings, e),
      name: textOf(e, 'cn'),
      description: textOf(e, 'description'),
      members: members.get(e.dn) ?? [],
    })),
    cursor,
  };
}

async function allUserNames(conn: DirectoryConnection, settings: DirectorySettings) {
  const entries = await conn.searchAll(settings.userBaseDn, settings.userFilter, [
    settings.attributes.userName,
  ]);
  const out = new Map<string, string>();
  for (const e of entries) {
    const name = textOf(e, settings.attributes.userName);
    if (name) out.set(name.toLowerCase(), e.dn);
  }
  return out;
}

/** DNs compare without case and without spaces after commas. */
export function dnKey(dn: string): string {
  // Most DNs have no such spaces: skip the replace (a sync keys tens of thousands of DNs).
  return (/,\s/.test(dn) ? dn.replace(/,\s+/g, ',') : dn).toLowerCase();
}

/**
 * LDAP groups' members, nested groups expanded: a member DN that is a group brings that group's
 * members. Each group is expanded once and a group being expanded is not entered again, so a
 * loop (A in B, B in A) ends with both holding the members of both.
 */
export function nestedMembers(
  groups: Array<Parameters<typeof textOf>[0]>,
  dnOfUserName: Map<string, string>,
): Map<string, string[]> {
  const byKey = new Map(groups.map((g) => [dnKey(g.dn), g]));
  const direct = new Map<string, { users: string[]; groups: string[] }>();
  for (const g of groups) {
    const users: string[] = [];
    const nested: string[] = [];
    for (const dn of [...textsOf(g, 'member'), ...textsOf(g, 'uniqueMember')]) {
      // uniqueMember may carry `#'0101'B` after the DN (an optional UID).
      const clean = dn.replace(/#'[01]*'B$/, '');
      if (byKey.has(dnKey(clean))) nested.push(dnKey(clean));
      else users.push(clean);
    }
    for (const uid of textsOf(g, 'memberUid')) {
      const dn = dnOfUserName.get(uid.toLowerCase());
      if (dn) users.push(dn);
    }
    direct.set(dnKey(g.dn), { users, groups: nested });
  }
  const expand = (key: string, visiting: Set<string>): Set<string> => {
    const out = new Set<string>();
    visiting.add(key);
    const d = direct.get(key);
    for (const u of d?.users ?? []) out.add(u);
    for (const child of d?.groups ?? []) {
      if (visiting.has(child)) continue; // a loop: its members come in through the outer walk
      for (const u of expand(child, visiting)) out.add(u);
    }
    visiting.delete(key);
    return out;
  };
  const out = new Map<string, string[]>();
  for (const g of groups) {
    // Each group walked on its own, so a loop gives every group in it the members of all of them.
    const members = expand(dnKey(g.dn), new Set());
    out.set(g.dn, [...members]);
  }
  return out;
}
