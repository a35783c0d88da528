/**
 * Text checks shared by every identity rule. Each rule in this folder is a pure function that
 * returns the problem as a sentence (or undefined when the value is fine); callers attach the
 * path of the value (`users[2].email`) and decide whether one problem stops them.
 */

/**
 * Control characters, lone surrogates, bidirectional overrides and line/paragraph separators:
 * characters that make a name look different from what it is. Never allowed in names.
 */
const HOSTILE = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\uFEFF]/u;

/** True when `value` contains a control or otherwise invisible, look-changing character. */
export function hasControlChars(value: string): boolean {
  return HOSTILE.test(value);
}

/** Length in Unicode code points, as AWS counts string lengths. */
export function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** UTF-8 byte length. */
export function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** The first hostile character, shown as U+XXXX so the message itself stays printable. */
export function describeControlChar(value: string): string {
  const m = HOSTILE.exec(value);
  if (!m) return '';
  const cp = m[0].codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Common shape of a name check: required, length bounds (code points), no control characters.
 * Returns the problem or undefined.
 */
export function checkLength(value: string, what: string, min: number, max: number): string | undefined {
  const len = codePointLength(value);
  if (len < min)
    return min === 1 ? `${what} must not be empty` : `${what} must be at least ${min} characters`;
  if (len > max) return `${what} must be at most ${max} characters (got ${len})`;
  return undefined;
}

export function checkNoControlChars(value: string, what: string): string | undefined {
  return hasControlChars(value)
    ? `${what} must not contain control or invisible formatting characters (found ${describeControlChar(value)})`
    : undefined;
}

/** Run checks in order and return the first problem. */
export function firstProblem(...checks: Array<() => string | undefined>): string | undefined {
  for (const check of checks) {
    const problem = check();
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** A value quoted in a message: shortened, with control characters shown as "?". */
export function printable(value: string, max = 60): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return shown.replace(/[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu, '?');
}
