/**
 * `x-amzn-RequestId` on every answer of an AWS protocol plugin (SSO OIDC, the portal API, STS
 * and the awsJson answers of `POST /`), set in one place: AWS SDKs read the request id from it
 * and show it with every error. Fastify sends the name in lower case, as it does every header;
 * clients read names without regard to case. The server's fast path (`http/fast-path.ts`) answers
 * without Fastify and sets it itself.
 */
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-amzn-RequestId';

/** Add the request id header to every answer sent from `app`'s plugin scope. */
export function sendRequestIds(app: FastifyInstance): void {
  // Callback style: an async hook costs a promise per request.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done(null, payload);
  });
}
