/**
 * SSO portal API (restJson1, docs/wire-protocols.md, "Portal API") and the idcenter extensions
 * (discovery, one-time console links). Unsigned; the OIDC access token travels in `x-amz-sso_bearer_token`. One catch point
 * turns every error, even an unparseable request, into the portal's JSON error with its header; a
 * query parameter that is not UTF-8 text, or has a control character, is 400
 * InvalidRequestException before any operation runs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedAccessToken } from '../../app/auth/resolved-token.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { logOutToken } from '../../app/sessions.ts';
import { sendRestJson } from '../codecs/aws-json.ts';
import { formFaultMessage, queryFault } from '../codecs/form.ts';
import { rawBodies } from '../raw-body.ts';
import { sendRequestIds } from '../request-id.ts';
import { authenticate, BEARER_HEADER } from './auth.ts';
import { CONSOLE_LINK_PATH, createConsoleLinkOperation } from './console-link.ts';
import { DISCOVERY_PATH, discoverAccess, etagMatches } from './discovery.ts';
import { invalidRequest, type PortalOperation, portalOperationOf, sendPortalError } from './errors.ts';
import { answerGetRoleCredentials } from './get-role-credentials.ts';
import { listAccountRoles } from './list-account-roles.ts';
import { listAccounts } from './list-accounts.ts';

type Operation = (request: FastifyRequest, reply: FastifyReply, who: ResolvedAccessToken) => Promise<unknown>;

export async function registerSsoPortal(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const { ctx } = deps;

  rawBodies(app);
  sendRequestIds(app);
  app.setErrorHandler((err, request, reply) =>
    sendPortalError(reply, err, request.log, portalOperationOf(request.routeOptions.url)),
  );
  // Every query parameter must be UTF-8 text without control characters before any operation
  // reads it (the fast path's GetRoleCredentials takes only unencoded queries, which always are).
  app.addHook('preHandler', (request, _reply, done) => {
    const fault = queryFault(request.url);
    done(fault ? invalidRequest(formFaultMessage(fault, 'parameter')) : undefined);
  });

  /** Authenticate, run, and send the JSON result (or the portal error, from `name`'s catalog). */
  const operation =
    (name: PortalOperation | undefined, run: Operation) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const who = await authenticate(ctx, request);
        const result = await run(request, reply, who);
        if (reply.sent) return reply;
        return sendRestJson(reply, result ?? {});
      } catch (err) {
        return sendPortalError(reply, err, request.log, name);
      }
    };

  app.get(
    '/assignment/accounts',
    operation('ListAccounts', (request, _reply, who) => listAccounts(ctx, who.userId, request.query)),
  );
  app.get(
    '/assignment/roles',
    operation('ListAccountRoles', (request, _reply, who) => listAccountRoles(ctx, who.userId, request.query)),
  );
  // Most requests of this operation are answered by the server's fast path (`http/fast-path.ts`)
  // through the same `answerGetRoleCredentials`; this route takes the rest.
  app.get('/federation/credentials', async (request, reply) => {
    const answer = await answerGetRoleCredentials(deps, {
      bearer: request.headers[BEARER_HEADER],
      query: request.query,
      ip: request.ip,
      log: request.log,
    });
    return reply.code(answer.status).headers(answer.headers).type('application/json').send(answer.body);
  });
  app.post(
    '/logout',
    operation('Logout', async (request, _reply, who) => {
      await logOutToken(ctx, who, { sourceIp: request.ip, requestId: request.id });
      return {};
    }),
  );

  app.post(
    CONSOLE_LINK_PATH,
    operation(undefined, async (request, reply, who) => {
      reply.header('cache-control', 'no-store');
      return createConsoleLinkOperation(deps, request, who);
    }),
  );

  app.get(
    DISCOVERY_PATH,
    operation(undefined, async (request, reply, who) => {
      const { body, etag } = await discoverAccess(ctx, who.userId);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      const inm = request.headers['if-none-match'];
      if (etagMatches(typeof inm === 'string' ? inm : undefined, etag)) return reply.code(304).send();
      return reply.code(200).type('application/json').send(body);
    }),
  );
}
