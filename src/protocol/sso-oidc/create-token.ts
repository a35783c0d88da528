/**
 * CreateToken — `POST /token` (docs/wire-protocols.md, "CreateToken"): the device_code,
 * refresh_token and authorization_code grants, as named steps: read the body, authenticate the
 * client, run the grant, answer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient } from '../../app/auth/clients.ts';
import { redeemAuthCode } from '../../app/auth/codes.ts';
import { redeemDeviceCode } from '../../app/auth/device.ts';
import type { TokenResult } from '../../app/auth/issue.ts';
import { refreshTokens } from '../../app/auth/refresh.ts';
import { GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN } from '../../domain/auth/oauth.ts';
import { DomainError } from '../../domain/errors.ts';
import { parseJsonBody, readString, requestMeta, sendJson } from './codec.ts';
import type { OidcContext } from './context.ts';
import { OIDC_ERRORS, sendOidcError } from './errors.ts';

const TOKEN_MAX = 4096;

export async function createToken(oidc: OidcContext, request: FastifyRequest, reply: FastifyReply) {
  const body = parseJsonBody(request);
  const clientId = readString(body, 'clientId', { required: true, max: 256 });
  const clientSecret = readString(body, 'clientSecret', { required: true, max: 1024 });
  const grantType = readString(body, 'grantType', { required: true, max: 256 });
  if (
    grantType !== GRANT_DEVICE_CODE &&
    grantType !== GRANT_REFRESH_TOKEN &&
    grantType !== GRANT_AUTHORIZATION_CODE
  ) {
    throw new DomainError('unsupported_grant_type', `Unsupported grant type: ${grantType.slice(0, 100)}`);
  }
  // Read every member of the grant before touching the store: malformed input changes nothing.
  const deviceCode =
    grantType === GRANT_DEVICE_CODE ? readString(body, 'deviceCode', { required: true, max: TOKEN_MAX }) : '';
  const refreshToken =
    grantType === GRANT_REFRESH_TOKEN
      ? readString(body, 'refreshToken', { required: true, max: TOKEN_MAX })
      : '';
  const code =
    grantType === GRANT_AUTHORIZATION_CODE
      ? readString(body, 'code', { required: true, max: TOKEN_MAX })
      : '';
  const redirectUri = readString(body, 'redirectUri', { max: 2048 });
  const codeVerifier = readString(body, 'codeVerifier', { max: 1024 });

  const ctx = oidc.deps.ctx;
  const client = await authenticateClient(ctx, clientId, clientSecret);
  const meta = requestMeta(request);
  let result: TokenResult;
  if (grantType === GRANT_DEVICE_CODE) {
    const polled = await redeemDeviceCode(ctx, client, deviceCode, oidc.settings, meta);
    if ('kind' in polled) return sendOidcError(reply, OIDC_ERRORS[polled.code], polled.message);
    result = polled;
  } else if (grantType === GRANT_REFRESH_TOKEN) {
    result = await refreshTokens(ctx, client, refreshToken, oidc.settings, meta);
  } else {
    result = await redeemAuthCode(ctx, client, { code, redirectUri, codeVerifier }, oidc.settings, meta);
  }
  return sendJson(reply, { ...result });
}
