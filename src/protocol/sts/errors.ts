/**
 * STS error table (docs/wire-protocols.md, "awsQuery errors", "SigV4 failures"): every error leaves
 * as awsQuery XML with the real service's code and status. SigV4 failures come from
 * `protocol/sigv4/verify.ts`.
 */
export class StsError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'StsError';
    this.status = status;
    this.code = code;
  }
}

export const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';
export const EXPIRED_TOKEN_MESSAGE = 'The security token included in the request is expired';
