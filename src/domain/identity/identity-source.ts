/**
 * Where the instance's people come from: the built-in directory (users and groups of the
 * organization file), Active Directory or an LDAP directory (README.md, "Users from Active
 * Directory or LDAP"). The settings, their defaults per kind and the rules a directory's answers
 * are read with. No I/O: `app/directory/` connects, searches and binds.
 */

export const IDENTITY_SOURCE_KINDS = ['builtIn', 'activeDirectory', 'ldap'] as const;
export type IdentitySourceKind = (typeof IDENTITY_SOURCE_KINDS)[number];
export type DirectoryKind = Exclude<IdentitySourceKind, 'builtIn'>;

/** Directory attributes that give a user's fields. */
export interface AttributeMap {
  userName: string;
  email: string;
  displayName: string;
  givenName: string;
  familyName: string;
  /** A value that never changes for the entry (objectGUID, entryUUID). */
  externalId: string;
  /** LDAP only: present with a value other than FALSE/0 means disabled; null: none. */
  disabled: string | null;
}

export interface DirectorySettings {
  kind: DirectoryKind;
  /** Tried in order; the next one when a server cannot be reached. */
  urls: string[];
  /** Upgrade `ldap://` with StartTLS (ignored for `ldaps://`). */
  startTls: boolean;
  /** PEM file of the CA that signs the directory's certificates; null: the system's. */
  caFile: string | null;
  /** Plain `ldap://` without StartTLS: refused unless this is true. */
  allowPlainLdap: boolean;
  bindDn: string;
  /** The environment variable holding the bind password (never the password itself). */
  bindPasswordEnv: string;
  userBaseDn: string;
  userFilter: string;
  groupBaseDn: string;
  groupFilter: string;
  attributes: AttributeMap;
  /** Seconds between incremental syncs run by the server; 0: the server does not sync. */
  syncIntervalSeconds: number;
  /** Seconds between full syncs (the ones that notice deletions). */
  fullSyncIntervalSeconds: number;
  /**
   * The most users one sync may disable: a count, or a percentage of the directory users
   * already here (`10%`). Past it the sync refuses and says why.
   */
  deletionGuard: { count: number } | { percent: number };
  /** Seconds to wait for a directory server to answer. */
  timeoutSeconds: number;
}

export type IdentitySource = { kind: 'builtIn' } | DirectorySettings;

export const BUILT_IN: IdentitySource = { kind: 'builtIn' };

/** Defaults by kind: what a stock Active Directory or OpenLDAP holds. */
export const DIRECTORY_DEFAULTS: Record<
  DirectoryKind,
  { userFilter: string; groupFilter: string; attributes: AttributeMap }
> = {
  activeDirectory: {
    userFilter: '(&(objectCategory=person)(objectClass=user))',
    groupFilter: '(objectClass=group)',
    attributes: {
      userName: 'sAMAccountName',
      email: 'mail',
      displayName: 'displayName',
      givenName: 'givenName',
      familyName: 'sn',
      externalId: 'objectGUID',
      disabled: null,
    },
  },
  ldap: {
    userFilter: '(objectClass=inetOrgPerson)',
    groupFilter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))',
    attributes: {
      userName: 'uid',
      email: 'mail',
      displayName: 'displayName',
      givenName: 'givenName',
      familyName: 'sn',
      externalId: 'entryUUID',
      disabled: null,
    },
  },
};

export const DEFAULT_SYNC_INTERVAL_SECONDS = 15 * 60;
export const DEFAULT_FULL_SYNC_INTERVAL_SECONDS = 24 * 3600;
export const DEFAULT_DELETION_GUARD = { percent: 10 } as const;
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Entries per page of a search: Active Directory answers at most 1,000 (MaxPageSize). */
export const PAGE_SIZE = 1000;

/** `ldaps://host[:port]` or `ldap://host[:port]`, nothing after the authority. */
export function checkLdapUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL (expected ldaps://host or ldap://host)`;
  }
  if (url.protocol !== 'ldaps:' && url.protocol !== 'ldap:') {
    return `"${value}" must start with ldaps:// or ldap://`;
  }
  if (!url.hostname) return `"${value}" names no host`;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash || url.username) {
    return `"${value}" must be only ldaps://host[:port], without a path, query or user`;
  }
  return undefined;
}

/** A distinguished name: `attr=value` parts separated by commas. */
export function checkDn(value: string, what: string): string | undefined {
  if (value.trim() === '') return `${what} must not be empty`;
  if (/\p{Cc}/u.test(value)) return `${what} must not contain control characters`;
  if (!/^[A-Za-z][\w.-]*=/.test(value.trim())) return `${what} must be a DN such as dc=example,dc=com`;
  return undefined;
}

/** A search filter in parentheses with balanced parentheses (the server checks the rest). */
export function checkFilter(value: string, what: string): string | undefined {
  const v = value.trim();
  if (!v.startsWith('(') || !v.endsWith(')'))
    return `${what} must be in parentheses, such as (objectClass=user)`;
  let depth = 0;
  for (const ch of v) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (depth < 0) return `${what} has unbalanced parentheses`;
  }
  if (depth !== 0) return `${what} has unbalanced parentheses`;
  if (/\p{Cc}/u.test(v)) return `${what} must not contain control characters`;
  return undefined;
}

/** An attribute description: letters, digits, hyphens, or an OID. */
export function checkAttributeType(value: string): string | undefined {
  return /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/.test(value)
    ? undefined
    : `"${value}" is not an LDAP attribute name`;
}

/** The name of an environment variable. */
export function checkEnvName(value: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(value)
    ? undefined
    : `"${value}" is not an environment variable name (letters, digits and _)`;
}

/** `25` (users) or `10%` (of the directory users here). */
export function parseDeletionGuard(value: string | number): DirectorySettings['deletionGuard'] | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? { count: value } : undefined;
  const m = /^(\d{1,3})%$/.exec(value.trim());
  if (m && Number(m[1]) <= 100) return { percent: Number(m[1]) };
  if (/^\d+$/.test(value.trim())) return { count: Number(value.trim()) };
  return undefined;
}

/** How many users one sync may disable when `existing` directory users are here. */
export function guardLimit(guard: DirectorySettings['deletionGuard'], existing: number): number {
  if ('count' in guard) return guard.count;
  // A percentage allows at least one: one person leaving a small directory is no accident.
  return guard.percent === 0 ? 0 : Math.max(1, Math.floor((existing * guard.percent) / 100));
}

/** Active Directory's userAccountControl ACCOUNTDISABLE bit. */
const ACCOUNTDISABLE = 0x2;

export function isAdDisabled(userAccountControl: string | undefined): boolean {
  const n = Number(userAccountControl ?? '0');
  return Number.isInteger(n) && (n & ACCOUNTDISABLE) !== 0;
}

/** LDAP: the configured attribute says disabled when present with a value other than FALSE/0. */
export function isLdapDisabled(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}

/**
 * Why a directory refused a user's bind, from Active Directory's sub-code in the diagnostic
 * message (`… data 532, …`). `bad_credentials` for anything else.
 */
export type BindRefusal =
  | 'bad_credentials'
  | 'password_expired'
  | 'must_change_password'
  | 'locked_out'
  | 'restricted'
  | 'disabled'
  | 'account_expired';

export function bindRefusalOf(message: string): BindRefusal {
  const m = /\bdata ([0-9a-f]{3,4})\b/i.exec(message);
  switch (m?.[1]?.toLowerCase()) {
    case '532':
      return 'password_expired';
    case '773':
      return 'must_change_password';
    case '775':
      return 'locked_out';
    case '530':
    case '531':
      return 'restricted';
    case '533':
      return 'disabled';
    case '701':
      return 'account_expired';
    default:
      return 'bad_credentials';
  }
}

/** What the person signing in is told for each refusal (bad credentials: the usual answer). */
export const BIND_REFUSAL_MESSAGES: Record<Exclude<BindRefusal, 'bad_credentials'>, string> = {
  password_expired: 'Your password has expired; change it in your directory, then sign in again.',
  must_change_password: 'Your password must be changed before you can sign in; change it in your directory.',
  locked_out: 'Your directory account is locked out; ask your directory administrator to unlock it.',
  restricted:
    'Your directory account may not sign in at this time or from here (logon hours or workstation restrictions).',
  disabled: 'Your directory account is disabled.',
  account_expired: 'Your directory account has expired; ask your directory administrator.',
};

/** Objectguid bytes as AD shows them (`{…}` without braces, little-endian first three parts). */
export function formatGuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const h = (i: number) => (bytes[i] ?? 0).toString(16).padStart(2, '0');
  return [
    [3, 2, 1, 0].map(h).join(''),
    [5, 4].map(h).join(''),
    [7, 6].map(h).join(''),
    [8, 9].map(h).join(''),
    [10, 11, 12, 13, 14, 15].map(h).join(''),
  ].join('-');
}

/**
 * A value for LDAP filter text (RFC 4515): `\`, `*`, `(`, `)` and NUL as `\hh`, so the value
 * can only ever be a value.
 *
 * @example escapeFilterValue('a*)(uid=*') // 'a\\2a\\29\\28uid=\\2a'
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
