/**
 * `POST /start/credentials`: the "Access keys" dialog asks for role credentials for one account
 * and permission set. JSON in and out, the session cookie for who, the `x-csrf-token` header
 * against cross-site requests. The credentials come from `vendRoleCredentials`, the same
 * vending (and the same audit event) as the portal API's GetRoleCredentials; a person who is
 * not assigned the pair gets 403 and nothing is minted.
 *
 * Credentials of a `local` account work only against this server, so the answer also names this
 * server's STS endpoint and region, which the dialog adds to every option it shows, so that what
 * a person copies works as pasted. A federated (`aws`) account's are real AWS credentials: no
 * endpoint.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { vendRoleCredentials } from '../../app/credentials/vend.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { isDomainError } from '../../domain/errors.ts';
import { decodeUtf8, faultMessage, textFault } from '../../domain/wire-text.ts';
import { verifyCsrf } from '../csrf.ts';
import { currentSession } from '../session.ts';

/** Largest request body accepted (the real one is under 100 bytes). */
export const MAX_CREDENTIALS_BODY = 4096;

const ACCOUNT_ID = /^\d{12}$/;
/** Permission-set names (sso-admin model: `[\w+=,.@-]+`, 1..32). */
const ROLE_NAME = /^[\w+=,.@-]{1,32}$/;

export interface CredentialsRequest {
  accountId: string;
  roleName: string;
}

/** The request body, or a message saying what is wrong with it. */
export function parseCredentialsRequest(request: FastifyRequest): CredentialsRequest | string {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (type !== 'application/json') return 'The request must be JSON (content-type application/json).';
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) return 'The request body is empty.';
  if (body.length > MAX_CREDENTIALS_BODY) return 'The request body is too large.';
  // Bytes that are not UTF-8 would become U+FFFD in toString(): refuse them instead.
  const text = decodeUtf8(body);
  if (text === undefined) return 'The request body is not valid UTF-8.';
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return 'The request body is not valid JSON.';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return 'The request body must be a JSON object.';
  const { accountId, roleName } = data as Record<string, unknown>;
  for (const [name, value] of [
    ['accountId', accountId],
    ['roleName', roleName],
  ] as const) {
    const fault = typeof value === 'string' ? textFault(value) : undefined;
    if (fault) return `${faultMessage(name, fault)}.`;
  }
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId))
    return 'accountId must be a 12-digit account ID.';
  if (typeof roleName !== 'string' || !ROLE_NAME.test(roleName))
    return 'roleName must be a permission set name (1 to 32 letters, digits or +=,.@_-).';
  return { accountId, roleName };
}

function fail(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json').send({ message });
}

export async function handleCredentials(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ServerDeps,
): Promise<FastifyReply> {
  // Read before the session is checked: vending confirms nothing ended since (`vend.ts`).
  const since = await deps.ctx.store.generation();
  const session = await currentSession(request, deps);
  if (!session) return fail(reply, 401, 'You are not signed in, or your session has ended. Sign in again.');
  if (!verifyCsrf(request, session))
    return fail(
      reply,
      403,
      'This request did not come from your current portal page. Reload the page and try again.',
    );
  const input = parseCredentialsRequest(request);
  if (typeof input === 'string') return fail(reply, 400, input);
  try {
    const c = await vendRoleCredentials(deps, {
      userId: session.userId,
      userName: session.userName,
      accountId: input.accountId,
      roleName: input.roleName,
      sessionId: session.sessionId,
      familyId: null,
      sourceIp: request.ip ?? null,
      channel: 'portal',
      since,
    });
    return reply
      .header('cache-control', 'no-store')
      .type('application/json')
      .send({
        accountId: input.accountId,
        roleName: input.roleName,
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
        expiration: c.expiration,
        access: c.access,
        ...(c.access === 'local' ? { stsEndpoint: deps.config.publicUrl, region: deps.config.region } : {}),
      });
  } catch (err) {
    if (isDomainError(err, 'forbidden')) return fail(reply, 403, 'No access');
    throw err;
  }
}
