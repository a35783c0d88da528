/**
 * What an error looks like on the wire, whatever the protocol: the HTTP status, the error code
 * the service model names (`x-amzn-ErrorType` / `__type` in AWS JSON, `Code` in awsQuery XML)
 * and the public message. Each protocol keeps one table from every domain error code to one of
 * these (its error catalog); the tests check each catalog against the AWS service models.
 *
 * A catalog entry either fixes the message or passes on the domain error's own message, which
 * is public by contract (`domain/errors.ts`). A server-side failure (5xx) always has a fixed
 * message: what went wrong inside is for the log only.
 */
import { type DomainError, isDomainError } from '../domain/errors.ts';

export interface WireError {
  status: number;
  code: string;
  /** The text the caller reads; undefined passes on the domain error's own (public) message. */
  message?: string;
  /** A 5xx that passes the domain error's message on: only for `upstreamError`. */
  upstream?: true;
}

/** A wire error with a fixed message (the only kind a 5xx may be). */
export function fixedError(status: number, code: string, message: string): WireError {
  return { status, code, message };
}

/** A caller's mistake (4xx) that quotes the domain error's own message. */
export function ownMessageError(status: number, code: string): WireError {
  if (status >= 500) throw new Error(`${code}: a ${status} answer must have a fixed message`);
  return { status, code };
}

/**
 * A service the server calls (AWS STS for a federated account) failed or did not answer: a 5xx,
 * so clients retry, that quotes the domain error's message. Those messages are written for the
 * person (which endpoint, what to check), never an exception's text, which stays in `cause`.
 */
export function upstreamError(status: number, code: string): WireError {
  return { status, code, upstream: true };
}

/** The message sent for `err` answered as `wire`: never the internal text of a 5xx. */
export function publicMessage(wire: WireError, err: DomainError): string {
  if (wire.message !== undefined) return wire.message;
  return wire.status >= 500 && !wire.upstream ? 'An internal error occurred' : err.message;
}

/** What the log needs of a request. */
export interface ErrorLog {
  error(obj: unknown, msg: string): void;
  warn(obj: unknown, msg: string): void;
}

/**
 * Log an error on its way out: a server-side failure (5xx) with everything, a refusal only when
 * its domain error carries private detail (which the answer leaves out).
 */
export function logWireError(log: ErrorLog, wire: WireError, err: unknown, what: string): void {
  if (wire.status >= 500) log.error({ err }, `${what} failed`);
  else if (isDomainError(err) && err.detail !== undefined) {
    log.warn({ code: err.code, wireCode: wire.code, detail: err.detail }, `${what} refused`);
  }
}
