/**
 * SigV4 verification of a request signed in the Authorization header or presigned in the query
 * string. The order of checks and the error codes follow what real STS answers
 * (docs/wire-protocols.md, "SigV4 failures") and the tampered vectors in
 * `test/vectors/sigv4/generated`:
 *
 * 1. no Authorization and no X-Amz-Algorithm query → MissingAuthenticationToken (403)
 * 2. malformed Authorization / query parameters, bad algorithm, bad scope terminator, missing
 *    X-Amz-Date → IncompleteSignature (400)
 * 3. scope date ≠ X-Amz-Date, wrong service, X-Amz-Date outside the clock-skew window,
 *    host not signed, a signed header absent → SignatureDoesNotMatch (403)
 * 4. presigned URL used after X-Amz-Date + X-Amz-Expires → AccessDenied (403) "Request has expired"
 * 5. the credential resolver's verdict: unknown key / bad token → InvalidClientTokenId (403),
 *    expired token → ExpiredToken (400)
 * 6. the recomputed signature differs → SignatureDoesNotMatch (403)
 *
 * The credential resolver is injected, so the verifier is pure apart from it and is tested
 * against every AWS vector with the vectors' own credentials.
 */
import {
  ALGORITHM,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  headerMap,
  percentDecode,
  type SignableRequest,
  sha256Hex,
  signature,
  signingKey,
  stringToSign,
} from './canonical.ts';

export type SigV4ErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'SignatureDoesNotMatch'
  | 'InvalidClientTokenId'
  | 'ExpiredToken'
  | 'AccessDenied';

export interface SigV4Failure {
  ok: false;
  code: SigV4ErrorCode;
  status: number;
  message: string;
  /** Access key id named by the request, when it got that far (for the audit log). */
  accessKeyId?: string;
}

/** The HTTP status of each failure (the error catalog test holds them to AWS's common errors). */
export const SIGV4_ERROR_STATUS: Record<SigV4ErrorCode, number> = {
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  SignatureDoesNotMatch: 403,
  InvalidClientTokenId: 403,
  ExpiredToken: 400,
  AccessDenied: 403,
};

export function sigv4Failure(code: SigV4ErrorCode, message: string, accessKeyId?: string): SigV4Failure {
  const f: SigV4Failure = { ok: false, code, status: SIGV4_ERROR_STATUS[code], message };
  if (accessKeyId !== undefined) f.accessKeyId = accessKeyId;
  return f;
}

export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export interface ResolvedCredential<T> {
  ok: true;
  secretAccessKey: string;
  principal: T;
}

/** Look up the secret of an access key id (and session token); a failure is returned as is. */
export type CredentialResolver<T> = (
  accessKeyId: string,
  sessionToken: string | undefined,
) => Promise<ResolvedCredential<T> | SigV4Failure> | ResolvedCredential<T> | SigV4Failure;

export interface VerifyOptions<T> {
  /** Server time, epoch ms (injected clock). */
  now: number;
  /** The signing name the scope must carry, e.g. `sts`. */
  service: string;
  resolve: CredentialResolver<T>;
  /** Allowed difference between X-Amz-Date and now (ms); default 5 minutes. */
  maxSkewMs?: number;
  /** Largest X-Amz-Expires accepted (s); default 7 days, as AWS. */
  maxExpiresSeconds?: number;
  /** Normalise the path (every service but S3); default true. */
  normalizePath?: boolean;
}

export interface Verified<T> {
  ok: true;
  principal: T;
  accessKeyId: string;
  region: string;
  presigned: boolean;
  /** X-Amz-Date, epoch ms. */
  signedAt: number;
}

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
  sessionToken: string | undefined;
  /** X-Amz-Expires, seconds (presigned only). */
  expires: number | undefined;
}

const DEFAULT_SKEW_MS = 5 * 60_000;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The last date parsed: a client signs many requests within the same second. */
let lastAmzDate: { text: string; ms: number | null } = { text: '', ms: null };

export function parseAmzDate(value: string): number | null {
  if (value === lastAmzDate.text) return lastAmzDate.ms;
  const ms = parseAmzDateText(value);
  lastAmzDate = { text: value, ms };
  return ms;
}

function parseAmzDateText(value: string): number | null {
  const m = AMZ_DATE.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const check = new Date(t);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo! - 1 || check.getUTCHours() !== h) return null;
  return t;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
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

function single(headers: Map<string, string[]>, name: string): string | undefined {
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
export function parseAuthorizationHeader(
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
export function parseQueryAuth(
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
  return {
    presigned: true,
    ...cred,
    signedHeaders: v('X-Amz-SignedHeaders').split(';'),
    signature: v('X-Amz-Signature'),
    amzDate: v('X-Amz-Date'),
    sessionToken: params.get('X-Amz-Security-Token')?.[0] ?? single(headers, 'x-amz-security-token'),
    expires,
  };
}

/** Find and parse the request's signature, or say why there is none. */
export function parseAuth(
  req: SignableRequest,
  headers: Map<string, string[]>,
  maxExpiresSeconds = 604_800,
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

export interface Artifacts {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/**
 * The canonical request, string to sign and signature the client must have made for this
 * request and secret. `omitSessionToken` leaves X-Amz-Security-Token out of a presigned
 * query (signers that attach the token after signing).
 */
export function signingArtifacts(
  req: SignableRequest,
  headers: Map<string, string[]>,
  auth: ParsedAuth,
  secretAccessKey: string,
  options: { normalizePath?: boolean; omitSessionToken?: boolean } = {},
): Artifacts {
  const query = auth.presigned
    ? canonicalQuery(
        req.query,
        (n) => n === 'X-Amz-Signature' || (options.omitSessionToken === true && n === 'X-Amz-Security-Token'),
      )
    : canonicalQuery(req.query);
  const creq = canonicalRequest({
    method: req.method,
    uri: canonicalUri(req.path, options.normalizePath ?? true),
    query,
    headers: canonicalHeaders(headers, auth.signedHeaders).text,
    signedHeaders: auth.signedHeaders,
    payloadHash: payloadHash(req, headers),
  });
  const sts = stringToSign(auth.amzDate, credentialScope(auth.date, auth.region, auth.service), creq);
  const key = signingKey(secretAccessKey, auth.date, auth.region, auth.service);
  return { canonicalRequest: creq, stringToSign: sts, signature: signature(key, sts) };
}

function payloadHash(req: SignableRequest, headers: Map<string, string[]>): string {
  const declared = single(headers, 'x-amz-content-sha256');
  const computed = sha256Hex(req.body);
  // A declared hash is signed, but only the body's real hash goes into the canonical request,
  // so a body swapped under a declared hash never verifies.
  return declared !== undefined && declared !== computed ? `mismatch:${declared}` : computed;
}

/** Equal strings, in time that depends on their length only (signatures are 64 hex digits). */
function sameSignature(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Verify a SigV4-signed request; on success, the resolver's principal comes back. The answer is
 * a promise only when the resolver's is (a busy server verifies without one).
 */
export function verifyRequest<T>(
  req: SignableRequest,
  options: VerifyOptions<T>,
): Verified<T> | SigV4Failure | Promise<Verified<T> | SigV4Failure> {
  const headers = headerMap(req.rawHeaders);
  const maxExpires = options.maxExpiresSeconds ?? 604_800;
  const auth = parseAuth(req, headers, maxExpires);
  if ('ok' in auth) return auth;
  const akid = auth.accessKeyId;

  const signedAt = parseAmzDate(auth.amzDate);
  if (signedAt === null) {
    return sigv4Failure(
      'IncompleteSignature',
      `Date must be in ISO-8601 'basic format'. Got '${auth.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      akid,
    );
  }
  if (auth.date !== auth.amzDate.slice(0, 8)) {
    return sigv4Failure(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${auth.amzDate.slice(0, 8)}', from '${auth.amzDate}'.`,
      akid,
    );
  }
  if (auth.service !== options.service) {
    return sigv4Failure(
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${options.service}'.`,
      akid,
    );
  }
  if (!/^[a-z0-9-]{1,32}$/.test(auth.region)) {
    return sigv4Failure('SignatureDoesNotMatch', 'Credential should be scoped to a valid region.', akid);
  }

  const skew = options.maxSkewMs ?? DEFAULT_SKEW_MS;
  const now = options.now;
  if (auth.presigned) {
    if (signedAt > now + skew) {
      return sigv4Failure(
        'SignatureDoesNotMatch',
        `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(now + skew)} (${formatAmzDate(now)} + ${skew / 60_000} min.)`,
        akid,
      );
    }
    if (now > signedAt + (auth.expires ?? 0) * 1000) {
      return sigv4Failure(
        'AccessDenied',
        `Request has expired: signed at ${auth.amzDate} for ${auth.expires} seconds, now ${formatAmzDate(now)}.`,
        akid,
      );
    }
  } else if (now - signedAt > skew) {
    return sigv4Failure(
      'SignatureDoesNotMatch',
      `Signature expired: ${auth.amzDate} is now earlier than ${formatAmzDate(now - skew)} (${formatAmzDate(now)} - ${skew / 60_000} min.)`,
      akid,
    );
  } else if (signedAt - now > skew) {
    return sigv4Failure(
      'SignatureDoesNotMatch',
      `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(now + skew)} (${formatAmzDate(now)} + ${skew / 60_000} min.)`,
      akid,
    );
  }

  if (!auth.signedHeaders.includes('host')) {
    return sigv4Failure(
      'SignatureDoesNotMatch',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.",
      akid,
    );
  }
  const missing = auth.signedHeaders.filter((h) => !headers.has(h));
  if (missing.length > 0) {
    return sigv4Failure(
      'SignatureDoesNotMatch',
      `Signed header${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the request.`,
      akid,
    );
  }

  const resolved = options.resolve(akid, auth.sessionToken);
  if (resolved instanceof Promise) {
    return resolved.then((r) => checkSignature(req, headers, auth, signedAt, r, options));
  }
  return checkSignature(req, headers, auth, signedAt, resolved, options);
}

/** The last step of `verifyRequest`: the signature recomputed with the resolved secret. */
function checkSignature<T>(
  req: SignableRequest,
  headers: Map<string, string[]>,
  auth: ParsedAuth,
  signedAt: number,
  resolved: ResolvedCredential<T> | SigV4Failure,
  options: VerifyOptions<T>,
): Verified<T> | SigV4Failure {
  const akid = auth.accessKeyId;
  if (!resolved.ok) return { ...resolved, accessKeyId: akid };

  const normalizePath = options.normalizePath ?? true;
  const expected = signingArtifacts(req, headers, auth, resolved.secretAccessKey, { normalizePath });
  let match = sameSignature(expected.signature, auth.signature);
  if (!match && auth.presigned && auth.sessionToken !== undefined) {
    const alt = signingArtifacts(req, headers, auth, resolved.secretAccessKey, {
      normalizePath,
      omitSessionToken: true,
    });
    match = sameSignature(alt.signature, auth.signature);
  }
  if (!match) return sigv4Failure('SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE, akid);
  return {
    ok: true,
    principal: resolved.principal,
    accessKeyId: akid,
    region: auth.region,
    presigned: auth.presigned,
    signedAt,
  };
}
