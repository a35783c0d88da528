/**
 * STS (awsQuery in, XML out). Placeholder until credential vending lands: every action answers
 * InvalidAction in the STS error XML.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerDeps } from '../../http/deps.ts';

export type StsHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

export async function createStsHandler(_app: FastifyInstance, _deps: ServerDeps): Promise<StsHandler> {
  return async (request, reply) =>
    reply
      .code(400)
      .type('text/xml')
      .send(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation</Message></Error><RequestId>${request.id}</RequestId></ErrorResponse>`,
      );
}
