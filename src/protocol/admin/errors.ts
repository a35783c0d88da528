/**
 * The errors of the admin APIs (awsJson1.1): the code travels in `__type` and
 * `x-amzn-ErrorType`, the text in `Message`/`message`, and the members the models give some
 * exceptions (`ResourceType`, `ResourceId`, `Reason`) in the body beside them. Each service
 * answers a domain error with the exception its model names (`ADMIN_ERRORS`); the organizations
 * model names most of its exceptions after the resource (AccountNotFoundException…), carried
 * by the domain error's `reason`. A 5xx never says what went wrong inside.
 */
import type { DomainError, DomainErrorCode } from '../../domain/errors.ts';
import type { AdminService } from '../../domain/iam/operations.ts';

/** An error answer of the admin APIs, raised where the request is read. */
export class AdminError extends Error {
  readonly status: number;
  readonly type: string;
  readonly fields: Readonly<Record<string, string>>;
  constructor(type: string, message: string, fields: Record<string, string> = {}, status = 400) {
    super(message);
    this.name = 'AdminError';
    this.type = type;
    this.status = status;
    this.fields = fields;
  }
}

export const INTERNAL_MESSAGE = 'An internal error occurred';

/** The exception of each domain error code, per service. */
const BASE: Record<DomainErrorCode, string> = {
  validation: 'ValidationException',
  invalid_request: 'ValidationException',
  invalid_client_metadata: 'ValidationException',
  invalid_redirect_uri: 'ValidationException',
  invalid_scope: 'ValidationException',
  unsupported_grant_type: 'ValidationException',
  not_found: 'ResourceNotFoundException',
  conflict: 'ConflictException',
  // The identitystore model's answer to a write the identity source owns.
  directory_owned: 'ValidationException',
  unauthorized: 'AccessDeniedException',
  invalid_client: 'AccessDeniedException',
  invalid_grant: 'AccessDeniedException',
  unauthorized_client: 'AccessDeniedException',
  expired_token: 'AccessDeniedException',
  forbidden: 'AccessDeniedException',
  access_denied: 'AccessDeniedException',
  locked_out: 'AccessDeniedException',
  authorization_pending: 'AccessDeniedException',
  throttled: 'ThrottlingException',
  slow_down: 'ThrottlingException',
  unavailable: 'InternalServerException',
  internal: 'InternalServerException',
};

const ORGANIZATIONS: Partial<Record<DomainErrorCode, string>> = {
  validation: 'InvalidInputException',
  invalid_request: 'InvalidInputException',
  conflict: 'ConstraintViolationException',
  directory_owned: 'InvalidInputException',
  throttled: 'TooManyRequestsException',
  slow_down: 'TooManyRequestsException',
  unavailable: 'ServiceException',
  internal: 'ServiceException',
};

/** The answer to a domain error raised by a use case. */
export function adminErrorOf(service: AdminService, err: DomainError): AdminError {
  const type =
    service === 'organizations'
      ? ((err.reason?.endsWith('Exception') ? err.reason : undefined) ??
        ORGANIZATIONS[err.code] ??
        BASE[err.code])
      : BASE[err.code];
  const internal = err.code === 'internal' || err.code === 'unavailable';
  const fields: Record<string, string> = {};
  if (service !== 'organizations') {
    if (err.resourceType && type === 'ResourceNotFoundException') fields.ResourceType = err.resourceType;
    if (err.resourceId && type === 'ResourceNotFoundException') fields.ResourceId = err.resourceId;
    if (err.reason && (type === 'ConflictException' || type === 'ResourceNotFoundException'))
      fields.Reason = err.reason;
  } else if (err.reason && !err.reason.endsWith('Exception')) {
    fields.Reason = err.reason;
  }
  return new AdminError(type, internal ? INTERNAL_MESSAGE : err.message, fields, internal ? 500 : 400);
}
