/**
 * The OAuth 2.0 vocabulary of SSO OIDC and the lifetimes we chose (docs/behaviour.md,
 * "Lifetimes and limits").
 */

export const GRANT_DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
export const GRANT_REFRESH_TOKEN = 'refresh_token';
export const GRANT_AUTHORIZATION_CODE = 'authorization_code';

export const KNOWN_GRANT_TYPES: readonly string[] = [
  GRANT_DEVICE_CODE,
  GRANT_REFRESH_TOKEN,
  GRANT_AUTHORIZATION_CODE,
];

/**
 * What a client registered without `grantTypes` may use: the device flow (docs/wire-protocols.md,
 * "RegisterClient").
 */
export const DEFAULT_GRANT_TYPES: readonly string[] = [GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN];

/** Scopes this server understands; `sso:account:access` is what every AWS CLI/SDK asks for. */
export const KNOWN_SCOPES: readonly string[] = ['sso:account:access'];

export const CLIENT_SECRET_TTL_MS = 90 * 86400_000;
export const DEVICE_CODE_TTL_MS = 600_000;
/** RFC 8628 §3.2 default polling interval, seconds. */
export const DEVICE_POLL_INTERVAL_S = 5;
/** RFC 8628 §3.5: each slow_down adds 5 s to the interval. */
export const SLOW_DOWN_INCREMENT_S = 5;
/** Leeway for network jitter between two polls before slow_down is answered. */
export const POLL_JITTER_MS = 500;
export const AUTH_CODE_TTL_MS = 60_000;
/** A refresh token used again within this time after its rotation is refused without alarm. */
export const REFRESH_REUSE_GRACE_MS = 30_000;

export function hasGrant(grantTypes: readonly string[], grant: string): boolean {
  return grantTypes.includes(grant);
}
