/**
 * The one error codec of the AWS JSON protocols: restJson1 (the SSO portal API) and awsJson1_1
 * (operations named by `X-Amz-Target` on `POST /`). An error carries its code in the
 * `x-amzn-ErrorType` header and in the body's `__type`, its text in the body's `message`:
 * botocore's restJson parser reads the header first, its awsJson parser `__type`, and both
 * read `message` (or `Message`); the JS SDK reads the same. awsJson1_1 bodies repeat the text as
 * `Message`, which older awsJson clients read. Successful restJson1 answers are plain JSON.
 * The request id header is set once per plugin (`protocol/request-id.ts`), not here.
 */
import type { FastifyReply } from 'fastify';

export type AwsJsonProtocol = 'restJson1' | 'awsJson1_1';

const CONTENT_TYPE: Record<AwsJsonProtocol, string> = {
  restJson1: 'application/json',
  awsJson1_1: 'application/x-amz-json-1.1',
};

/** The header that names the error. */
export const ERROR_TYPE_HEADER = 'x-amzn-ErrorType';

/** The body of an error (sent with `x-amzn-ErrorType: <type>`). */
export function awsJsonErrorBody(protocol: AwsJsonProtocol, type: string, message: string): string {
  return protocol === 'awsJson1_1'
    ? JSON.stringify({ __type: type, Message: message, message })
    : JSON.stringify({ __type: type, message });
}

export function sendAwsJsonError(
  reply: FastifyReply,
  protocol: AwsJsonProtocol,
  status: number,
  type: string,
  message: string,
): FastifyReply {
  return reply
    .code(status)
    .header(ERROR_TYPE_HEADER, type)
    .type(CONTENT_TYPE[protocol])
    .send(awsJsonErrorBody(protocol, type, message));
}

/** A successful restJson1 answer. */
export function sendRestJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).type(CONTENT_TYPE.restJson1).send(JSON.stringify(body));
}
