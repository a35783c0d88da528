/**
 * The Condition element ("IAM JSON policy elements: Condition operators", "Creating a condition
 * with multiple keys or values", "Single-valued vs. multivalued condition keys").
 *
 * - Operators: String…, Numeric…, Date…, Bool, BinaryEquals, IpAddress/NotIpAddress, Arn…, Null;
 *   any but Null may end in `IfExists`; `ForAllValues:`/`ForAnyValue:` qualify them for
 *   multivalued keys. Operator names are matched without regard to case.
 * - Several operators, and several keys under one operator, must all hold (AND). Several values
 *   for one key: any may match (OR); for a negated operator (`…Not…`) none may match (NOR).
 * - A key missing from the request: the condition is false, except that negated operators, and
 *   every `…IfExists` operator, are then true; `ForAllValues` is true and `ForAnyValue` false;
 *   `Null` tests exactly that.
 * - A multivalued key (a list) with an operator that has no set qualifier never matches: IAM
 *   requires `ForAllValues`/`ForAnyValue` for such keys.
 * - Policy variables are replaced in String…, Arn… and Bool values only (Version 2012-10-17).
 *
 * A condition IAM would reject (unknown operator, a value the operator cannot read) is reported
 * as a problem when the policy is parsed and evaluates as `invalid`: the statement holding it then
 * never allows and always denies (fail closed).
 */
import { BlockList, isIP } from 'node:net';
import type { PolicyProblem } from '../identity/policy-document.ts';
import { arnMatches, parseArn } from './arn.ts';
import type { RequestContext } from './context.ts';
import { expandPolicyString, expandPolicyText, hasVariable } from './policy-variables.ts';
import { matchesPattern, patternFromParts, wildcardPattern } from './wildcard.ts';

/** Tests one request value against one policy value. */
type ValueTest = (requestValue: string, context: RequestContext) => boolean;

interface OperatorSpec {
  readonly name: string;
  /** A `…Not…` operator: holds when the request value matches none of the policy values. */
  readonly negated: boolean;
  /** Prepares a policy value; a string is a problem (the value cannot be read). */
  readonly prepare: (value: string, variables: boolean) => ValueTest | string;
}

export type ConditionResult = boolean | 'invalid';

export interface Condition {
  /** The operator as written, e.g. `ForAnyValue:StringLike`. */
  readonly operator: string;
  /** The condition key, in lower case. */
  readonly key: string;
  readonly evaluate: (context: RequestContext) => ConditionResult;
}

// String operators.

function stringTest(compare: (policy: string, request: string) => boolean, ignoreCase: boolean) {
  return (value: string, variables: boolean): ValueTest => {
    const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
    if (!(variables && hasVariable(value))) {
      const fixed = fold(value);
      return (rv) => compare(fixed, fold(rv));
    }
    return (rv, context) => {
      const text = expandPolicyText(value, context, true);
      return text !== undefined && compare(fold(text), fold(rv));
    };
  };
}

const equals = (a: string, b: string) => a === b;

function likeTest(value: string, variables: boolean): ValueTest {
  if (!(variables && hasVariable(value))) {
    const pattern = wildcardPattern(value);
    return (rv) => matchesPattern(pattern, rv);
  }
  return (rv, context) => {
    const parts = expandPolicyString(value, context, { variables: true, wildcards: true });
    return parts !== undefined && matchesPattern(patternFromParts(parts), rv);
  };
}

// Numeric operators: integers and decimals.

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function parseNumber(text: string): number | undefined {
  return NUMBER.test(text.trim()) ? Number(text) : undefined;
}

function numericTest(compare: (request: number, policy: number) => boolean) {
  return (value: string): ValueTest | string => {
    const policy = parseNumber(value);
    if (policy === undefined) return `"${value}" is not a number`;
    return (rv) => {
      const request = parseNumber(rv);
      return request !== undefined && compare(request, policy);
    };
  };
}

// Date operators: W3C ISO 8601 dates ("Date and Time Formats", W3C note) or epoch seconds.

const W3C_DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;
const EPOCH_SECONDS = /^\d+(\.\d+)?$/;

/** Milliseconds since the epoch, or undefined. All-digit text is epoch seconds (as `aws:EpochTime`). */
export function parseIamDate(text: string): number | undefined {
  const t = text.trim();
  if (EPOCH_SECONDS.test(t)) return Number(t) * 1000;
  const m = W3C_DATE.exec(t);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    return undefined;
  }
  const ms = frac === '' ? 0 : Math.round(Number(`0${frac}`) * 1000);
  const utc = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s), ms);
  if (zone === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return utc - sign * offset;
}

function dateTest(compare: (request: number, policy: number) => boolean) {
  return (value: string): ValueTest | string => {
    const policy = parseIamDate(value);
    if (policy === undefined) return `"${value}" is not an ISO 8601 date or epoch time`;
    return (rv) => {
      const request = parseIamDate(rv);
      return request !== undefined && compare(request, policy);
    };
  };
}

// Bool, BinaryEquals.

function boolTest(value: string, variables: boolean): ValueTest | string {
  const isBool = (s: string) => s === 'true' || s === 'false';
  if (!(variables && hasVariable(value))) {
    const policy = value.toLowerCase();
    if (!isBool(policy)) return `"${value}" is not true or false`;
    return (rv) => rv.toLowerCase() === policy;
  }
  return (rv, context) => {
    const policy = expandPolicyText(value, context, true)?.toLowerCase();
    return policy !== undefined && isBool(policy) && rv.toLowerCase() === policy;
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function binaryTest(value: string): ValueTest | string {
  if (!BASE64.test(value) || value.length % 4 !== 0) return `"${value}" is not base64`;
  const policy = Buffer.from(value, 'base64');
  return (rv) => BASE64.test(rv) && Buffer.from(rv, 'base64').equals(policy);
}

// IP addresses: CIDR ranges, IPv4 and IPv6; an address alone is /32 (/128).

function ipTest(value: string): ValueTest | string {
  const [address = '', prefix, extra] = value.trim().split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  if (family === 0 || extra !== undefined || !(length >= 0 && length <= bits)) {
    return `"${value}" is not an IP address or CIDR range`;
  }
  const range = new BlockList();
  try {
    // isIP and the prefix check above should leave nothing for BlockList to refuse; never throw.
    range.addSubnet(address, length, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return `"${value}" is not an IP address or CIDR range`;
  }
  return (rv) => {
    const requestFamily = isIP(rv);
    return requestFamily !== 0 && range.check(rv, requestFamily === 4 ? 'ipv4' : 'ipv6');
  };
}

// ARNs: six parts matched one by one (ArnEquals and ArnLike behave identically).

function arnTest(value: string, variables: boolean): ValueTest | string {
  if (parseArn(value) === undefined) return `"${value}" is not an ARN`;
  return (rv, context) => arnMatches(value, rv, context, variables);
}

function spec(name: string, negated: boolean, prepare: OperatorSpec['prepare']): OperatorSpec {
  return { name, negated, prepare };
}

const noVariables =
  (prepare: (value: string) => ValueTest | string) =>
  (value: string): ValueTest | string =>
    prepare(value);

const OPERATORS: readonly OperatorSpec[] = [
  spec('StringEquals', false, stringTest(equals, false)),
  spec('StringNotEquals', true, stringTest(equals, false)),
  spec('StringEqualsIgnoreCase', false, stringTest(equals, true)),
  spec('StringNotEqualsIgnoreCase', true, stringTest(equals, true)),
  spec('StringLike', false, likeTest),
  spec('StringNotLike', true, likeTest),
  spec('NumericEquals', false, noVariables(numericTest((r, p) => r === p))),
  spec('NumericNotEquals', true, noVariables(numericTest((r, p) => r === p))),
  spec('NumericLessThan', false, noVariables(numericTest((r, p) => r < p))),
  spec('NumericLessThanEquals', false, noVariables(numericTest((r, p) => r <= p))),
  spec('NumericGreaterThan', false, noVariables(numericTest((r, p) => r > p))),
  spec('NumericGreaterThanEquals', false, noVariables(numericTest((r, p) => r >= p))),
  spec('DateEquals', false, noVariables(dateTest((r, p) => r === p))),
  spec('DateNotEquals', true, noVariables(dateTest((r, p) => r === p))),
  spec('DateLessThan', false, noVariables(dateTest((r, p) => r < p))),
  spec('DateLessThanEquals', false, noVariables(dateTest((r, p) => r <= p))),
  spec('DateGreaterThan', false, noVariables(dateTest((r, p) => r > p))),
  spec('DateGreaterThanEquals', false, noVariables(dateTest((r, p) => r >= p))),
  spec('Bool', false, boolTest),
  spec('BinaryEquals', false, noVariables(binaryTest)),
  spec('IpAddress', false, noVariables(ipTest)),
  spec('NotIpAddress', true, noVariables(ipTest)),
  spec('ArnEquals', false, arnTest),
  spec('ArnLike', false, arnTest),
  spec('ArnNotEquals', true, arnTest),
  spec('ArnNotLike', true, arnTest),
];

const BY_NAME = new Map(OPERATORS.map((o) => [o.name.toLowerCase(), o]));

/** The operators this module evaluates (without `IfExists` and set qualifiers), plus `Null`. */
export const CONDITION_OPERATORS: readonly string[] = [...OPERATORS.map((o) => o.name), 'Null'];

type SetQualifier = 'ForAllValues' | 'ForAnyValue' | undefined;

interface ParsedOperator {
  set: SetQualifier;
  ifExists: boolean;
  /** undefined for `Null`. */
  base: OperatorSpec | undefined;
}

function parseOperator(name: string): ParsedOperator | string {
  let rest = name;
  let set: SetQualifier;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const qualifier = rest.slice(0, colon).toLowerCase();
    if (qualifier === 'forallvalues') set = 'ForAllValues';
    else if (qualifier === 'foranyvalue') set = 'ForAnyValue';
    else return `"${name}" has an unknown set qualifier (use ForAllValues: or ForAnyValue:)`;
    rest = rest.slice(colon + 1);
  }
  if (rest.toLowerCase() === 'null') {
    if (set !== undefined) return `${name}: Null takes no set qualifier`;
    return { set, ifExists: false, base: undefined };
  }
  const ifExists = rest.toLowerCase().endsWith('ifexists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const base = BY_NAME.get(rest.toLowerCase());
  if (base === undefined) {
    return rest.toLowerCase() === 'null'
      ? `${name}: Null cannot end in IfExists`
      : `"${name}" is not a condition operator this server evaluates`;
  }
  return { set, ifExists, base };
}

type JsonScalar = string | number | boolean;

function asText(value: JsonScalar): string {
  return typeof value === 'string' ? value : String(value);
}

/**
 * Compiles a statement's Condition block (already checked by `checkPolicyValue`). Conditions that
 * cannot be evaluated come back as problems and evaluate as `invalid`.
 */
export function compileConditions(
  block: Readonly<Record<string, Readonly<Record<string, JsonScalar | readonly JsonScalar[]>>>>,
  at: Array<string | number>,
  variables: boolean,
): { conditions: Condition[]; problems: PolicyProblem[] } {
  const conditions: Condition[] = [];
  const problems: PolicyProblem[] = [];
  for (const [operator, entries] of Object.entries(block)) {
    const parsed = parseOperator(operator);
    for (const [key, raw] of Object.entries(entries)) {
      const values = (Array.isArray(raw) ? raw : [raw]).map(asText);
      const where = [...at, operator, key];
      const fail = (message: string): void => {
        problems.push({ at: where, message });
        conditions.push({ operator, key: key.toLowerCase(), evaluate: () => 'invalid' });
      };
      if (typeof parsed === 'string') {
        fail(parsed);
        continue;
      }
      if (parsed.base === undefined) {
        const wanted = values.map((v) => v.toLowerCase());
        const bad = wanted.find((v) => v !== 'true' && v !== 'false');
        if (bad !== undefined) fail(`Null takes true or false, not "${bad}"`);
        else conditions.push(nullCondition(operator, key, wanted));
        continue;
      }
      const base = parsed.base;
      const tests: ValueTest[] = [];
      const errors: string[] = [];
      for (const v of values) {
        const prepared = base.prepare(v, variables);
        if (typeof prepared === 'string') errors.push(prepared);
        else tests.push(prepared);
      }
      if (errors.length > 0) fail(`${operator}: ${errors.join('; ')}`);
      else conditions.push(valueCondition(operator, key, parsed, base.negated, tests));
    }
  }
  return { conditions, problems };
}

function nullCondition(operator: string, key: string, wanted: string[]): Condition {
  const lower = key.toLowerCase();
  return {
    operator,
    key: lower,
    evaluate: (context) => wanted.includes(context.get(lower) === undefined ? 'true' : 'false'),
  };
}

function valueCondition(
  operator: string,
  key: string,
  parsed: ParsedOperator,
  negated: boolean,
  tests: readonly ValueTest[],
): Condition {
  const lower = key.toLowerCase();
  const holdsFor = (rv: string, context: RequestContext): boolean => {
    const anyMatch = tests.some((test) => test(rv, context));
    return negated ? !anyMatch : anyMatch;
  };
  return {
    operator,
    key: lower,
    evaluate: (context) => {
      const present = context.get(lower);
      if (present === undefined) {
        if (parsed.ifExists || parsed.set === 'ForAllValues') return true;
        if (parsed.set === 'ForAnyValue') return false;
        return negated;
      }
      if (typeof present === 'string') return holdsFor(present, context);
      if (parsed.set === 'ForAllValues') return present.every((rv) => holdsFor(rv, context));
      if (parsed.set === 'ForAnyValue') return present.some((rv) => holdsFor(rv, context));
      return false;
    },
  };
}
