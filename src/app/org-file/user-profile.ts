/**
 * The identitystore attributes of a user beyond the file's first keys (name parts, nick name,
 * title, e-mails with their type, addresses, phone numbers, photos, roles, extensions…) and the
 * external ids of users and groups, in both of their forms: the organization file's keys
 * (`middleName`, `phoneNumbers: [{ value, type, primary }]`, `externalIds: [{ issuer, id }]`) and
 * the identitystore shape the store keeps in `users.profile` and `user_external_ids` /
 * `group_external_ids` (`app/admin/directory.ts`).
 *
 * A user's attributes are compared as a "profile": the identitystore attributes of the user but
 * for the columns (user name, display name, given and family name), with `Emails` always said
 * (the `email` column alone stands for `[{ Value, Primary: true }]`, as the API answers it).
 * `idcenter apply` and `idcenter export` both go through here, so what one writes the other reads
 * back unchanged.
 */
import { checkEmail } from '../../domain/identity/directory.ts';
import {
  MAX_ADDRESSES,
  MAX_EMAILS,
  MAX_PHONE_NUMBERS,
  MAX_PHOTOS,
  MAX_ROLES,
  PROFILE_ATTRIBUTES,
  PROFILE_NAME_PARTS,
} from '../../domain/identity/user-attributes.ts';

export type Wire = Record<string, unknown>;

/** An external id: the identity provider (`issuer`) and its identifier of the user or group. */
export interface ExternalIdRef {
  issuer: string;
  id: string;
}

/** Single text attributes: file key, identitystore member. */
export const TEXT_ATTRIBUTES = [
  ['nickName', 'NickName'],
  ['title', 'Title'],
  ['userType', 'UserType'],
  ['profileUrl', 'ProfileUrl'],
  ['preferredLanguage', 'PreferredLanguage'],
  ['locale', 'Locale'],
  ['timezone', 'Timezone'],
  ['website', 'Website'],
  ['birthdate', 'Birthdate'],
] as const;

/** Parts of `Name` beyond the given and family names: file key, member of `Name`. */
export const NAME_PARTS = [
  ['middleName', 'MiddleName'],
  ['honorificPrefix', 'HonorificPrefix'],
  ['honorificSuffix', 'HonorificSuffix'],
  ['formattedName', 'Formatted'],
] as const;

export interface ListAttribute {
  /** The file's key. */
  key: string;
  /** The identitystore member. */
  wire: string;
  /** What one entry is, for messages (`an e-mail`). */
  entry: string;
  /** File key, identitystore member, for each member of an entry (text, but `primary`). */
  members: ReadonlyArray<readonly [string, string]>;
  /** Members an entry must have. */
  required: readonly string[];
  max: number;
}

const TYPED = [
  ['value', 'Value'],
  ['type', 'Type'],
  ['primary', 'Primary'],
] as const;

/** The multi-valued attributes. */
export const LIST_ATTRIBUTES: readonly ListAttribute[] = [
  { key: 'emails', wire: 'Emails', entry: 'an e-mail', members: TYPED, required: [], max: MAX_EMAILS },
  {
    key: 'addresses',
    wire: 'Addresses',
    entry: 'an address',
    members: [
      ['streetAddress', 'StreetAddress'],
      ['locality', 'Locality'],
      ['region', 'Region'],
      ['postalCode', 'PostalCode'],
      ['country', 'Country'],
      ['formatted', 'Formatted'],
      ['type', 'Type'],
      ['primary', 'Primary'],
    ],
    required: [],
    max: MAX_ADDRESSES,
  },
  {
    key: 'phoneNumbers',
    wire: 'PhoneNumbers',
    entry: 'a phone number',
    members: TYPED,
    required: [],
    max: MAX_PHONE_NUMBERS,
  },
  {
    key: 'photos',
    wire: 'Photos',
    entry: 'a photo',
    members: [
      ['value', 'Value'],
      ['type', 'Type'],
      ['display', 'Display'],
      ['primary', 'Primary'],
    ],
    required: ['value'],
    max: MAX_PHOTOS,
  },
  { key: 'roles', wire: 'Roles', entry: 'a role', members: TYPED, required: [], max: MAX_ROLES },
];

/**
 * The identitystore members a profile may hold (a profile stored before migration 026 may have
 * others, which are not attributes). The file's keys above name each of them (a test holds the
 * two lists together).
 */
const PROFILE_MEMBERS = new Set<string>(PROFILE_ATTRIBUTES);
const NAME_MEMBERS = new Set<string>(PROFILE_NAME_PARTS);

/** The file's keys of the profile, in the order the export writes them and the plan lists them. */
export const PROFILE_KEYS: readonly string[] = [
  ...NAME_PARTS.map(([k]) => k),
  ...TEXT_ATTRIBUTES.map(([k]) => k),
  ...LIST_ATTRIBUTES.map((l) => l.key),
  'extensions',
];

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with every mapping's keys sorted: equal values, equal text. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isMapping(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
  return out;
}

/** The `email` column of a user with these `Emails`: the primary one's value, else the first's. */
export function emailOfEmails(emails: unknown): string | null {
  if (!Array.isArray(emails)) return null;
  const list = emails as Array<{ Value?: unknown; Primary?: unknown }>;
  const value = (list.find((e) => e.Primary === true) ?? list[0])?.Value;
  return typeof value === 'string' ? value : null;
}

/** True when `emails` says no more than the `email` column does: `[{ Value: email, Primary: true }]`. */
function isPlainEmail(emails: unknown, email: string | null): boolean {
  return email !== null && canonical(emails) === canonical([{ Primary: true, Value: email }]);
}

/**
 * A user's profile from the organization file's entry (already checked by the schema): the
 * identitystore shape of its attributes, `Emails` from `emails`, else from `email`.
 */
export function profileOfFileUser(u: Record<string, unknown>): Wire {
  const out: Wire = {};
  const name: Wire = {};
  for (const [k, w] of NAME_PARTS) if (typeof u[k] === 'string') name[w] = u[k];
  if (Object.keys(name).length > 0) out.Name = name;
  for (const [k, w] of TEXT_ATTRIBUTES) if (typeof u[k] === 'string') out[w] = u[k];
  for (const l of LIST_ATTRIBUTES) {
    const items = u[l.key];
    if (!Array.isArray(items)) continue;
    out[l.wire] = items.filter(isMapping).map((item) => {
      const entry: Wire = {};
      for (const [k, w] of l.members) {
        const v = item[k];
        if (v !== undefined && v !== null) entry[w] = v;
      }
      return entry;
    });
  }
  if (out.Emails === undefined && typeof u.email === 'string')
    out.Emails = [{ Value: u.email, Primary: true }];
  if (isMapping(u.extensions) && Object.keys(u.extensions).length > 0) out.Extensions = u.extensions;
  return out;
}

/**
 * A stored user's profile: the attributes of `users.profile` (members that are not attributes
 * left out), with `Emails` from the `email` column when the profile has none.
 */
export function profileOfStored(profile: string | null, email: string | null): Wire {
  const out: Wire = {};
  let stored: unknown = null;
  if (profile !== null) {
    try {
      stored = JSON.parse(profile);
    } catch {
      stored = null;
    }
  }
  if (isMapping(stored)) {
    for (const [k, v] of Object.entries(stored)) {
      if (!PROFILE_MEMBERS.has(k) || v === undefined || v === null) continue;
      if (k === 'Name') {
        if (!isMapping(v)) continue;
        const name: Wire = {};
        for (const [part, text] of Object.entries(v)) if (NAME_MEMBERS.has(part)) name[part] = text;
        if (Object.keys(name).length > 0) out.Name = name;
      } else out[k] = v;
    }
  }
  if (out.Emails === undefined && email !== null) out.Emails = [{ Value: email, Primary: true }];
  return out;
}

/**
 * The `users.profile` text for a profile, null for none: `Emails` is left to the `email` column
 * when it says no more than that column (as users made by the file have always been stored).
 */
export function storedProfileText(profile: Wire, email: string | null): string | null {
  const out: Wire = { ...profile };
  if (isPlainEmail(out.Emails, email)) delete out.Emails;
  return Object.keys(out).length > 0 ? canonical(out) : null;
}

/** A profile as the file's keys, in the export's order; `email` for the plain one e-mail. */
export function fileKeysOfProfile(profile: Wire): { email?: string; [key: string]: unknown } {
  const out: { email?: string; [key: string]: unknown } = {};
  const name = isMapping(profile.Name) ? profile.Name : {};
  for (const [k, w] of NAME_PARTS) if (typeof name[w] === 'string') out[k] = name[w];
  const email = emailOfEmails(profile.Emails);
  if (
    profile.Emails !== undefined &&
    isPlainEmail(profile.Emails, email) &&
    checkEmail(email ?? '') === undefined
  ) {
    out.email = email ?? '';
  }
  for (const [k, w] of TEXT_ATTRIBUTES) if (typeof profile[w] === 'string') out[k] = profile[w];
  for (const l of LIST_ATTRIBUTES) {
    const items = profile[l.wire];
    if (!Array.isArray(items) || (l.key === 'emails' && out.email !== undefined)) continue;
    out[l.key] = items.filter(isMapping).map((item) => {
      const entry: Record<string, unknown> = {};
      for (const [k, w] of l.members) if (item[w] !== undefined && item[w] !== null) entry[k] = item[w];
      return entry;
    });
  }
  if (isMapping(profile.Extensions) && Object.keys(profile.Extensions).length > 0)
    out.extensions = sortKeys(profile.Extensions);
  return out;
}

/** A value of the profile as the plan prints it: `a@example.com (work, primary)`, `(none)`. */
function describeValue(key: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  const list = LIST_ATTRIBUTES.find((l) => l.key === key);
  if (list && Array.isArray(value)) {
    return value
      .map((item: Wire) => {
        const text = list.members
          .filter(([, w]) => w !== 'Type' && w !== 'Primary' && typeof item[w] === 'string')
          .map(([, w]) => item[w] as string)
          .join(', ');
        const notes = [typeof item.Type === 'string' ? item.Type : '', item.Primary === true ? 'primary' : '']
          .filter((n) => n !== '')
          .join(', ');
        return notes ? `${text} (${notes})` : text;
      })
      .join('; ');
  }
  return canonical(value);
}

/** The value of one file key in a profile, in its identitystore shape. */
function attributeOf(profile: Wire, key: string): unknown {
  const part = NAME_PARTS.find(([k]) => k === key);
  if (part) return isMapping(profile.Name) ? profile.Name[part[1]] : undefined;
  const text = TEXT_ATTRIBUTES.find(([k]) => k === key);
  if (text) return profile[text[1]];
  const list = LIST_ATTRIBUTES.find((l) => l.key === key);
  if (list) return profile[list.wire];
  return profile.Extensions;
}

/**
 * What differs between two profiles, one change per file key. Two plain e-mails are left out:
 * the `email` column says that change.
 */
export function profileChanges(
  stored: Wire,
  want: Wire,
  storedEmail: string | null,
  wantEmail: string | null,
): Array<{ field: string; from: string | null; to: string | null }> {
  const out: Array<{ field: string; from: string | null; to: string | null }> = [];
  for (const key of PROFILE_KEYS) {
    const a = attributeOf(stored, key);
    const b = attributeOf(want, key);
    if (canonical(a ?? null) === canonical(b ?? null)) continue;
    if (
      key === 'emails' &&
      (a === undefined || isPlainEmail(a, storedEmail)) &&
      (b === undefined || isPlainEmail(b, wantEmail))
    )
      continue;
    out.push({ field: key, from: describeValue(key, a), to: describeValue(key, b) });
  }
  return out;
}

/**
 * True when a profile holds nothing beyond the user's `email` column (no attribute, at most that
 * one plain e-mail): what most users of a file are, compared without building any JSON.
 */
export function isPlainProfile(profile: Wire, email: string | null): boolean {
  for (const k in profile) {
    if (k !== 'Emails') return false;
    const e = profile.Emails as Array<Record<string, unknown>>;
    const only = e.length === 1 ? e[0] : undefined;
    if (!only || only.Value !== email || only.Primary !== true || Object.keys(only).length !== 2)
      return false;
  }
  return true;
}

/** External ids as the plan prints them: `g-1 (https://scim.example.com), …`. */
export function describeExternalIds(ids: readonly ExternalIdRef[]): string | null {
  return ids.length === 0 ? null : ids.map((e) => `${e.id} (${e.issuer})`).join(', ');
}

export function sameExternalIds(a: readonly ExternalIdRef[], b: readonly ExternalIdRef[]): boolean {
  return a.length === b.length && a.every((e, i) => e.issuer === b[i]?.issuer && e.id === b[i]?.id);
}
