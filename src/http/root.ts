/**
 * `POST /` and `GET /` carry several AWS services on one origin (wire-protocols §1.3):
 * a JSON body with `X-Amz-Target` is awsJson1_1 (identitystore, sso-admin, organizations);
 * a form body or query with `Action=` is STS (awsQuery). `GET /` without `Action` is a person
 * in a browser: send them to the access portal.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createStsHandler, type StsAnswerer } from '../protocol/sts/handler.ts';
import { pathPrefix, webPath } from '../web/paths.ts';
import type { ServerDeps } from './deps.ts';

function sendAwsJsonError(
  reply: FastifyReply,
  requestId: string,
  type: string,
  message: string,
): FastifyReply {
  return reply
    .code(400)
    .header('x-amzn-RequestId', requestId)
    .header('x-amzn-ErrorType', type)
    .type('application/x-amz-json-1.1')
    .send(JSON.stringify({ __type: type, Message: message, message }));
}

/** The root routes; STS calls are answered by the server's one `StsAnswerer`. */
export async function registerRoot(
  app: FastifyInstance,
  deps: ServerDeps,
  stsAnswerer: StsAnswerer,
): Promise<void> {
  const sts = await createStsHandler(app, stsAnswerer);
  const portal = webPath(pathPrefix(deps.config.publicUrl), '/start');

  const dispatch = async (request: FastifyRequest, reply: FastifyReply) => {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.length > 0) {
      // Only a plain `Service.Operation` is named back; other header bytes are not echoed.
      if (!/^[\w.-]{1,256}$/.test(target)) {
        return sendAwsJsonError(
          reply,
          request.id,
          'UnknownOperationException',
          'The X-Amz-Target header does not name an operation',
        );
      }
      const [prefix, operation] = target.split('.');
      return sendAwsJsonError(
        reply,
        request.id,
        'UnknownOperationException',
        `${operation ?? target} of ${prefix} is not supported by this server`,
      );
    }
    if (request.method === 'GET' && !/[?&]Action=/.test(request.url)) {
      return reply.redirect(portal, 302);
    }
    return sts(request, reply);
  };
  app.post('/', dispatch);
  app.get('/', dispatch);
}
