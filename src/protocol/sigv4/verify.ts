/**
 * SigV4 verification of a request whose signature `parse.ts` has read: the scope, the time
 * window, the credential and the signature itself. The order of checks and the error codes
 * follow what real STS answers (docs/wire-protocols.md, "SigV4 failures") and the tampered
 * vectors in `test/vectors/sigv4/generated`;
 * parsing comes first (MissingAuthenticationToken, IncompleteSignature), then:
 *
 * 1. scope date ≠ X-Amz-Date, wrong service, X-Amz-Date outside the clock-skew window,
 *    host not signed, a signed header absent → SignatureDoesNotMatch (403)
 * 2. presigned URL used after X-Amz-Date + X-Amz-Expires → AccessDenied (403) "Request has expired"
 * 3. the credential resolver's verdict: unknown key / bad token → InvalidClientTokenId (403),
 *    expired token → ExpiredToken (400)
 * 4. the recomputed signature differs → SignatureDoesNotMatch (403)
 *
 * The credential resolver is injected, so the verifier is pure apart from it and is tested
 * against every AWS vector with the vectors' own credentials. What a server keeps between
 * requests, the derived signing keys, lives in a `SigV4Verifier` it builds once.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalUri,
  deriveSigningKey,
  formatAmzDate,
  headerMap,
  type SignableRequest,
  type SigningArtifacts,
  sha256Hex,
  signCanonical,
} from '../../domain/sigv4.ts';
import { SIGNATURE_MISMATCH_MESSAGE, type SigV4Failure, sigv4Failure } from './failure.ts';
import { MAX_EXPIRES_SECONDS, type ParsedAuth, parseAuth, single } from './parse.ts';
import { SigningKeyCache } from './signing-keys.ts';

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

/** Where the signing key of a secret and scope comes from. */
type SigningKeys = (secret: string, date: string, region: string, service: string) => Buffer;

const DEFAULT_SKEW_MS = 5 * 60_000;

/**
 * A server's verifier: `verify` as `verifyRequest`, with the signing keys it derives kept in its
 * own bounded cache (`SigningKeyCache`) for the requests that follow.
 */
export class SigV4Verifier {
  readonly signingKeys: SigningKeyCache;
  private readonly keyOf: SigningKeys;

  constructor(signingKeys: SigningKeyCache = new SigningKeyCache()) {
    this.signingKeys = signingKeys;
    this.keyOf = (secret, date, region, service) => signingKeys.get(secret, date, region, service);
  }

  verify<T>(
    req: SignableRequest,
    options: VerifyOptions<T>,
  ): Verified<T> | SigV4Failure | Promise<Verified<T> | SigV4Failure> {
    return verifyWith(this.keyOf, req, options);
  }
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
  options: { normalizePath?: boolean; omitSessionToken?: boolean; signingKeys?: SigningKeys } = {},
): SigningArtifacts {
  const query = auth.presigned
    ? canonicalQuery(
        req.query,
        (n) => n === 'X-Amz-Signature' || (options.omitSessionToken === true && n === 'X-Amz-Security-Token'),
      )
    : canonicalQuery(req.query);
  const scope = { date: auth.date, region: auth.region, service: auth.service };
  const key = (options.signingKeys ?? deriveSigningKey)(
    secretAccessKey,
    scope.date,
    scope.region,
    scope.service,
  );
  return signCanonical(
    {
      method: req.method,
      uri: canonicalUri(req.path, options.normalizePath ?? true),
      query,
      headers: canonicalHeaders(headers, auth.signedHeaders).text,
      signedHeaders: auth.signedHeaders,
      payloadHash: payloadHash(req, headers),
    },
    auth.amzDate,
    scope,
    key,
  );
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
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Verify a SigV4-signed request; on success, the resolver's principal comes back. The answer is
 * a promise only when the resolver's is (a busy server verifies without one). The signing key
 * is derived afresh: a server verifies through its `SigV4Verifier`, which keeps them.
 */
export function verifyRequest<T>(
  req: SignableRequest,
  options: VerifyOptions<T>,
): Verified<T> | SigV4Failure | Promise<Verified<T> | SigV4Failure> {
  return verifyWith(deriveSigningKey, req, options);
}

function verifyWith<T>(
  signingKeys: SigningKeys,
  req: SignableRequest,
  options: VerifyOptions<T>,
): Verified<T> | SigV4Failure | Promise<Verified<T> | SigV4Failure> {
  const headers = headerMap(req.rawHeaders);
  const auth = parseAuth(req, headers, options.maxExpiresSeconds ?? MAX_EXPIRES_SECONDS);
  if ('ok' in auth) return auth;
  const akid = auth.accessKeyId;
  const signedAt = auth.signedAt;
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
    return resolved.then((r) => checkSignature(signingKeys, req, headers, auth, r, options));
  }
  return checkSignature(signingKeys, req, headers, auth, resolved, options);
}

/** The last step of `verifyRequest`: the signature recomputed with the resolved secret. */
function checkSignature<T>(
  signingKeys: SigningKeys,
  req: SignableRequest,
  headers: Map<string, string[]>,
  auth: ParsedAuth,
  resolved: ResolvedCredential<T> | SigV4Failure,
  options: VerifyOptions<T>,
): Verified<T> | SigV4Failure {
  const akid = auth.accessKeyId;
  if (!resolved.ok) return { ...resolved, accessKeyId: akid };

  const normalizePath = options.normalizePath ?? true;
  const expected = signingArtifacts(req, headers, auth, resolved.secretAccessKey, {
    normalizePath,
    signingKeys,
  });
  let match = sameSignature(expected.signature, auth.signature);
  if (!match && auth.presigned && auth.sessionToken !== undefined) {
    const alt = signingArtifacts(req, headers, auth, resolved.secretAccessKey, {
      normalizePath,
      omitSessionToken: true,
      signingKeys,
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
    signedAt: auth.signedAt,
  };
}
