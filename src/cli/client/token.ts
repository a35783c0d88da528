/**
 * A usable SSO access token for a session or legacy start URL: the cached one while it has more
 * than 15 minutes left; otherwise refreshed (sso-session only) under a lock so that concurrent
 * CLIs spend the refresh token once; otherwise a clear "sign in again" error.
 */
import { CliError } from '../errors.ts';
import { loginHint, type SsoTarget } from './aws-config.ts';
import { type CachedToken, formatTimestamp, parseTimestamp, tokenCacheKey } from './cache.ts';
import type { ClientContext } from './context.ts';
import { endpointProfile, resolveEndpoint } from './endpoints.ts';
import { ServiceError } from './http.ts';
import { withFileLock } from './lock.ts';
import { OidcClient } from './oidc.ts';

/** botocore refreshes when less than this is left (docs/client-files.md, "Access tokens"). */
export const REFRESH_WINDOW_MS = 15 * 60_000;
/** An unrefreshed token is still used while it has at least this long left. */
export const MIN_VALIDITY_MS = 60_000;

export const EXIT_LOGIN = 255;

export class LoginRequiredError extends CliError {
  constructor(message: string) {
    super(message, EXIT_LOGIN);
    this.name = 'LoginRequiredError';
  }
}

export function targetName(t: SsoTarget): string {
  return t.sessionName ?? t.startUrl;
}

export function tokenExpiry(token: CachedToken): number {
  return parseTimestamp(token.expiresAt) ?? 0;
}

function canRefresh(token: CachedToken, now: number): boolean {
  if (!token.refreshToken || !token.clientId || !token.clientSecret) return false;
  const regExp =
    token.registrationExpiresAt === undefined ? undefined : parseTimestamp(token.registrationExpiresAt);
  return regExp === undefined || regExp > now;
}

/** Refresh with the cached refresh token; returns the token written to the cache. */
export async function refreshToken(
  ctx: ClientContext,
  target: SsoTarget,
  token: CachedToken,
): Promise<CachedToken> {
  const endpoint = resolveEndpoint('sso_oidc', target.region, {
    env: ctx.io.env,
    cfg: ctx.cfg,
    profile: endpointProfile(ctx.cfg, target),
  });
  const oidc = new OidcClient(ctx.http, endpoint.url);
  const now = ctx.io.now();
  const res = await oidc.createToken({
    grantType: 'refresh_token',
    clientId: token.clientId as string,
    clientSecret: token.clientSecret as string,
    refreshToken: token.refreshToken as string,
  });
  const next: CachedToken = {
    startUrl: target.startUrl,
    region: target.region,
    accessToken: res.accessToken,
    expiresAt: formatTimestamp(now + res.expiresIn * 1000),
    clientId: token.clientId as string,
    clientSecret: token.clientSecret as string,
  };
  if (token.registrationExpiresAt !== undefined) next.registrationExpiresAt = token.registrationExpiresAt;
  if (res.refreshToken) next.refreshToken = res.refreshToken;
  ctx.sso.writeToken(tokenCacheKey(target), next);
  return next;
}

export interface EnsureResult {
  token: CachedToken;
  refreshed: boolean;
}

/** A token with at least a minute left, refreshing it when it is in its last 15 minutes. */
export async function ensureToken(ctx: ClientContext, target: SsoTarget): Promise<EnsureResult> {
  const key = tokenCacheKey(target);
  const hint = loginHint(target);
  const token = ctx.sso.readToken(key);
  if (!token) {
    throw new LoginRequiredError(
      `Error loading SSO Token: Token for ${targetName(target)} does not exist. To sign in, run: ${hint}`,
    );
  }
  if (tokenExpiry(token) - ctx.io.now() > REFRESH_WINDOW_MS) return { token, refreshed: false };
  let failure = '';
  if (target.kind === 'session' && canRefresh(token, ctx.io.now())) {
    const outcome = await withFileLock(ctx.sso.file(key), ctx.io, async () => {
      // Another CLI may have refreshed while we waited for the lock.
      const current = ctx.sso.readToken(key);
      if (current && tokenExpiry(current) - ctx.io.now() > REFRESH_WINDOW_MS) return current;
      const source = current && canRefresh(current, ctx.io.now()) ? current : token;
      try {
        return await refreshToken(ctx, target, source);
      } catch (err) {
        if (err instanceof ServiceError) {
          failure = err.code;
          ctx.io.debug(`token refresh failed: ${err.message}`);
          return undefined;
        }
        throw err;
      }
    });
    if (outcome) return { token: outcome, refreshed: outcome !== token };
  } else if (target.kind === 'session') {
    failure = 'no usable refresh token';
  }
  if (tokenExpiry(token) - ctx.io.now() > MIN_VALIDITY_MS) return { token, refreshed: false };
  if (target.kind === 'legacy') {
    throw new LoginRequiredError(
      'The SSO session associated with this profile has expired or is otherwise invalid. ' +
        `To refresh this SSO session run: ${hint}`,
    );
  }
  throw new LoginRequiredError(
    `Error when retrieving token from sso: Token has expired and refresh failed${failure ? ` (${failure})` : ''}. ` +
      `To sign in again, run: ${hint}`,
  );
}
