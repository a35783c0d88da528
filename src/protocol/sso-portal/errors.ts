/**
 * The SSO portal API's error catalog: every domain error code as the one restJson1 error it
 * leaves as, per operation — the HTTP status, the exception name the SSO service model gives the
 * operation (sent in `x-amzn-ErrorType` and `__type`) and the public message. A bearer token
 * that does not resolve, whatever the reason, is the same 401 UnauthorizedException; no access
 * to a role is 403 ForbiddenException "No access", which AWS sends although its model does not
 * list it. Every error leaves through `portalError`, and a 5xx never carries what went wrong
 * inside (that goes to the log).
 */
import type { FastifyReply } from 'fastify';
import { DomainError, type DomainErrorCode, isDomainError } from '../../domain/errors.ts';
import { awsJsonErrorBody, ERROR_TYPE_HEADER, sendAwsJsonError } from '../codecs/aws-json.ts';
import {
  type ErrorLog,
  fixedError,
  logWireError,
  ownMessageError,
  publicMessage,
  upstreamError,
  type WireError,
} from '../wire-error.ts';

export type PortalOperation = 'GetRoleCredentials' | 'ListAccounts' | 'ListAccountRoles' | 'Logout';

export const UNAUTHORIZED_MESSAGE = 'Session token not found or invalid';
export const INTERNAL_MESSAGE = 'An internal error occurred';

const INVALID_REQUEST = ownMessageError(400, 'InvalidRequestException');
const UNAUTHORIZED = fixedError(401, 'UnauthorizedException', UNAUTHORIZED_MESSAGE);
const NO_ACCESS = fixedError(403, 'ForbiddenException', 'No access');
const TOO_MANY_REQUESTS = ownMessageError(429, 'TooManyRequestsException');
export const PORTAL_INTERNAL = fixedError(500, 'InternalServerException', INTERNAL_MESSAGE);

/** The catalog of the operations that list (and of the idcenter discovery extension). */
export const PORTAL_ERRORS = {
  validation: INVALID_REQUEST,
  invalid_request: INVALID_REQUEST,
  invalid_client_metadata: INVALID_REQUEST,
  invalid_redirect_uri: INVALID_REQUEST,
  invalid_scope: INVALID_REQUEST,
  unsupported_grant_type: INVALID_REQUEST,
  conflict: INVALID_REQUEST,
  directory_owned: INVALID_REQUEST,
  not_found: ownMessageError(404, 'ResourceNotFoundException'),
  // Whatever is wrong with the token or its sign-in, the answer does not say which.
  unauthorized: UNAUTHORIZED,
  expired_token: UNAUTHORIZED,
  invalid_client: UNAUTHORIZED,
  invalid_grant: UNAUTHORIZED,
  unauthorized_client: UNAUTHORIZED,
  authorization_pending: UNAUTHORIZED,
  // A user locked out after failed sign-ins is told so (the message says until when).
  locked_out: ownMessageError(401, 'UnauthorizedException'),
  forbidden: NO_ACCESS,
  // AWS refused a federated account's role: the message says which role and what to fix.
  access_denied: ownMessageError(403, 'ForbiddenException'),
  throttled: TOO_MANY_REQUESTS,
  slow_down: TOO_MANY_REQUESTS,
  // AWS STS unreachable or slow for a federated account: the message names the endpoint.
  unavailable: upstreamError(503, 'ServiceUnavailableException'),
  internal: PORTAL_INTERNAL,
} satisfies Record<DomainErrorCode, WireError>;

/** Each operation's catalog: Logout has no ResourceNotFoundException in the model. */
export const PORTAL_CATALOGS: Record<PortalOperation, Record<DomainErrorCode, WireError>> = {
  GetRoleCredentials: PORTAL_ERRORS,
  ListAccounts: PORTAL_ERRORS,
  ListAccountRoles: PORTAL_ERRORS,
  Logout: { ...PORTAL_ERRORS, not_found: UNAUTHORIZED },
};

/** The operation served at a route path, if any (the others use the listing catalog). */
export function portalOperationOf(path: string | undefined): PortalOperation | undefined {
  switch (path) {
    case '/federation/credentials':
      return 'GetRoleCredentials';
    case '/assignment/accounts':
      return 'ListAccounts';
    case '/assignment/roles':
      return 'ListAccountRoles';
    case '/logout':
      return 'Logout';
    default:
      return undefined;
  }
}

export const unauthorized = () => new DomainError('unauthorized', UNAUTHORIZED_MESSAGE);
export const invalidRequest = (message: string) => new DomainError('invalid_request', message);

/**
 * Any error as a domain error: a domain error as it is, one Fastify raised for an unreadable
 * request (4xx) as invalid_request, anything else as internal (its text stays in the log).
 */
function asDomainError(err: unknown): DomainError {
  if (isDomainError(err)) return err;
  const status = (err as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return invalidRequest(status === 413 ? 'The request is too large' : String((err as Error).message));
  }
  return new DomainError('internal', INTERNAL_MESSAGE, { cause: err });
}

/** An error as it leaves: status, exception name and public message. */
export interface PortalFailure {
  status: number;
  type: string;
  message: string;
}

/** Any error as the portal error it leaves as, logged when it is ours or has private detail. */
export function portalError(err: unknown, log: ErrorLog, operation?: PortalOperation): PortalFailure {
  const domain = asDomainError(err);
  const wire = (operation ? PORTAL_CATALOGS[operation] : PORTAL_ERRORS)[domain.code];
  logWireError(log, wire, err, 'portal API request');
  return { status: wire.status, type: wire.code, message: publicMessage(wire, domain) };
}

/** The headers and body of a portal error answer (the transport adds the request id). */
export function portalErrorAnswer(f: PortalFailure): { headers: Record<string, string>; body: string } {
  return { headers: { [ERROR_TYPE_HEADER]: f.type }, body: awsJsonErrorBody('restJson1', f.type, f.message) };
}

/** The one catch point of the portal API's Fastify routes (see `portalError`). */
export function sendPortalError(
  reply: FastifyReply,
  err: unknown,
  log: ErrorLog,
  operation?: PortalOperation,
): FastifyReply {
  const f = portalError(err, log, operation);
  return sendAwsJsonError(reply, 'restJson1', f.status, f.type, f.message);
}
