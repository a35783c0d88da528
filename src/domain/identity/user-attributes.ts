/**
 * The identitystore attributes of users and groups beyond the columns the rest of the server
 * reads (user name, display name, given and family name, primary e-mail): the limits of the
 * identitystore service model (`SensitiveStringType`, `ExternalIdIssuer`, `ExternalIdIdentifier`,
 * the one-entry lists of `Emails`, `Addresses`, `PhoneNumbers`, `Roles`, at most three `Photos`,
 * ten `ExternalIds`, ten `Extensions`). The identitystore API builds its input shapes from these
 * (`protocol/admin/identitystore.ts`) and the organization file checks its users and groups with
 * the rules below, so both refuse exactly the same values; the file's messages say what to fix.
 */
import { codePointLength } from './text.ts';

/** A length range and a pattern (the model's, unanchored), for one kind of text. */
export interface TextLimits {
  readonly min: number;
  readonly max: number;
  /** The model's pattern source, without anchors. */
  readonly pattern: string;
  /** What the pattern allows, in words. */
  readonly allows: string;
}

/** `SensitiveStringType`: every attribute value of a user (and a group's description). */
export const SENSITIVE_TEXT: TextLimits = {
  min: 1,
  max: 1024,
  pattern: '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \\u00a0\\u3000]+',
  allows: 'letters, marks, symbols, digits, punctuation, spaces, tabs and line breaks',
};

/** `ExternalIdIssuer` and `ExternalIdIdentifier`. */
export const EXTERNAL_ID_TEXT: TextLimits = {
  min: 1,
  max: 256,
  pattern: '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+',
  allows: 'letters, marks, symbols, digits and punctuation (no spaces)',
};

/** `ExtensionName`: `aws:identitystore:enterprise` and the like. */
export const EXTENSION_NAME_TEXT: TextLimits = {
  min: 1,
  max: 50,
  pattern: 'aws:identitystore:[a-z]{1,20}',
  allows: 'aws:identitystore: followed by 1 to 20 lower-case letters',
};

/** Most entries of the multi-valued attributes (the service keeps one e-mail, address, phone number, role). */
export const MAX_EMAILS = 1;
export const MAX_ADDRESSES = 1;
export const MAX_PHONE_NUMBERS = 1;
export const MAX_ROLES = 1;
export const MAX_PHOTOS = 3;
export const MAX_EXTERNAL_IDS = 10;
export const MAX_EXTENSIONS = 10;

/**
 * What a user's `users.profile` holds: every attribute of the service's user but the columns the
 * rest of the server reads (user name, display name, and `Name`'s given and family names) and the
 * external ids (a table of their own). What an answer adds to a user (its ids, status, times) is
 * never an attribute, so it is never stored with them.
 */
export const PROFILE_ATTRIBUTES: readonly string[] = [
  'Name',
  'NickName',
  'ProfileUrl',
  'Emails',
  'Addresses',
  'PhoneNumbers',
  'UserType',
  'Title',
  'PreferredLanguage',
  'Locale',
  'Timezone',
  'Photos',
  'Website',
  'Birthdate',
  'Roles',
  'Extensions',
];

/** The parts of `Name` the profile keeps (the given and family names are columns). */
export const PROFILE_NAME_PARTS: readonly string[] = [
  'Formatted',
  'MiddleName',
  'HonorificPrefix',
  'HonorificSuffix',
];

const compiled = new Map<string, RegExp>();

/** The limits' pattern anchored at both ends, as the service applies it. */
export function patternOf(limits: TextLimits): RegExp {
  let re = compiled.get(limits.pattern);
  if (!re) {
    re = new RegExp(`^(?:${limits.pattern})$`, 'u');
    compiled.set(limits.pattern, re);
  }
  return re;
}

/**
 * Text within `limits`: the problem as a sentence naming `what`, or undefined.
 *
 * @example checkLimitedText('Engineer', 'title', SENSITIVE_TEXT) // undefined
 */
export function checkLimitedText(value: string, what: string, limits: TextLimits): string | undefined {
  const length = codePointLength(value);
  if (length < limits.min) return `${what} must not be empty`;
  if (length > limits.max) return `${what} must be at most ${limits.max} characters (got ${length})`;
  if (!patternOf(limits).test(value)) return `${what} may contain only ${limits.allows}`;
  return undefined;
}

/** An attribute value of a user (`SensitiveStringType`). */
export function checkAttributeText(value: string, what: string): string | undefined {
  return checkLimitedText(value, what, SENSITIVE_TEXT);
}

/** An external id's issuer or identifier. */
export function checkExternalIdText(value: string, what: string): string | undefined {
  return checkLimitedText(value, what, EXTERNAL_ID_TEXT);
}

/** An extension's name. */
export function checkExtensionName(value: string): string | undefined {
  return patternOf(EXTENSION_NAME_TEXT).test(value)
    ? undefined
    : `extension name "${value}" must be ${EXTENSION_NAME_TEXT.allows}, such as aws:identitystore:enterprise`;
}
