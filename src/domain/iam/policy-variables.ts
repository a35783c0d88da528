/**
 * Policy variables ("IAM policy elements: Variables and tags"): `${aws:username}`,
 * `${aws:PrincipalTag/team}`, any single-valued key of the request context, with an optional
 * default `${aws:PrincipalTag/team, 'none'}`; and the fixed escapes `${*}`, `${?}`, `${$}` for a
 * literal `*`, `?` and `$`. Variables exist only in policies of Version `2012-10-17`; in older
 * policies the text is literal.
 *
 * A variable whose key is missing (or multivalued) and has no default cannot be resolved: IAM then
 * treats the value as null, so the resource or condition value that holds it matches nothing.
 */
import type { RequestContext } from './context.ts';
import { type PatternPart, wildcardParts } from './wildcard.ts';

export interface ExpandOptions {
  /** Replace `${…}`; false for Version 2008-10-17 and for operators that take no variables. */
  variables: boolean;
  /** Treat `*` and `?` as wildcards (resources, actions, `…Like`); false for `…Equals`. */
  wildcards: boolean;
}

const ESCAPES: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };

/** Does the text contain something that looks like a policy variable? */
export function hasVariable(text: string): boolean {
  return text.includes('${');
}

/**
 * Splits a policy string into pattern parts, replacing variables from the context. Returns
 * undefined when a variable cannot be resolved.
 *
 * @example expandPolicyString('home/${aws:username}/*', ctx, { variables: true, wildcards: true })
 */
export function expandPolicyString(
  text: string,
  context: RequestContext,
  options: ExpandOptions,
): PatternPart[] | undefined {
  const literalParts = (s: string): PatternPart[] =>
    s === '' ? [] : options.wildcards ? wildcardParts(s) : [s];
  if (!options.variables || !hasVariable(text)) return literalParts(text);
  const parts: PatternPart[] = [];
  let rest = text;
  for (;;) {
    const start = rest.indexOf('${');
    const end = start < 0 ? -1 : rest.indexOf('}', start + 2);
    if (start < 0 || end < 0) {
      parts.push(...literalParts(rest));
      return parts;
    }
    parts.push(...literalParts(rest.slice(0, start)));
    const inner = rest.slice(start + 2, end);
    const value = resolveVariable(inner, context);
    if (value === undefined) return undefined;
    parts.push(value);
    rest = rest.slice(end + 1);
  }
}

/** Expands a policy string with no wildcards into plain text (undefined when unresolvable). */
export function expandPolicyText(
  text: string,
  context: RequestContext,
  variables: boolean,
): string | undefined {
  const parts = expandPolicyString(text, context, { variables, wildcards: false });
  if (parts === undefined) return undefined;
  return parts.map((p) => (typeof p === 'string' ? p : p.wildcard)).join('');
}

/** The value of `key` or `key, 'default'` (the text between `${` and `}`). */
function resolveVariable(inner: string, context: RequestContext): string | undefined {
  const escaped = ESCAPES[inner];
  if (escaped !== undefined) return escaped;
  const comma = inner.indexOf(',');
  const key = (comma < 0 ? inner : inner.slice(0, comma)).trim();
  const fallback = comma < 0 ? undefined : quoted(inner.slice(comma + 1).trim());
  const value = context.get(key);
  if (typeof value === 'string') return value;
  return fallback;
}

function quoted(text: string): string | undefined {
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1);
  return undefined;
}
