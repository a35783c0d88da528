/**
 * `POST /` and `GET /` carry several AWS services on one origin (docs/wire-protocols.md,
 * "Services on one origin"): a JSON body with `X-Amz-Target` is awsJson1_1 (identitystore,
 * sso-admin, organizations); a form body or query with `Action=` is STS (awsQuery). `GET /` without
 * `Action` is a person in a browser: send them to the access portal.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerDeps } from '../app/server-deps.ts';
import { type AdminAnswerer, createAdminHandler } from '../protocol/admin/handler.ts';
import { adminTarget } from '../protocol/admin/services.ts';
import { sendAwsJsonError } from '../protocol/codecs/aws-json.ts';
import { rawBodies } from '../protocol/raw-body.ts';
import { sendRequestIds } from '../protocol/request-id.ts';
import { createStsHandler, type StsAnswerer } from '../protocol/sts/handler.ts';
import { pathPrefix, webPath } from '../web/paths.ts';

/** An operation of an awsJson1_1 service (identitystore, sso-admin…) this server does not serve. */
function unknownOperation(reply: FastifyReply, message: string): FastifyReply {
  return sendAwsJsonError(reply, 'awsJson1_1', 400, 'UnknownOperationException', message);
}

/**
 * The root routes; STS calls are answered by the server's one `StsAnswerer`, admin calls by its
 * one `AdminAnswerer` (the fast path answers through the same two).
 */
export async function registerRoot(
  app: FastifyInstance,
  deps: ServerDeps,
  stsAnswerer: StsAnswerer,
  adminAnswerer: AdminAnswerer,
): Promise<void> {
  // STS verifies the signature over the body's bytes, then reads its form (`protocol/sts/handler.ts`).
  rawBodies(app);
  sendRequestIds(app);
  const sts = await createStsHandler(app, stsAnswerer);
  const portal = webPath(pathPrefix(deps.config.publicUrl), '/start');
  const admin = createAdminHandler(adminAnswerer);

  const dispatch = async (request: FastifyRequest, reply: FastifyReply) => {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.length > 0) {
      // Only a plain `Service.Operation` is named back; other header bytes are not echoed.
      const named = adminTarget(target);
      if (!named) return unknownOperation(reply, 'The X-Amz-Target header does not name an operation');
      const { prefix, operation, service } = named;
      if (service) return admin(request, reply, service, operation);
      return unknownOperation(reply, `${operation || target} of ${prefix} is not supported by this server`);
    }
    if (request.method === 'GET' && !/[?&]Action=/.test(request.url)) {
      return reply.redirect(portal, 302);
    }
    return sts(request, reply);
  };
  app.post('/', dispatch);
  app.get('/', dispatch);
}
