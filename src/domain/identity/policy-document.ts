/**
 * The inline policy of a permission set must be a valid IAM identity-policy document
 * (docs/behaviour.md, "Permission sets": JSON ≤ 32,768 bytes and ≤ 10,240 non-whitespace bytes; the
 * grammar from the IAM User Guide "Grammar of the IAM JSON policy language"). Every problem is
 * returned, each with the path inside the document where it was found.
 */
import { byteLength, printable } from './text.ts';

export const MAX_POLICY_BYTES = 32_768;
export const MAX_POLICY_NON_WHITESPACE_BYTES = 10_240;

export interface PolicyProblem {
  /** Path inside the document, e.g. ['Statement', 0, 'Effect']; [] for the whole document. */
  at: Array<string | number>;
  message: string;
}

const DOCUMENT_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
  'Principal',
  'NotPrincipal',
]);
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
/** `*`, or `service:Action` with `*`/`?` wildcards in the action part. */
const ACTION = /^(\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+)$/;
/** `*`, or an ARN: `arn:partition:service:region:account:resource` (wildcards and variables allowed). */
const RESOURCE = /^(\*|arn:[^:]*:[^:]*:[^:]*:[^:]*:.+)$/;
const CONDITION_OPERATOR = /^(ForAllValues:|ForAnyValue:)?[A-Za-z]+$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** Sizes and characters of the JSON text, as IAM measures them. */
export function checkPolicySize(text: string): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const bytes = byteLength(text);
  if (bytes > MAX_POLICY_BYTES) {
    problems.push({
      at: [],
      message: `inline policy is ${bytes} bytes; at most ${MAX_POLICY_BYTES} are allowed`,
    });
  }
  const compact = byteLength(text.replace(/\s+/g, ''));
  if (compact > MAX_POLICY_NON_WHITESPACE_BYTES) {
    problems.push({
      at: [],
      message: `inline policy has ${compact} bytes that are not whitespace; at most ${MAX_POLICY_NON_WHITESPACE_BYTES} are allowed`,
    });
  }
  if (!/^[\t\n\r\u0020-\u00FF]*$/.test(text)) {
    problems.push({
      at: [],
      message: 'inline policy may contain only tab, newline and characters U+0020 to U+00FF',
    });
  }
  return problems;
}

/**
 * Validate a policy document given as JSON text. Returns every problem (empty when valid).
 *
 * @example checkPolicyDocument('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}') // []
 */
export function checkPolicyDocument(text: string): PolicyProblem[] {
  if (text.trim() === '') return [{ at: [], message: 'inline policy must not be empty' }];
  const size = checkPolicySize(text);
  if (size.length > 0) return size;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return [{ at: [], message: `inline policy is not valid JSON: ${(err as Error).message}` }];
  }
  return checkPolicyValue(doc);
}

/** Validate an already parsed policy document (the grammar only; sizes need the text). */
export function checkPolicyValue(doc: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  if (!isPlainObject(doc)) {
    return [{ at: [], message: `inline policy must be a JSON object, not ${kind(doc)}` }];
  }
  for (const key of Object.keys(doc)) {
    if (!DOCUMENT_KEYS.has(key)) {
      problems.push({
        at: [key],
        message: `unknown policy element "${printable(key)}" (expected Version, Id, Statement)`,
      });
    }
  }
  if ('Version' in doc && !(typeof doc.Version === 'string' && VERSIONS.has(doc.Version))) {
    problems.push({ at: ['Version'], message: 'Version must be "2012-10-17" or "2008-10-17"' });
  }
  if ('Id' in doc && typeof doc.Id !== 'string') {
    problems.push({ at: ['Id'], message: `Id must be a string, not ${kind(doc.Id)}` });
  }
  const statement = doc.Statement;
  if (statement === undefined) {
    problems.push({ at: [], message: 'inline policy has no Statement' });
    return problems;
  }
  let statements: Array<{ value: unknown; at: Array<string | number> }>;
  if (Array.isArray(statement)) {
    if (statement.length === 0) problems.push({ at: ['Statement'], message: 'Statement must not be empty' });
    statements = statement.map((value, i) => ({ value, at: ['Statement', i] }));
  } else {
    statements = [{ value: statement, at: ['Statement'] }];
  }
  const sids = new Map<string, number>();
  for (const { value, at } of statements) {
    checkStatement(value, at, problems, sids);
  }
  return problems;
}

function checkStatement(
  st: unknown,
  at: Array<string | number>,
  problems: PolicyProblem[],
  sids: Map<string, number>,
): void {
  if (!isPlainObject(st)) {
    problems.push({ at, message: `a statement must be an object, not ${kind(st)}` });
    return;
  }
  for (const key of Object.keys(st)) {
    if (!STATEMENT_KEYS.has(key)) {
      problems.push({ at: [...at, key], message: `unknown statement element "${printable(key)}"` });
    }
  }
  if ('Sid' in st) {
    if (typeof st.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(st.Sid)) {
      problems.push({ at: [...at, 'Sid'], message: 'Sid must be a string of letters and digits' });
    } else if (st.Sid !== '') {
      const seen = sids.get(st.Sid) ?? 0;
      if (seen === 1)
        problems.push({ at: [...at, 'Sid'], message: `Sid "${st.Sid}" is used by more than one statement` });
      sids.set(st.Sid, seen + 1);
    }
  }
  if (!('Effect' in st)) {
    problems.push({ at, message: 'statement has no Effect (Allow or Deny)' });
  } else if (st.Effect !== 'Allow' && st.Effect !== 'Deny') {
    problems.push({ at: [...at, 'Effect'], message: 'Effect must be "Allow" or "Deny"' });
  }
  checkExactlyOne(st, at, 'Action', 'NotAction', ACTION, 'an action such as "s3:GetObject" or "*"', problems);
  checkExactlyOne(
    st,
    at,
    'Resource',
    'NotResource',
    RESOURCE,
    'an ARN such as "arn:aws:s3:::bucket/*" or "*"',
    problems,
  );
  for (const key of ['Principal', 'NotPrincipal']) {
    if (key in st) {
      problems.push({
        at: [...at, key],
        message: `${key} is not allowed: the inline policy of a permission set is an identity policy (IAM rejects principals there)`,
      });
    }
  }
  if ('Condition' in st) checkCondition(st.Condition, [...at, 'Condition'], problems);
}

function checkExactlyOne(
  st: Record<string, unknown>,
  at: Array<string | number>,
  key: string,
  notKey: string,
  pattern: RegExp,
  expected: string,
  problems: PolicyProblem[],
): void {
  const has = key in st;
  const hasNot = notKey in st;
  if (has && hasNot) {
    problems.push({ at, message: `statement has both ${key} and ${notKey}; give one` });
    return;
  }
  if (!has && !hasNot) {
    problems.push({ at, message: `statement has no ${key} (or ${notKey})` });
    return;
  }
  const name = has ? key : notKey;
  const value = st[name];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) {
    problems.push({
      at: [...at, name],
      message: `${name} must be a string or a list of strings, not ${kind(value)}`,
    });
    return;
  }
  if (list.length === 0) {
    problems.push({ at: [...at, name], message: `${name} must not be empty` });
    return;
  }
  list.forEach((item, i) => {
    const where = typeof value === 'string' ? [...at, name] : [...at, name, i];
    if (typeof item !== 'string') {
      problems.push({ at: where, message: `${name} entries must be strings, not ${kind(item)}` });
    } else if (!pattern.test(item)) {
      problems.push({ at: where, message: `"${printable(item)}" is not ${expected}` });
    }
  });
}

function checkCondition(cond: unknown, at: Array<string | number>, problems: PolicyProblem[]): void {
  if (!isPlainObject(cond)) {
    problems.push({ at, message: `Condition must be an object of operators, not ${kind(cond)}` });
    return;
  }
  for (const [op, block] of Object.entries(cond)) {
    if (!CONDITION_OPERATOR.test(op)) {
      problems.push({
        at: [...at, op],
        message: `"${printable(op)}" is not a condition operator (e.g. StringEquals)`,
      });
      continue;
    }
    if (!isPlainObject(block) || Object.keys(block).length === 0) {
      problems.push({ at: [...at, op], message: `${op} must map condition keys to values` });
      continue;
    }
    for (const [key, v] of Object.entries(block)) {
      const values = Array.isArray(v) ? v : [v];
      const ok = values.length > 0 && values.every((x) => ['string', 'number', 'boolean'].includes(typeof x));
      if (!ok) {
        problems.push({
          at: [...at, op, key],
          message: `condition values must be strings, numbers or booleans (or a non-empty list of them)`,
        });
      }
    }
  }
}
