/**
 * idcenter extension: a one-time console sign-in link for the command line —
 * `POST /idcenter/v1/console` with the portal API's bearer header and a JSON body
 * `{"accountId": "…", "roleName": "…", "destination": "…"}` (destination optional). The answer is
 * `{"url": "<public URL>/start/console?code=…", "expiresAt": <epoch ms>}`: a browser that opens
 * the URL within a minute is signed in to the AWS Management Console as that role, once
 * (`app/federation/console.ts`). Refusals are the portal's errors: 403 ForbiddenException "No
 * access", 400 InvalidRequestException saying why (a local account, OIDC federation, a
 * destination off the console host, a missing user attribute). A bearer token in a header is
 * not something another site can make a browser send, so the call needs no CSRF token.
 */
import type { FastifyRequest } from 'fastify';
import type { ResolvedAccessToken } from '../../app/auth/resolved-token.ts';
import { createConsoleLink } from '../../app/federation/console.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { decodeUtf8, faultMessage, textFault } from '../../domain/wire-text.ts';
import { invalidRequest } from './errors.ts';

export const CONSOLE_LINK_PATH = '/idcenter/v1/console';

const MAX_BODY = 8192;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,32}$/;

/** The request body's fields, or the InvalidRequestException that says what is wrong. */
function parseBody(request: FastifyRequest): { accountId: string; roleName: string; destination?: string } {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (type !== 'application/json')
    throw invalidRequest('The request must be JSON (content-type application/json)');
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) throw invalidRequest('The request body is empty');
  if (body.length > MAX_BODY) throw invalidRequest('The request body is too large');
  const text = decodeUtf8(body);
  if (text === undefined) throw invalidRequest('The request body is not valid UTF-8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalidRequest('The request body is not valid JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalidRequest('The request body must be a JSON object');
  }
  const { accountId, roleName, destination } = data as Record<string, unknown>;
  for (const [name, value] of [
    ['accountId', accountId],
    ['roleName', roleName],
    ['destination', destination],
  ] as const) {
    const fault = typeof value === 'string' ? textFault(value) : undefined;
    if (fault) throw invalidRequest(faultMessage(name, fault));
  }
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) {
    throw invalidRequest('accountId must be a 12-digit account ID');
  }
  if (typeof roleName !== 'string' || !ROLE_NAME.test(roleName)) {
    throw invalidRequest('roleName must be a permission-set name (1-32 characters of [\\w+=,.@-])');
  }
  if (destination !== undefined && (typeof destination !== 'string' || destination === '')) {
    throw invalidRequest('destination must be a console URL when given');
  }
  return { accountId, roleName, ...(destination === undefined ? {} : { destination }) };
}

export async function createConsoleLinkOperation(
  deps: ServerDeps,
  request: FastifyRequest,
  who: ResolvedAccessToken,
): Promise<{ url: string; expiresAt: number }> {
  const input = parseBody(request);
  const link = await createConsoleLink(deps, {
    userId: who.userId,
    userName: who.userName,
    accountId: input.accountId,
    roleName: input.roleName,
    destination: input.destination,
    sessionId: who.sessionId,
    familyId: who.familyId,
    sourceIp: request.ip ?? null,
  });
  const url = `${deps.config.publicUrl}/start/console?${new URLSearchParams({ code: link.code }).toString()}`;
  return { url, expiresAt: link.expiresAt };
}
