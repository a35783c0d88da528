/**
 * Rules for permission sets (docs/behaviour.md, "Permission sets", and the sso-admin service model:
 * `PermissionSetName`, `PermissionSetDescription`, `Duration`, `RelayState`, `ManagedPolicyArn`,
 * `ManagedPolicyName`, `ManagedPolicyPath`, `TagKey`, `TagValue`). The inline policy document has
 * its own file (`policy-document.ts`). Each check returns the problem as a sentence, or undefined.
 */
import { parseIsoDuration } from '../duration.ts';
import { checkLength, checkNoControlChars, firstProblem, printable } from './text.ts';

export const MIN_SESSION_SECONDS = 3600;
export const MAX_SESSION_SECONDS = 12 * 3600;
export const DEFAULT_SESSION_DURATION = 'PT1H';
/** AWS managed plus customer managed policies per permission set (not adjustable). */
export const MAX_ATTACHED_POLICIES = 20;
export const MAX_TAGS = 75;

/**
 * A permission-set name: 1–32 of `[\w+=,.@-]`. It becomes part of the IAM role name.
 *
 * @example checkPermissionSetName('ReadOnly') // undefined
 */
export function checkPermissionSetName(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'permission set name', 1, 32),
    () =>
      /^[\w+=,.@-]+$/.test(value)
        ? undefined
        : `permission set name "${printable(value)}" may contain only letters, digits and + = , . @ _ -`,
  );
}

/** A permission-set description: 1–700 characters of printable Latin-1 (tab, LF, CR allowed). */
export function checkPermissionSetDescription(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'description', 1, 700),
    () =>
      /^[\t\n\r\u0020-\u007E\u00A1-\u00FF]+$/.test(value)
        ? undefined
        : 'description may contain only printable Latin-1 characters',
  );
}

/**
 * An ISO-8601 session duration between PT1H and PT12H. Returns the seconds, or the problem.
 *
 * @example parseSessionDuration('PT4H') // { seconds: 14400 }
 */
export function parseSessionDuration(value: string): { seconds: number } | { problem: string } {
  const seconds = parseIsoDuration(value);
  if (seconds === undefined || !/^P[0-9DTHMS]+$/.test(value)) {
    return { problem: `"${printable(value)}" is not an ISO-8601 duration (write PT1H, PT2H30M or PT12H)` };
  }
  if (seconds < MIN_SESSION_SECONDS || seconds > MAX_SESSION_SECONDS) {
    return {
      problem: `session duration ${value} is outside the allowed range PT1H to PT12H (12 hours is the longest session an IAM role allows)`,
    };
  }
  return { seconds };
}

export function checkSessionDuration(value: string): string | undefined {
  const r = parseSessionDuration(value);
  return 'problem' in r ? r.problem : undefined;
}

/** A relay state: 1–240 characters of the sso-admin `RelayState` alphabet (a URL). */
export function checkRelayState(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'relay state', 1, 240),
    () =>
      /^[a-zA-Z0-9&$@#\\/%?=~\-_'"|!:,.;*+[\] (){}]+$/.test(value)
        ? undefined
        : 'relay state may contain only URL characters (letters, digits and &$@#\\/%?=~-_\'"|!:,.;*+[]() {})',
  );
}

const MANAGED_ARN =
  /^arn:aws(-[a-z]{1,5}){0,3}:iam::aws:policy((\/[A-Za-z0-9.,+@=_-]+)*)\/([A-Za-z0-9.,+=@_-]+)$/;

/**
 * An AWS managed policy ARN: `arn:aws:iam::aws:policy[/path]/Name`.
 *
 * @example checkManagedPolicyArn('arn:aws:iam::aws:policy/ReadOnlyAccess') // undefined
 */
export function checkManagedPolicyArn(value: string): string | undefined {
  if (value.length < 20 || value.length > 2048 || !MANAGED_ARN.test(value)) {
    return `"${printable(value)}" is not an AWS managed policy ARN (arn:aws:iam::aws:policy[/path]/Name)`;
  }
  return undefined;
}

/** The name of a customer managed policy: 1–128 of `[\w+=,.@-]`. */
export function checkCustomerPolicyName(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'policy name', 1, 128),
    () =>
      /^[\w+=,.@-]+$/.test(value)
        ? undefined
        : `policy name "${printable(value)}" may contain only letters, digits and + = , . @ _ -`,
  );
}

/** The path of a customer managed policy: `/` or `/a/b/`, at most 512 characters. */
export function checkCustomerPolicyPath(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'policy path', 1, 512),
    () =>
      /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/.test(value)
        ? undefined
        : `policy path "${printable(value)}" must start and end with "/" (for example / or /team/)`,
  );
}

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** A tag key: 1–128 of letters, spaces, digits and `_.:/=+-@`; the `aws:` prefix is reserved. */
export function checkTagKey(value: string): string | undefined {
  return firstProblem(
    () => checkTagKeyText(value),
    () => (/^aws:/i.test(value) ? 'tag keys starting with "aws:" are reserved' : undefined),
  );
}

/**
 * A tag key as UntagResource names one: 1–128 of letters, spaces, digits and `_.:/=+-@` (a
 * reserved `aws:` key may be removed: one stored before the rule held would stay forever).
 */
export function checkTagKeyText(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'tag key', 1, 128),
    () => checkNoControlChars(value, 'tag key'),
    () =>
      TAG_TEXT.test(value)
        ? undefined
        : 'tag key may contain only letters, digits, spaces and _ . : / = + - @',
  );
}

/** A tag value: 0–256 of letters, spaces, digits and `_.:/=+-@`. */
export function checkTagValue(value: string): string | undefined {
  return firstProblem(
    () => checkLength(value, 'tag value', 0, 256),
    () => checkNoControlChars(value, 'tag value'),
    () =>
      TAG_TEXT.test(value)
        ? undefined
        : 'tag value may contain only letters, digits, spaces and _ . : / = + - @',
  );
}
