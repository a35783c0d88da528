/**
 * StartDeviceAuthorization — `POST /device_authorization` (docs/wire-protocols.md,
 * "StartDeviceAuthorization").
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient } from '../../app/auth/clients.ts';
import { startDeviceAuthorization as start } from '../../app/auth/device.ts';
import { DomainError } from '../../domain/errors.ts';
import { parseJsonBody, readString, requestMeta, sendJson } from './codec.ts';
import type { OidcContext } from './context.ts';

export async function startDeviceAuthorization(
  oidc: OidcContext,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const body = parseJsonBody(request);
  const clientId = readString(body, 'clientId', { required: true, max: 256 });
  const clientSecret = readString(body, 'clientSecret', { required: true, max: 1024 });
  const startUrl = readString(body, 'startUrl', { required: true, max: 2048 });
  const client = await authenticateClient(oidc.deps.ctx, clientId, clientSecret);
  if (!oidc.isAcceptedStartUrl(startUrl)) {
    throw new DomainError(
      'invalid_request',
      `startUrl is not the start URL of this instance (expected ${oidc.deps.config.startUrl} or a configured alias)`,
    );
  }
  const auth = await start(oidc.deps.ctx, client, requestMeta(request));
  const verificationUri = `${oidc.deps.config.publicUrl}/device`;
  return sendJson(reply, {
    deviceCode: auth.deviceCode,
    userCode: auth.userCode,
    verificationUri,
    verificationUriComplete: `${verificationUri}?user_code=${encodeURIComponent(auth.userCode)}`,
    expiresIn: auth.expiresIn,
    interval: auth.interval,
  });
}
