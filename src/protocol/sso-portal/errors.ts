/**
 * SSO portal error table (docs/wire-protocols.md, "Portal API"): exception name, HTTP status and
 * the AWS message. Every error leaves through `sendRestJsonError` with the `x-amzn-ErrorType`
 * header.
 */
import type { FastifyReply } from 'fastify';
import { type DomainError, isDomainError } from '../../domain/errors.ts';
import { sendRestJsonError } from '../codecs/rest-json.ts';

export class PortalError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.name = 'PortalError';
    this.status = status;
    this.type = type;
  }
}

export const unauthorized = () =>
  new PortalError(401, 'UnauthorizedException', 'Session token not found or invalid');
export const invalidRequest = (message: string) => new PortalError(400, 'InvalidRequestException', message);

function fromDomain(err: DomainError): PortalError {
  switch (err.code) {
    case 'forbidden':
      return new PortalError(403, 'ForbiddenException', 'No access');
    case 'unauthorized':
    case 'expired_token':
      return unauthorized();
    case 'validation':
    case 'invalid_request':
      return invalidRequest(err.message);
    case 'not_found':
      return new PortalError(404, 'ResourceNotFoundException', err.message);
    case 'throttled':
      return new PortalError(429, 'TooManyRequestsException', err.message);
    // AWS refused a federated account's role (the message says what to fix).
    case 'access_denied':
      return new PortalError(403, 'ForbiddenException', err.message);
    // AWS STS unreachable or slow for a federated account.
    case 'unavailable':
      return new PortalError(503, 'InternalServerException', err.message);
    default:
      return new PortalError(500, 'InternalServerException', 'An internal error occurred');
  }
}

/** Any error as the portal error it leaves as; unknown errors become a generic 500, detail in the log. */
export function toPortalError(err: unknown, log: { error(obj: unknown, msg: string): void }): PortalError {
  let e: PortalError;
  if (err instanceof PortalError) e = err;
  else if (isDomainError(err)) e = fromDomain(err);
  else {
    const status = (err as { statusCode?: number })?.statusCode;
    if (status && status >= 400 && status < 500) {
      e =
        status === 413
          ? new PortalError(413, 'InvalidRequestException', 'The request is too large')
          : invalidRequest((err as Error).message);
    } else e = new PortalError(500, 'InternalServerException', 'An internal error occurred');
  }
  if (e.status >= 500) log.error({ err }, 'portal API request failed');
  return e;
}

/** The one catch point of the portal API (see `toPortalError`). */
export function sendPortalError(
  reply: FastifyReply,
  requestId: string,
  err: unknown,
  log: { error(obj: unknown, msg: string): void },
): FastifyReply {
  const e = toPortalError(err, log);
  return sendRestJsonError(reply, requestId, e.status, e.type, e.message);
}
