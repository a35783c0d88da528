/**
 * Domain errors. `code` comes from a closed union so a `switch` narrows; each protocol adapter
 * maps codes to its own exception names, statuses and envelopes (see `protocol/*\/errors.ts`).
 * Messages are safe to show to the caller; details for operators go in `cause` and the log.
 */
export type DomainErrorCode =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'throttled'
  | 'locked_out'
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_scope'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'access_denied'
  /** A service the server depends on (AWS STS) cannot be reached or did not answer in time. */
  | 'unavailable'
  | 'internal';

export interface DomainErrorOptions {
  cause?: unknown;
  /** Which resource a not_found/conflict is about (USER, GROUP, PERMISSION_SET, ACCOUNT…). */
  resourceType?: string;
  resourceId?: string;
  /** Machine-readable reason, e.g. UNIQUENESS_CONSTRAINT_VIOLATION. */
  reason?: string;
  /** Field path the problem is about, e.g. users[2].email. */
  field?: string;
}

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly resourceType: string | undefined;
  readonly resourceId: string | undefined;
  readonly reason: string | undefined;
  readonly field: string | undefined;

  constructor(code: DomainErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.resourceType = options.resourceType;
    this.resourceId = options.resourceId;
    this.reason = options.reason;
    this.field = options.field;
  }
}

export function isDomainError(err: unknown, code?: DomainErrorCode): err is DomainError {
  return err instanceof DomainError && (code === undefined || err.code === code);
}
