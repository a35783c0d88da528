/**
 * Domain errors. `code` comes from a closed list so a `switch` narrows; each protocol adapter
 * maps every code to its own wire error in one table typed `Record<DomainErrorCode, …>`
 * (`protocol/*\/errors.ts`), so a new code does not compile until every protocol names its answer.
 * The message is public: it may reach the caller (4xx answers quote it; 5xx answers never do).
 * What only operators may read goes in `detail` (and `cause`), which reach the log, never the wire.
 */
export const DOMAIN_ERROR_CODES = [
  'validation',
  'not_found',
  'conflict',
  /**
   * The directory (the identity source) owns what the change would touch: a directory user's
   * attributes, status, password or existence, a directory group or its members.
   */
  'directory_owned',
  'unauthorized',
  'forbidden',
  'throttled',
  'locked_out',
  'invalid_request',
  'invalid_client',
  'invalid_client_metadata',
  'invalid_redirect_uri',
  'invalid_scope',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'authorization_pending',
  'slow_down',
  'expired_token',
  'access_denied',
  /** A service the server depends on (AWS STS) cannot be reached or did not answer in time. */
  'unavailable',
  'internal',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export interface DomainErrorOptions {
  cause?: unknown;
  /** Which resource a not_found/conflict is about (USER, GROUP, PERMISSION_SET, ACCOUNT…). */
  resourceType?: string;
  resourceId?: string;
  /** Machine-readable reason, e.g. UNIQUENESS_CONSTRAINT_VIOLATION. */
  reason?: string;
  /** Field path the problem is about, e.g. users[2].email. */
  field?: string;
  /** Private: what operators should know (for the log), never sent to the caller. */
  detail?: string;
}

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly resourceType: string | undefined;
  readonly resourceId: string | undefined;
  readonly reason: string | undefined;
  readonly field: string | undefined;
  readonly detail: string | undefined;

  constructor(code: DomainErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.resourceType = options.resourceType;
    this.resourceId = options.resourceId;
    this.reason = options.reason;
    this.field = options.field;
    this.detail = options.detail;
  }
}

export function isDomainError(err: unknown, code?: DomainErrorCode): err is DomainError {
  return err instanceof DomainError && (code === undefined || err.code === code);
}
