/**
 * Rules for the identity store: users, groups and passwords (docs/behaviour.md, "Users and groups";
 * patterns from the identitystore service model, `UserName`, `SensitiveStringType`,
 * `GroupDisplayName`). Each check returns the problem as a sentence, or undefined.
 */
import { checkLength, checkNoControlChars, codePointLength, firstProblem, printable } from './text.ts';

/** Letters, marks, symbols, digits, punctuation: the identitystore `UserName` pattern. */
const USER_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;
/** identitystore `SensitiveStringType`/`GroupDisplayName`: printable text plus ordinary spaces. */
const DISPLAY_TEXT = /^[\p{L}\p{M}\p{S}\p{N}\p{P} \u00A0\u3000]+$/u;
/** The organizations `Email` pattern, also used for users. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

/**
 * A user name: 1–128 characters, no whitespace, no control characters. Unique in the store
 * case-insensitively (that is checked where names are compared).
 *
 * @example checkUserName('alice@example.com') // undefined
 */
export function checkUserName(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'user name', 1, 128),
    () => checkNoControlChars(value, 'user name'),
    () => (/[\s\p{Z}]/u.test(value) ? 'user name must not contain whitespace' : undefined),
    () =>
      USER_NAME.test(value)
        ? undefined
        : 'user name may contain only letters, marks, symbols, digits and punctuation',
  );
}

/** Lower-case form used for case-insensitive uniqueness and look-ups. */
export function userNameKey(userName: string): string {
  return userName.toLowerCase();
}

function checkDisplayText(value: string, what: string, max: number): string | undefined {
  return firstProblem(
    () => checkLength(value, what, 1, max),
    () => checkNoControlChars(value, what),
    () => (value.trim() === '' ? `${what} must not be blank` : undefined),
    () =>
      DISPLAY_TEXT.test(value)
        ? undefined
        : `${what} may contain only letters, marks, symbols, digits, punctuation and spaces`,
  );
}

/** A user's display name (1–1024 printable characters). */
export function checkDisplayName(value: string): string | undefined {
  return checkDisplayText(value, 'display name', 1024);
}

/** A given or family name (1–1024 printable characters). */
export function checkPersonName(value: string, what = 'name'): string | undefined {
  return checkDisplayText(value, what, 1024);
}

/** A user e-mail address: one `@`, a dot in the domain, no whitespace, at most 254 characters. */
export function checkEmail(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'e-mail address', 3, 254),
    () => checkNoControlChars(value, 'e-mail address'),
    () =>
      EMAIL.test(value)
        ? undefined
        : `"${printable(value)}" is not an e-mail address (expected name@domain.tld)`,
  );
}

/** A group name (`DisplayName`): 1–1024 printable characters, unique case-insensitively. */
export function checkGroupName(value: string): string | undefined {
  return checkDisplayText(value, 'group name', 1024);
}

/** A group description: up to 1024 printable characters. */
export function checkGroupDescription(value: string): string | undefined {
  return checkDisplayText(value, 'group description', 1024);
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/**
 * A password an administrator sets: 8–256 characters, no control characters (they cannot be
 * typed on the sign-in page). Never echo the value in the message.
 */
export function checkPassword(value: string): string | undefined {
  const len = codePointLength(value);
  if (len < PASSWORD_MIN) return `password must be at least ${PASSWORD_MIN} characters`;
  if (len > PASSWORD_MAX) return `password must be at most ${PASSWORD_MAX} characters`;
  if (/\p{Cc}/u.test(value)) return 'password must not contain control characters';
  return undefined;
}
