/**
 * The one error table of SSO OIDC (docs/wire-protocols.md, "SSO OIDC errors", "CreateToken"):
 * domain code → exception name (sent in `x-amzn-ErrorType`, which both SDKs read first), HTTP
 * status, and the OAuth `error` member. Bodies carry `error` and `error_description` only, as AWS
 * sends them.
 */
import type { FastifyReply } from 'fastify';
import type { DomainErrorCode } from '../../domain/errors.ts';
import { ERROR_TYPE_HEADER } from '../codecs/aws-json.ts';

export interface OidcErrorShape {
  exception: string;
  status: number;
  error: string;
}

const E = (exception: string, status: number, error: string): OidcErrorShape => ({
  exception,
  status,
  error,
});

export const INVALID_REQUEST = E('InvalidRequestException', 400, 'invalid_request');
export const INTERNAL = E('InternalServerException', 500, 'server_error');

export const OIDC_ERRORS: Record<DomainErrorCode, OidcErrorShape> = {
  invalid_request: INVALID_REQUEST,
  validation: INVALID_REQUEST,
  not_found: INVALID_REQUEST,
  conflict: INVALID_REQUEST,
  directory_owned: INVALID_REQUEST,
  invalid_client: E('InvalidClientException', 401, 'invalid_client'),
  unauthorized: E('InvalidClientException', 401, 'invalid_client'),
  invalid_client_metadata: E('InvalidClientMetadataException', 400, 'invalid_client_metadata'),
  invalid_redirect_uri: E('InvalidRedirectUriException', 400, 'invalid_redirect_uri'),
  invalid_scope: E('InvalidScopeException', 400, 'invalid_scope'),
  invalid_grant: E('InvalidGrantException', 400, 'invalid_grant'),
  unauthorized_client: E('UnauthorizedClientException', 400, 'unauthorized_client'),
  unsupported_grant_type: E('UnsupportedGrantTypeException', 400, 'unsupported_grant_type'),
  authorization_pending: E('AuthorizationPendingException', 400, 'authorization_pending'),
  slow_down: E('SlowDownException', 400, 'slow_down'),
  throttled: E('SlowDownException', 400, 'slow_down'),
  expired_token: E('ExpiredTokenException', 400, 'expired_token'),
  access_denied: E('AccessDeniedException', 400, 'access_denied'),
  forbidden: E('AccessDeniedException', 400, 'access_denied'),
  locked_out: E('AccessDeniedException', 400, 'access_denied'),
  unavailable: INTERNAL,
  internal: INTERNAL,
};

/** Every exception name this adapter can emit (checked against the service model in tests). */
export const EMITTED_EXCEPTIONS = [...new Set(Object.values(OIDC_ERRORS).map((e) => e.exception))];

export function sendOidcError(reply: FastifyReply, shape: OidcErrorShape, description: string): FastifyReply {
  return reply
    .code(shape.status)
    .header(ERROR_TYPE_HEADER, shape.exception)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(JSON.stringify({ error: shape.error, error_description: description }));
}
