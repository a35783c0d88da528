/**
 * Rules for the organization: account ids, names and e-mails, and OU paths
 * (docs/behaviour.md, "Identifiers", "Accounts and organizational units"; the organizations service
 * model `AccountId`, `AccountName`, `Email`, `OrganizationalUnitName`). Each check returns the
 * problem as a sentence, or undefined.
 */
import { checkLength, checkNoControlChars, firstProblem, printable } from './text.ts';

/** AWS Organizations allows OUs five levels deep under the root. */
export const MAX_OU_DEPTH = 5;

const ACCOUNT_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

/**
 * An account id is a string of exactly 12 digits; leading zeros are part of it.
 *
 * @example checkAccountId('011111111111') // undefined
 */
export function checkAccountId(value: string): string | undefined {
  return /^\d{12}$/.test(value)
    ? undefined
    : `account id must be exactly 12 digits, written as a quoted string such as "011111111111" (got "${printable(value)}")`;
}

/** An account name: 1–128 characters, no control characters. */
export function checkAccountName(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'account name', 1, 128),
    () => checkNoControlChars(value, 'account name'),
    () => (value.trim() === '' ? 'account name must not be blank' : undefined),
  );
}

/** An account e-mail: 6–64 characters, `name@domain.tld`. Unique across accounts. */
export function checkAccountEmail(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'account e-mail', 6, 64),
    () => checkNoControlChars(value, 'account e-mail'),
    () =>
      ACCOUNT_EMAIL.test(value)
        ? undefined
        : `"${printable(value)}" is not an e-mail address (expected name@domain.tld)`,
  );
}

/**
 * An OU path: `/` (the root) or `/Name/Name…`, at most five levels, each name 1–128 characters
 * without control characters, slashes or surrounding spaces.
 *
 * @example checkOuPath('/Workloads/Prod') // undefined
 */
export function checkOuPath(value: string): string | undefined {
  if (value === '/') return undefined;
  if (!value.startsWith('/'))
    return `OU path must start with "/" (for example /Workloads/Prod), got "${printable(value)}"`;
  const parts = value.slice(1).split('/');
  if (parts.length > MAX_OU_DEPTH)
    return `OU path is ${parts.length} levels deep; at most ${MAX_OU_DEPTH} are allowed`;
  for (const part of parts) {
    if (part === '') return `OU path "${printable(value)}" has an empty level (a doubled or trailing "/")`;
    const problem = firstProblem(
      () => checkLength(part, 'OU name', 1, 128),
      () => checkNoControlChars(part, 'OU name'),
      () => (part.trim() !== part ? `OU name "${part}" must not start or end with spaces` : undefined),
    );
    if (problem) return problem;
  }
  return undefined;
}

/** The OU paths from the top down: `/A/B/C` → [`/A`, `/A/B`, `/A/B/C`]; the root gives []. */
export function ouAncestry(path: string): string[] {
  if (path === '/') return [];
  const parts = path.slice(1).split('/');
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

/** The parent path of an OU path (`/A/B` → `/A`, `/A` → `/`). */
export function ouParent(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last level of an OU path: its name. */
export function ouName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** True when `path` is `ancestor` or lies below it. */
export function isUnderOu(path: string, ancestor: string): boolean {
  return ancestor === '/' || path === ancestor || path.startsWith(`${ancestor}/`);
}
