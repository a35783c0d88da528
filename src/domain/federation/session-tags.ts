/**
 * Session tags for federated (`aws`) accounts: a permission set may ask that the sessions of its
 * role carry tags (`aws:PrincipalTag/<Key>` in IAM policies) whose values come from the user's
 * attributes (`sessionTags: { Department: department }` in the organization file). The SAML
 * Response carries them as `PrincipalTag:<Key>` attributes, a web identity token in its
 * `https://aws.amazon.com/tags` claim.
 *
 * The attributes a tag may name: the user's own fields (`userName`, `email`, `displayName`,
 * `givenName`, `familyName`) and the free attributes the organization file gives a user
 * (`attributes: { department: Engineering }`). A user who lacks an attribute a tag needs gets no
 * credentials and no console, with a message that names the attribute: a session without the tag
 * would pass policies that test for its absence, which is not what the administrator wrote.
 *
 * Limits are AWS's (IAM user guide, "Pass session tags in AWS STS"): at most 50 tags, keys of 1 to
 * 128 and values of at most 256 of letters, digits, spaces and `_.:/=+-@`, keys compared without
 * case, no `aws:` prefix.
 */

import { checkLength, checkNoControlChars, firstProblem } from '../identity/text.ts';

/** The user fields a session tag may name, beside the user's free attributes. */
export const USER_FIELD_ATTRIBUTES = ['userName', 'email', 'displayName', 'givenName', 'familyName'] as const;

export const MAX_SESSION_TAGS = 50;
/** Free attributes per user (the organization file's `users[].attributes`). */
export const MAX_USER_ATTRIBUTES = 50;

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** A session tag key AWS accepts. */
export function checkSessionTagKey(key: string): string | undefined {
  if (!TAG_KEY.test(key)) {
    return `session tag key "${key}" must be 1 to 128 letters, digits, spaces and _.:/=+-@`;
  }
  if (/^aws:/i.test(key)) return `session tag key "${key}" may not start with aws: (reserved by AWS)`;
  return undefined;
}

/** A name of a user attribute: a letter, then letters, digits and `_.-`, at most 64. */
export function checkAttributeName(name: string): string | undefined {
  return ATTRIBUTE_NAME.test(name)
    ? undefined
    : `attribute name "${name}" must start with a letter and have at most 64 letters, digits and _ . -`;
}

/** A value of a user's free attribute: at most 256 characters, no control characters. */
export function checkAttributeValue(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'an attribute value', 0, 256),
    () => checkNoControlChars(value, 'an attribute value'),
  );
}

/** The attribute values of one user, by name: the user fields and the free attributes. */
export interface UserAttributes {
  userName: string;
  email: string | null;
  displayName: string;
  givenName: string | null;
  familyName: string | null;
  /** The free attributes. */
  attributes: Readonly<Record<string, string>>;
}

/** The value of attribute `name` for a user, or undefined when the user has none (or it is empty). */
export function attributeValue(user: UserAttributes, name: string): string | undefined {
  let value: string | null | undefined;
  switch (name) {
    case 'userName':
      value = user.userName;
      break;
    case 'email':
      value = user.email;
      break;
    case 'displayName':
      value = user.displayName;
      break;
    case 'givenName':
      value = user.givenName;
      break;
    case 'familyName':
      value = user.familyName;
      break;
    default:
      value = Object.hasOwn(user.attributes, name) ? user.attributes[name] : undefined;
  }
  return value === null || value === undefined || value === '' ? undefined : value;
}

/**
 * The session tags for a user: each key of `mapping` with the value of the attribute it names.
 * Fails, naming the attribute, when the user has no value for it or the value is not one AWS
 * takes as a tag value.
 *
 * @example
 * sessionTagsFor({ Department: 'department' }, user, 'Developers')
 * // { tags: { Department: 'Engineering' } }
 */
export function sessionTagsFor(
  mapping: Readonly<Record<string, string>>,
  user: UserAttributes,
  permissionSetName: string,
): { tags: Record<string, string> } | { problem: string } {
  const tags: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, attribute] of Object.entries(mapping)) {
    const value = attributeValue(user, attribute);
    if (value === undefined) {
      missing.push(attribute);
      continue;
    }
    if (!TAG_VALUE.test(value)) {
      return {
        problem: `Permission set ${permissionSetName} tags its sessions with ${key} from your attribute ${attribute}, whose value AWS cannot take as a session tag value (at most 256 letters, digits, spaces and _.:/=+-@). Ask an administrator to change the value of ${attribute} for user ${user.userName}.`,
      };
    }
    tags[key] = value;
  }
  if (missing.length > 0) {
    const names = [...new Set(missing)];
    const list = names.length === 1 ? `attribute ${names[0]}` : `attributes ${names.join(', ')}`;
    return {
      problem: `Permission set ${permissionSetName} tags its sessions with your ${list}, which user ${user.userName} does not have. Ask an administrator to set ${names.length === 1 ? 'it' : 'them'} (users[].attributes in the organization file).`,
    };
  }
  return { tags };
}

/** Parse stored JSON of a string map (free attributes, tag mappings); anything else is empty. */
export function parseStringMap(text: string | null | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
    return out;
  } catch {
    return {};
  }
}

/** A string map as stored: keys sorted, so equal maps are equal text; null when empty. */
export function storedStringMap(map: Readonly<Record<string, string>>): string | null {
  const keys = Object.keys(map).sort();
  if (keys.length === 0) return null;
  const sorted: Record<string, string> = {};
  for (const k of keys) sorted[k] = map[k] as string;
  return JSON.stringify(sorted);
}
