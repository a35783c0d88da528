/**
 * The portal API's only authentication: the OIDC access token in `x-amz-sso_bearer_token`
 * (docs/wire-protocols.md, "Portal API"). Missing, unknown, expired, logged-out and revoked tokens,
 * and tokens of disabled users, are all the same 401 UnauthorizedException.
 */
import type { FastifyRequest } from 'fastify';
import type { ResolvedAccessToken } from '../../app/auth/resolved-token.ts';
import { resolveAccessToken } from '../../app/auth/tokens.ts';
import type { AppContext } from '../../app/context.ts';
import { unauthorized } from './errors.ts';

export const BEARER_HEADER = 'x-amz-sso_bearer_token';

export async function authenticate(ctx: AppContext, request: FastifyRequest): Promise<ResolvedAccessToken> {
  return authenticateBearer(ctx, request.headers[BEARER_HEADER]);
}

/**
 * The identity behind the bearer header's value (a repeated header is refused). `receivedAt`:
 * when the request arrived (`performance.now()`), see `Store.generation`.
 */
export async function authenticateBearer(
  ctx: AppContext,
  token: unknown,
  receivedAt?: number,
): Promise<ResolvedAccessToken> {
  if (typeof token !== 'string' || token.length === 0) throw unauthorized();
  const resolved = await resolveAccessToken(ctx, token, receivedAt);
  if (!resolved) throw unauthorized();
  return resolved;
}
