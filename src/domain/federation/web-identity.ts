/**
 * OIDC federation for `aws` accounts that choose it (`federation: oidc`): this server is an
 * OpenID Connect issuer that IAM trusts through an IAM OIDC identity provider, and STS
 * `AssumeRoleWithWebIdentity` turns one of its ID tokens into credentials.
 *
 * What IAM reads (IAM user guide, "Create an OpenID Connect (OIDC) identity provider in IAM" and
 * "AssumeRoleWithWebIdentity"):
 * - the discovery document at `<issuer>/.well-known/openid-configuration`, whose `jwks_uri`
 *   gives the signing keys, fetched over https;
 * - a JWT signed RS256 by one of those keys (its `kid` in the header), with `iss` equal to the
 *   issuer, `aud` one of the provider's client ids (here `sts.amazonaws.com` unless the
 *   organization file says otherwise), `sub`, `exp` and `iat`;
 * - optionally `https://aws.amazon.com/tags` (session tags) and
 *   `https://aws.amazon.com/source_identity`.
 *
 * Written as text here (claims and the signing input); the RSA signature is made in
 * `app/federation/web-identity.ts`. Sources: OpenID Connect Discovery 1.0 §3 and §4, RFC 7519
 * (JWT), RFC 7515 (JWS compact serialisation), RFC 7517 (JWK), RFC 7638 (JWK thumbprint).
 */

/** The client id IAM OIDC providers for STS are usually made with. */
export const DEFAULT_OIDC_AUDIENCE = 'sts.amazonaws.com';
/** How long a token may be presented: STS is called at once, so a few minutes is plenty. */
export const WEB_IDENTITY_TOKEN_SECONDS = 300;
/** `nbf` is set this far back, so a server clock slightly ahead of AWS's is not refused. */
const CLOCK_ALLOWANCE_SECONDS = 60;

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/.well-known/jwks.json';

/** An RSA public key as a JWK (RFC 7517 §4, RFC 7518 §6.3.1). */
export interface RsaPublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
}

export interface PublishedJwk extends RsaPublicJwk {
  kid: string;
  use: 'sig';
  alg: 'RS256';
}

/** An IAM audience (client id): 1–255 printable characters without spaces. */
export function checkOidcAudience(value: string): string | undefined {
  return /^[\x21-\x7e]{1,255}$/.test(value)
    ? undefined
    : `OIDC audience "${value}" must be 1 to 255 printable characters without spaces (an IAM OIDC provider's client id)`;
}

/**
 * Whether `issuer` is one AWS can use: https. Plain http is accepted on a loopback host only,
 * where no AWS service can fetch anything and only a stand-in STS is met (development, tests).
 */
export function checkIssuer(issuer: string): string | undefined {
  const url = new URL(issuer);
  if (url.protocol === 'https:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return undefined;
  return `The server's public URL ${issuer} is not https, and AWS reads an OIDC issuer's keys over https only. Serve idcenter over https (--tls or a TLS proxy, with IDCENTER_PUBLIC_URL=https://…), or use SAML for this account (remove federation: oidc).`;
}

/** The discovery document (OpenID Connect Discovery 1.0 §3), as the fields IAM and verifiers read. */
export function discoveryDocument(issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'preferred_username'],
  };
}

export interface WebIdentityClaimsInput {
  issuer: string;
  audience: string;
  /** A stable identifier of the user (the user id). */
  subject: string;
  userName: string;
  /** Epoch milliseconds. */
  now: number;
  /** A fresh unique token id. */
  jti: string;
  principalTags?: Readonly<Record<string, string>>;
  sourceIdentity?: string;
}

/** The ID token's claims (RFC 7519 §4.1; AWS's session-tag and source-identity claims). */
export function webIdentityClaims(input: WebIdentityClaimsInput): Record<string, unknown> {
  const now = Math.floor(input.now / 1000);
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    sub: input.subject,
    aud: input.audience,
    iat: now,
    nbf: now - CLOCK_ALLOWANCE_SECONDS,
    exp: now + WEB_IDENTITY_TOKEN_SECONDS,
    jti: input.jti,
    preferred_username: input.userName,
  };
  const tags = Object.entries(input.principalTags ?? {});
  if (tags.length > 0) {
    claims['https://aws.amazon.com/tags'] = {
      principal_tags: Object.fromEntries(tags.map(([k, v]) => [k, [v]])),
    };
  }
  if (input.sourceIdentity !== undefined) {
    claims['https://aws.amazon.com/source_identity'] = input.sourceIdentity;
  }
  return claims;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** `base64url(header).base64url(claims)`: what RS256 signs (RFC 7515 §5.1). */
export function jwsSigningInput(kid: string, claims: Record<string, unknown>): string {
  const header = { alg: 'RS256', typ: 'JWT', kid };
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
}

/** The RFC 7638 thumbprint of an RSA key: the `kid` this server gives it. */
export function jwkThumbprintInput(jwk: RsaPublicJwk): string {
  // Required members only, in lexicographic order, no whitespace (RFC 7638 §3.2).
  return JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
}
