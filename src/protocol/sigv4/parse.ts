/**
 * SigV4 parsing: the signature a request carries, in its Authorization header or presigned in
 * its query string, read into a `ParsedAuth` — what the signature covers and who signed — or
 * the failure real STS answers for a request signed in no readable way (the tampered vectors in
 * `test/vectors/sigv4/generated`):
 *
 * - no Authorization and no X-Amz-Algorithm query → MissingAuthenticationToken (403)
 * - malformed Authorization / query parameters, bad algorithm, bad scope terminator, missing
 *   or malformed X-Amz-Date → IncompleteSignature (400)
 *
 * Nothing here looks at the clock, a secret or the signature's value: that is `verify.ts`.
 */
import { ALGORITHM, percentDecode, type SignableRequest } from '../../domain/sigv4.ts';
import { type SigV4Failure, sigv4Failure } from './failure.ts';

/** What the signature covers, as parsed from the Authorization header or the query. */
export interface ParsedAuth {
  presigned: boolean;
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** X-Amz-Date, epoch ms. */
  signedAt: number;
  sessionToken: string | undefined;
  /** X-Amz-Expires, seconds (presigned only). */
  expires: number | undefined;
}

/** Largest X-Amz-Expires accepted unless told otherwise (s): 7 days, as AWS. */
export const MAX_EXPIRES_SECONDS = 604_800;

const AMZ_DATE = /^\d{8}T\d{6}Z$/;

/** The number written by `length` ASCII digits of `text` from `start`. */
function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + text.charCodeAt(i) - 0x30;
  return n;
}

function notADate(amzDate: string, accessKeyId: string): SigV4Failure {
  return sigv4Failure(
    'IncompleteSignature',
    `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    accessKeyId,
  );
}

/** An X-Amz-Date in epoch ms, or null when it is no valid date in ISO 8601 basic format. */
export function parseAmzDate(value: string): number | null {
  if (!AMZ_DATE.test(value)) return null;
  const month = digits(value, 4, 2);
  const day = digits(value, 6, 2);
  const hour = digits(value, 9, 2);
  const t = Date.UTC(digits(value, 0, 4), month - 1, day, hour, digits(value, 11, 2), digits(value, 13, 2));
  // Date.UTC rolls an impossible day or hour over into the next: such a date is refused.
  const check = new Date(t);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1 || check.getUTCHours() !== hour) {
    return null;
  }
  return t;
}

function splitQuery(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = percentDecode(eq === -1 ? part : part.slice(0, eq)).toString('utf8');
    const value = percentDecode(eq === -1 ? '' : part.slice(eq + 1)).toString('utf8');
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

/** The parts of a credential scope, `AKID/date/region/service/aws4_request`. */
type CredentialScope = Pick<ParsedAuth, 'accessKeyId' | 'date' | 'region' | 'service' | 'terminator'>;

function parseCredential(credential: string): CredentialScope | SigV4Failure {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p.length === 0)) {
    return sigv4Failure(
      'IncompleteSignature',
      `Credential should be scoped to a valid region, service and date: '${credential}'.`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== 'aws4_request') {
    return sigv4Failure(
      'IncompleteSignature',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
      accessKeyId,
    );
  }
  return { accessKeyId, date, region, service, terminator };
}

/** A header's value, repeated values joined with ','; undefined when absent. */
export function single(headers: Map<string, string[]>, name: string): string | undefined {
  const v = headers.get(name);
  return v && v.length > 0 ? v.join(',') : undefined;
}

/**
 * The header as every SDK writes it: the three items in order, a well-formed scope. It is read
 * in half the time of the item-by-item loop below, which takes every other spelling.
 */
const SDK_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s=]+)\/([^/,\s]+)\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, ?SignedHeaders=([^,\s=]+), ?Signature=([^,\s=]+)$/;

/** Parse the Authorization header form. */
function parseAuthorizationHeader(
  authorization: string,
  headers: Map<string, string[]>,
): ParsedAuth | SigV4Failure {
  const sdk = SDK_AUTHORIZATION.exec(authorization);
  if (sdk) {
    const [, accessKeyId = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] =
      sdk;
    const scope = { accessKeyId, date, region, service, terminator: 'aws4_request' };
    return authorizationItems(scope, signedHeaders, signature, headers);
  }
  const space = authorization.indexOf(' ');
  const algorithm = space === -1 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    return sigv4Failure(
      'IncompleteSignature',
      `Unsupported AWS 'algorithm': '${algorithm}'. Only ${ALGORITHM} is accepted.`,
    );
  }
  // `name=value` items separated by commas; a repeated name keeps its last value.
  let credential = '';
  let signedHeaders = '';
  let signature = '';
  for (const item of authorization.slice(space + 1).split(',')) {
    const t = item.trim();
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    const name = t.slice(0, eq);
    if (name === 'Credential') credential = t.slice(eq + 1);
    else if (name === 'SignedHeaders') signedHeaders = t.slice(eq + 1);
    else if (name === 'Signature') signature = t.slice(eq + 1);
  }
  if (credential === '' || signedHeaders === '' || signature === '') {
    const missing = [
      ['Credential', credential],
      ['SignedHeaders', signedHeaders],
      ['Signature', signature],
    ].filter(([, v]) => v === '');
    return sigv4Failure(
      'IncompleteSignature',
      missing.map(([k]) => `Authorization header requires '${k}' parameter.`).join(' '),
    );
  }
  const cred = parseCredential(credential);
  if ('ok' in cred) return cred;
  return authorizationItems(cred, signedHeaders, signature, headers);
}

/** The header's three items, however they were read, with the X-Amz-Date they need. */
function authorizationItems(
  scope: CredentialScope,
  signedHeaders: string,
  signature: string,
  headers: Map<string, string[]>,
): ParsedAuth | SigV4Failure {
  const amzDate = single(headers, 'x-amz-date');
  if (amzDate === undefined) {
    return sigv4Failure(
      'IncompleteSignature',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      scope.accessKeyId,
    );
  }
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === null) return notADate(amzDate, scope.accessKeyId);
  return {
    presigned: false,
    accessKeyId: scope.accessKeyId,
    date: scope.date,
    region: scope.region,
    service: scope.service,
    terminator: scope.terminator,
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    signedAt,
    sessionToken: single(headers, 'x-amz-security-token'),
    expires: undefined,
  };
}

const PRESIGN_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
];

/** Parse the presigned (query-string) form. */
function parseQueryAuth(
  params: Map<string, string[]>,
  headers: Map<string, string[]>,
  maxExpiresSeconds: number,
): ParsedAuth | SigV4Failure {
  const missing = PRESIGN_PARAMS.filter((p) => !params.get(p)?.[0]);
  if (missing.length > 0) {
    return sigv4Failure(
      'IncompleteSignature',
      `AWS query-string parameters must include ${PRESIGN_PARAMS.map((p) => `'${p}'`).join(', ')}. Missing: ${missing.join(', ')}. Re-examine the query-string parameters.`,
    );
  }
  for (const p of [...PRESIGN_PARAMS, 'X-Amz-Security-Token']) {
    if ((params.get(p)?.length ?? 0) > 1) {
      return sigv4Failure('IncompleteSignature', `Query parameter ${p} appears more than once.`);
    }
  }
  const v = (p: string) => params.get(p)![0]!;
  if (v('X-Amz-Algorithm') !== ALGORITHM) {
    return sigv4Failure(
      'IncompleteSignature',
      `Unsupported AWS 'algorithm': '${v('X-Amz-Algorithm')}'. Only ${ALGORITHM} is accepted.`,
    );
  }
  const cred = parseCredential(v('X-Amz-Credential'));
  if ('ok' in cred) return cred;
  const expiresText = v('X-Amz-Expires');
  const expires = /^\d{1,7}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expires >= 1 && expires <= maxExpiresSeconds)) {
    return sigv4Failure(
      'IncompleteSignature',
      `X-Amz-Expires must be a whole number of seconds from 1 to ${maxExpiresSeconds}, not '${expiresText}'.`,
      cred.accessKeyId,
    );
  }
  const amzDate = v('X-Amz-Date');
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === null) return notADate(amzDate, cred.accessKeyId);
  return {
    presigned: true,
    ...cred,
    signedHeaders: v('X-Amz-SignedHeaders').split(';'),
    signature: v('X-Amz-Signature'),
    amzDate,
    signedAt,
    sessionToken: params.get('X-Amz-Security-Token')?.[0] ?? single(headers, 'x-amz-security-token'),
    expires,
  };
}

/**
 * Find and parse the request's signature, or say why there is none or it cannot be read; the
 * last check of either form is that X-Amz-Date is a date.
 */
export function parseAuth(
  req: SignableRequest,
  headers: Map<string, string[]>,
  maxExpiresSeconds = MAX_EXPIRES_SECONDS,
): ParsedAuth | SigV4Failure {
  const authorization = headers.get('authorization');
  const params = req.query === '' ? new Map<string, string[]>() : splitQuery(req.query);
  const presigned = params.has('X-Amz-Algorithm') || params.has('X-Amz-Signature');
  if (authorization && presigned) {
    return sigv4Failure(
      'IncompleteSignature',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be supplied.',
    );
  }
  if (authorization) {
    if (authorization.length > 1) {
      return sigv4Failure('IncompleteSignature', 'The request carries more than one Authorization header.');
    }
    return parseAuthorizationHeader(authorization[0] ?? '', headers);
  }
  if (presigned || params.has('X-Amz-Credential')) return parseQueryAuth(params, headers, maxExpiresSeconds);
  return sigv4Failure('MissingAuthenticationToken', 'Request is missing Authentication Token');
}
