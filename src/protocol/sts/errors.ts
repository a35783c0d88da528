/**
 * STS's error catalog: every error leaves as awsQuery XML with the code and status the real
 * service sends. `STS_ERRORS` answers each domain error code; `STS_REQUEST_ERRORS` names the
 * errors of the request itself (its action, parameters, body), raised as `StsError`; SigV4
 * failures come from `protocol/sigv4/verify.ts`. GetCallerIdentity and GetAccessKeyInfo declare
 * no errors of their own in the STS model: every code here is one AWS documents as common to all
 * STS actions (the tests hold each to that list). A 5xx never says what went wrong inside.
 */
import type { DomainErrorCode } from '../../domain/errors.ts';
import { fixedError, ownMessageError, type WireError } from '../wire-error.ts';

export const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';
export const EXPIRED_TOKEN_MESSAGE = 'The security token included in the request is expired';
export const INTERNAL_FAILURE_MESSAGE = 'An internal error occurred.';

/** The errors of the request itself; the message, unless fixed here, is the thrower's. */
export const STS_REQUEST_ERRORS = {
  missingAction: fixedError(400, 'MissingAction', 'Missing Action'),
  invalidAction: ownMessageError(400, 'InvalidAction'),
  missingParameter: ownMessageError(400, 'MissingParameter'),
  invalidParameterValue: ownMessageError(400, 'InvalidParameterValue'),
  validationError: ownMessageError(400, 'ValidationError'),
  accessDenied: ownMessageError(403, 'AccessDenied'),
  malformedInput: ownMessageError(400, 'MalformedInput'),
  requestEntityTooLarge: ownMessageError(413, 'RequestEntityTooLarge'),
  internalFailure: fixedError(500, 'InternalFailure', INTERNAL_FAILURE_MESSAGE),
} satisfies Record<string, WireError>;

const R = STS_REQUEST_ERRORS;
const INVALID_TOKEN = fixedError(403, 'InvalidClientTokenId', INVALID_TOKEN_MESSAGE);
const THROTTLING = fixedError(400, 'Throttling', 'Rate exceeded');

export const STS_ERRORS = {
  validation: R.validationError,
  not_found: R.validationError,
  conflict: R.validationError,
  directory_owned: R.validationError,
  invalid_request: R.invalidParameterValue,
  invalid_client_metadata: R.invalidParameterValue,
  invalid_redirect_uri: R.invalidParameterValue,
  invalid_scope: R.invalidParameterValue,
  unsupported_grant_type: R.invalidParameterValue,
  // Credentials that do not resolve, whatever the reason, are the same invalid token.
  unauthorized: INVALID_TOKEN,
  invalid_client: INVALID_TOKEN,
  invalid_grant: INVALID_TOKEN,
  unauthorized_client: INVALID_TOKEN,
  expired_token: fixedError(400, 'ExpiredToken', EXPIRED_TOKEN_MESSAGE),
  forbidden: R.accessDenied,
  access_denied: R.accessDenied,
  locked_out: R.accessDenied,
  authorization_pending: R.accessDenied,
  throttled: THROTTLING,
  slow_down: THROTTLING,
  // Only federated vending raises it, never STS; a 5xx with a fixed message if it ever did.
  unavailable: R.internalFailure,
  internal: R.internalFailure,
} satisfies Record<DomainErrorCode, WireError>;

/** An error of the request itself, with its public message (see `STS_REQUEST_ERRORS`). */
export class StsError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(wire: WireError, message?: string) {
    super(wire.message ?? message ?? wire.code);
    this.name = 'StsError';
    this.status = wire.status;
    this.code = wire.code;
  }
}
