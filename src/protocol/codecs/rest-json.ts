/**
 * restJson1 framing for the SSO portal API (docs/wire-protocols.md, "Error envelopes",
 * "restJson1 errors"): JSON bodies, the request id in `x-amzn-RequestId`, and errors that carry
 * their exception name in the `x-amzn-ErrorType` header (what both SDKs read first) and in the
 * body's `__type`, with the text in `message`.
 */
import type { FastifyReply } from 'fastify';

export function sendRestJson(
  reply: FastifyReply,
  requestId: string,
  body: unknown,
  status = 200,
): FastifyReply {
  return reply
    .code(status)
    .header('x-amzn-RequestId', requestId)
    .type('application/json')
    .send(JSON.stringify(body));
}

/** The body of an error (sent with `x-amzn-ErrorType: <type>`). */
export function restJsonErrorBody(type: string, message: string): string {
  return JSON.stringify({ __type: type, message });
}

export function sendRestJsonError(
  reply: FastifyReply,
  requestId: string,
  status: number,
  type: string,
  message: string,
): FastifyReply {
  return reply
    .code(status)
    .header('x-amzn-RequestId', requestId)
    .header('x-amzn-ErrorType', type)
    .type('application/json')
    .send(restJsonErrorBody(type, message));
}
