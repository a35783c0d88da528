/**
 * How a SigV4 check fails: the error code and status real STS answers with, and the message.
 * Parsing (`parse.ts`) and verification (`verify.ts`) both end in one of these.
 */

export type SigV4ErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'SignatureDoesNotMatch'
  | 'InvalidClientTokenId'
  | 'ExpiredToken'
  | 'AccessDenied';

export interface SigV4Failure {
  ok: false;
  code: SigV4ErrorCode;
  status: number;
  message: string;
  /** Access key id named by the request, when it got that far (for the audit log). */
  accessKeyId?: string;
}

/** The HTTP status of each failure (the error catalog test holds them to AWS's common errors). */
export const SIGV4_ERROR_STATUS: Record<SigV4ErrorCode, number> = {
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  SignatureDoesNotMatch: 403,
  InvalidClientTokenId: 403,
  ExpiredToken: 400,
  AccessDenied: 403,
};

export function sigv4Failure(code: SigV4ErrorCode, message: string, accessKeyId?: string): SigV4Failure {
  const f: SigV4Failure = { ok: false, code, status: SIGV4_ERROR_STATUS[code], message };
  if (accessKeyId !== undefined) f.accessKeyId = accessKeyId;
  return f;
}

export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
