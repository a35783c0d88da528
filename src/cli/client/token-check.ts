/**
 * Whether a cached SSO token still works, asked of the server that issued it. A token's
 * `expiresAt` says nothing of a revoked session: an administrator's `sessions revoke` or the
 * person's own sign-out elsewhere ends it at once, and trusting the file then tells the person
 * "Already signed in" while every call fails.
 */
import type { SsoTarget } from './aws-config.ts';
import type { CachedToken } from './cache.ts';
import type { ClientContext } from './context.ts';
import { endpointProfile, resolveEndpoint } from './endpoints.ts';
import { PortalClient } from './portal.ts';

/** `accepted` and `rejected` are the server's word; `unknown` when it could not be asked. */
export type TokenCheck = 'accepted' | 'rejected' | 'unknown';

export async function checkTokenWithServer(
  ctx: ClientContext,
  target: SsoTarget,
  token: CachedToken,
): Promise<TokenCheck> {
  const endpoint = resolveEndpoint('sso', target.region || String(token.region ?? ''), {
    env: ctx.io.env,
    cfg: ctx.cfg,
    profile: endpointProfile(ctx.cfg, target),
  });
  try {
    return (await new PortalClient(ctx.http, endpoint.url, token.accessToken).acceptsToken())
      ? 'accepted'
      : 'rejected';
  } catch (err) {
    ctx.io.debug(`could not check the token at ${endpoint.url}: ${(err as Error).message}`);
    return 'unknown';
  }
}
