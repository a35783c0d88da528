/** RegisterClient — `POST /client/register` (docs/wire-protocols.md, "RegisterClient"). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { registerClient as register } from '../../app/auth/clients.ts';
import { parseJsonBody, readString, readStringList, requestMeta, sendJson } from './codec.ts';
import type { OidcContext } from './context.ts';

export async function registerClient(oidc: OidcContext, request: FastifyRequest, reply: FastifyReply) {
  const body = parseJsonBody(request);
  const clientName = readString(body, 'clientName', {
    required: true,
    max: 256,
    controls: 'invalid_client_metadata',
  });
  const clientType = readString(body, 'clientType', { required: true, max: 64 });
  const scopes = readStringList(body, 'scopes', { maxItems: 50, maxLength: 256 });
  const grantTypes = readStringList(body, 'grantTypes', { maxItems: 10, maxLength: 128 });
  const redirectUris = readStringList(body, 'redirectUris', { maxItems: 50, maxLength: 2048 });
  const issuerUrl = readString(body, 'issuerUrl', { max: 2048 });
  const { client, clientSecret } = await register(
    oidc.deps.ctx,
    { clientName, clientType, scopes, grantTypes, redirectUris, issuerUrl },
    oidc.isAcceptedStartUrl,
    requestMeta(request),
  );
  return sendJson(reply, {
    clientId: client.id,
    clientSecret,
    clientIdIssuedAt: Math.floor(client.issuedAt / 1000),
    clientSecretExpiresAt: Math.floor(client.expiresAt / 1000),
    authorizationEndpoint: `${oidc.origin}/authorize`,
    tokenEndpoint: `${oidc.deps.config.publicUrl}/token`,
  });
}
