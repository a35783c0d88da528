/**
 * An identity policy made ready for evaluation. The grammar is checked by
 * `identity/policy-document.ts` (the same checks the inline policy of a permission set passes);
 * this file turns a document that passed into statements that match actions, resources and
 * conditions, and reports what IAM would reject beyond the grammar (unknown condition operators,
 * values an operator cannot read). Such a condition evaluates as `invalid`: see `conditions.ts`.
 */
import { checkPolicyDocument, checkPolicyValue, type PolicyProblem } from '../identity/policy-document.ts';
import { arnMatches } from './arn.ts';
import { type Condition, compileConditions } from './conditions.ts';
import type { RequestContext } from './context.ts';
import { matchesPattern, type Pattern, wildcardPattern } from './wildcard.ts';

/** JSON scalar values a Condition may hold. */
export type ConditionValueJson = string | number | boolean;

/** One statement as written (the grammar `checkPolicyValue` accepts for identity policies). */
export interface PolicyStatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | readonly string[];
  NotAction?: string | readonly string[];
  Resource?: string | readonly string[];
  NotResource?: string | readonly string[];
  Condition?: Readonly<
    Record<string, Readonly<Record<string, ConditionValueJson | readonly ConditionValueJson[]>>>
  >;
}

/** An identity-policy document as written. */
export interface PolicyDocumentJson {
  Version?: '2012-10-17' | '2008-10-17';
  Id?: string;
  Statement: PolicyStatementJson | readonly PolicyStatementJson[];
}

export interface Statement {
  /** Position in the Statement list (0 when Statement is a single object). */
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: 'Allow' | 'Deny';
  /** Does Action (or NotAction) cover `service:Action`? */
  readonly matchesAction: (action: string) => boolean;
  /** Does Resource (or NotResource) cover the ARN (or `*` for an action without resource types)? */
  readonly matchesResource: (resource: string, context: RequestContext) => boolean;
  /** All must hold. */
  readonly conditions: readonly Condition[];
  /**
   * Whether the statement applies or not by the action and the resource alone: no condition,
   * and no policy variable in Resource/NotResource (nothing read from the request's context).
   */
  readonly contextFree: boolean;
}

export interface Policy {
  /** How the policy is named in results: e.g. `inline`, or a managed policy's ARN. */
  readonly name: string;
  readonly statements: readonly Statement[];
}

export type PolicyParseResult =
  | { ok: true; policy: Policy; problems: PolicyProblem[] }
  | { ok: false; problems: PolicyProblem[] };

/**
 * Parses an already decoded policy document. A document with grammar problems is refused
 * (`ok: false`); a valid one comes back with the problems IAM would also reject, if any.
 *
 * @example parsePolicy('inline', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'sso:List*', Resource: '*' } })
 */
export function parsePolicy(name: string, document: unknown): PolicyParseResult {
  const grammar = checkPolicyValue(document);
  if (grammar.length > 0) return { ok: false, problems: grammar };
  return compilePolicy(name, document as PolicyDocumentJson);
}

/**
 * Parses policy JSON text, with the size and character limits of an inline policy.
 *
 * @example parsePolicyText('inline', '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}')
 */
export function parsePolicyText(name: string, text: string): PolicyParseResult {
  const problems = checkPolicyDocument(text);
  if (problems.length > 0) return { ok: false, problems };
  return parsePolicy(name, JSON.parse(text));
}

function compilePolicy(name: string, doc: PolicyDocumentJson): PolicyParseResult {
  // Without Version 2012-10-17, `${…}` is literal text ("IAM policy elements: Variables and tags").
  const variables = doc.Version === '2012-10-17';
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as PolicyStatementJson];
  const single = !Array.isArray(doc.Statement);
  const problems: PolicyProblem[] = [];
  const statements = list.map((st, index) => {
    const at: Array<string | number> = single ? ['Statement'] : ['Statement', index];
    const compiled = compileConditions(st.Condition ?? {}, [...at, 'Condition'], variables);
    problems.push(...compiled.problems);
    const statement: Statement = {
      index,
      sid: st.Sid === undefined || st.Sid === '' ? undefined : st.Sid,
      effect: st.Effect,
      matchesAction: actionMatcher(st),
      matchesResource: resourceMatcher(st, variables),
      conditions: compiled.conditions,
      contextFree:
        compiled.conditions.length === 0 &&
        Object.keys(st.Condition ?? {}).length === 0 &&
        !(variables && asList(st.Resource ?? st.NotResource).some((r) => r.includes('${'))),
    };
    return statement;
  });
  return { ok: true, policy: Object.freeze({ name, statements: Object.freeze(statements) }), problems };
}

const asList = (v: string | readonly string[] | undefined): readonly string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

interface ActionPattern {
  /** Service prefix in lower case; undefined for `*`. */
  service: string | undefined;
  name: Pattern;
}

/** Action/NotAction: the service prefix and the action name are both case-insensitive. */
function actionMatcher(st: PolicyStatementJson): (action: string) => boolean {
  const negated = st.Action === undefined;
  const patterns: ActionPattern[] = asList(negated ? st.NotAction : st.Action).map((a) => {
    if (a === '*') return { service: undefined, name: wildcardPattern('*') };
    const colon = a.indexOf(':');
    return { service: a.slice(0, colon).toLowerCase(), name: wildcardPattern(a.slice(colon + 1), true) };
  });
  return (action) => {
    const colon = action.indexOf(':');
    const service = action.slice(0, colon).toLowerCase();
    const name = action.slice(colon + 1);
    const any = patterns.some(
      (p) => p.service === undefined || (p.service === service && colon > 0 && matchesPattern(p.name, name)),
    );
    return negated ? !any : any;
  };
}

/**
 * Resource/NotResource. `*` covers everything. An action with no resource types is authorised
 * against `*`, which only a `*` entry covers (the reference: "you must specify all resources").
 */
function resourceMatcher(
  st: PolicyStatementJson,
  variables: boolean,
): (resource: string, context: RequestContext) => boolean {
  const negated = st.Resource === undefined;
  const entries = asList(negated ? st.NotResource : st.Resource);
  return (resource, context) => {
    const any = entries.some(
      (entry) => entry === '*' || (resource !== '*' && arnMatches(entry, resource, context, variables)),
    );
    return negated ? !any : any;
  };
}
