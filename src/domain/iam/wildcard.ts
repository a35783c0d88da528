/**
 * IAM wildcard patterns: `*` matches any run of characters (also none), `?` exactly one. Used for
 * actions, resource ARN segments and the `…Like` condition operators. A pattern is a list of parts
 * so that characters that came from a policy variable or from `${*}`/`${?}` stay literal.
 *
 * Matching is the two-pointer glob algorithm (back up to the last `*`), linear in practice and
 * O(pattern × text) at worst: no regular expressions, so no catastrophic backtracking on
 * patterns such as `*a*a*a*b` that an administrator may write.
 */

/** One part of a pattern: literal text, or a wildcard. */
export type PatternPart = string | { wildcard: '*' | '?' };

export const ANY_RUN: PatternPart = Object.freeze({ wildcard: '*' });
export const ANY_ONE: PatternPart = Object.freeze({ wildcard: '?' });

const LITERAL = 0;
const RUN = 1;
const ONE = 2;

export interface Pattern {
  /** One code unit per position (unused at wildcard positions). */
  readonly chars: string;
  /** LITERAL, RUN or ONE per position. */
  readonly kinds: Uint8Array;
  readonly ignoreCase: boolean;
}

/** A pattern from parts; with `ignoreCase`, literals are compared in lower case. */
export function patternFromParts(parts: readonly PatternPart[], ignoreCase = false): Pattern {
  let chars = '';
  const kinds: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      const text = ignoreCase ? part.toLowerCase() : part;
      chars += text;
      for (let i = 0; i < text.length; i++) kinds.push(LITERAL);
    } else {
      chars += ' ';
      kinds.push(part.wildcard === '*' ? RUN : ONE);
    }
  }
  return { chars, kinds: Uint8Array.from(kinds), ignoreCase };
}

/** Splits text into parts: `*` and `?` become wildcards, everything else is literal. */
export function wildcardParts(text: string): PatternPart[] {
  const parts: PatternPart[] = [];
  let literal = '';
  for (const ch of text) {
    if (ch === '*' || ch === '?') {
      if (literal !== '') parts.push(literal);
      literal = '';
      parts.push(ch === '*' ? ANY_RUN : ANY_ONE);
    } else {
      literal += ch;
    }
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

/**
 * A pattern in which `*` and `?` are wildcards.
 *
 * @example matchesPattern(wildcardPattern('sso:List*'), 'sso:ListInstances') // true
 */
export function wildcardPattern(text: string, ignoreCase = false): Pattern {
  return patternFromParts(wildcardParts(text), ignoreCase);
}

/** Does the whole of `text` match the pattern? */
export function matchesPattern(pattern: Pattern, text: string): boolean {
  const { chars, kinds } = pattern;
  const subject = pattern.ignoreCase ? text.toLowerCase() : text;
  const n = kinds.length;
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < subject.length) {
    const kind = kinds[p];
    if (p < n && (kind === ONE || (kind === LITERAL && chars[p] === subject[s]))) {
      p++;
      s++;
    } else if (p < n && kind === RUN) {
      starP = p;
      starS = s;
      p++;
    } else if (starP >= 0) {
      p = starP + 1;
      starS++;
      s = starS;
    } else {
      return false;
    }
  }
  while (p < n && kinds[p] === RUN) p++;
  return p === n;
}
