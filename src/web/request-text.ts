/**
 * Text a browser sends to the pages — the query string, the fields of a form, the User-Agent
 * recorded with a session — checked against the rule of `domain/wire-text.ts` (UTF-8, no
 * control characters) before any handler reads it. The sign-in and portal areas install
 * `refuseUnreadableText` as a hook; their error handlers answer its error with a 400 page (or
 * the JSON error of a JSON route), so nothing is looked up, written or audited. Cookies are not
 * refused: each is checked against its own shape where it is read and ignored when it does not
 * fit, so a stale or planted cookie cannot lock a person out of every page.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import { decodeUtf8, textFault } from '../domain/wire-text.ts';
import { formFaultMessage, queryFault } from '../protocol/codecs/form.ts';
import { formFault } from './csrf.ts';

/** Longest User-Agent kept with a session, in UTF-16 units (as the store column is capped). */
const MAX_USER_AGENT = 256;

/** What is wrong with the request's query string or form, as a sentence; undefined when nothing. */
export function requestTextProblem(request: FastifyRequest): string | undefined {
  const query = queryFault(request.url);
  if (query) return formFaultMessage(query, 'query parameter');
  const form = formFault(request);
  if (form) return formFaultMessage(form, 'form field');
  return undefined;
}

/** A preHandler hook: a request with unreadable text fails with `invalid_request`. */
export function refuseUnreadableText(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const problem = requestTextProblem(request);
  done(
    problem === undefined
      ? undefined
      : new DomainError('invalid_request', `${problem}. Go back, correct it and try again.`),
  );
}

/**
 * The User-Agent header as a session records it: its bytes as UTF-8 text without control
 * characters, cut to 256 UTF-16 units without splitting a character; null when absent or not
 * such text (it is informational, and a person cannot change what their browser sends).
 */
export function userAgentOf(request: FastifyRequest): string | null {
  const header = request.headers['user-agent'];
  if (typeof header !== 'string' || header === '') return null;
  // Node hands header bytes over as latin1 characters; undo that to read them as UTF-8.
  const text = decodeUtf8(Buffer.from(header, 'latin1'));
  if (text === undefined || textFault(text) !== undefined) return null;
  if (text.length <= MAX_USER_AGENT) return text;
  const cut = text.slice(0, MAX_USER_AGENT);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
