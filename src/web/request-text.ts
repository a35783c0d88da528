/**
 * Text a browser sends to the pages — the query string, the fields of a form, the User-Agent
 * recorded with a session — checked against the rule of `domain/wire-text.ts` (UTF-8, no
 * control characters) before any handler reads it, so nothing is looked up, written or audited:
 *
 * - A form body (`application/x-www-form-urlencoded`, at most 64 KiB, or its route's larger
 *   `bodyLimit`) is decoded by the web
 *   plugin's content-type parser (`parseForms`) with the strict decoder of `codecs/form.ts`; a
 *   field that breaks the rule fails the request with `invalid_request` (a textarea's field,
 *   `MULTILINE_FIELDS`, may also hold tabs and line breaks), which the area's error
 *   handler answers with a 400 page (or the JSON error of a JSON route). @fastify/formbody is not
 *   used: it hands its parser the body as a string, made with `toString()`, which has already
 *   turned bytes that are not UTF-8 into U+FFFD.
 * - The query string is checked by `refuseUnreadableText`, a hook of the sign-in and portal
 *   areas, with the same answer.
 *
 * Cookies are not refused: each is checked against its own shape where it is read and ignored
 * when it does not fit, so a stale or planted cookie cannot lock a person out of every page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import { decodeUtf8, textFault } from '../domain/wire-text.ts';
import { decodeForm, formFaultMessage, queryFault } from '../protocol/codecs/form.ts';

/**
 * Largest form body accepted (413 beyond): the pages' forms send a few hundred bytes. A route
 * may take more (its `bodyLimit`, told to the error page by its `config.formBytes`).
 */
export const MAX_FORM_BYTES = 64 * 1024;

/**
 * Largest body of the console's inline policy form. A policy is at most 32,768 characters of
 * U+0009 to U+00FF (IAM); URL-encoded, each can take six bytes (`%C3%BF`, a line break sent
 * as CRLF, `%0D%0A`), so 192 KiB, and the form's other fields are a few hundred bytes.
 */
export const POLICY_FORM_BYTES = 256 * 1024;

/** The largest form body the request's route takes. */
export function formLimitOf(request: FastifyRequest): number {
  const config = request.routeOptions.config as { formBytes?: unknown } | undefined;
  return typeof config?.formBytes === 'number' ? config.formBytes : MAX_FORM_BYTES;
}

/** The form fields that are textareas, whose values may hold tabs and line breaks. */
const MULTILINE_FIELDS: ReadonlySet<string> = new Set(['policy', 'psDescription']);

/** Longest User-Agent kept with a session, in UTF-16 units (as the store column is capped). */
const MAX_USER_AGENT = 256;

/** The error of text that breaks the rule: `problem` says which field and why. */
function unreadable(problem: string): DomainError {
  return new DomainError('invalid_request', `${problem}. Go back, correct it and try again.`);
}

/** Decode form bodies in `scope` into their fields (see the module comment). */
export function parseForms(scope: FastifyInstance): void {
  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: MAX_FORM_BYTES },
    (_request, body, done) => {
      const decoded = decodeForm(body as Buffer, MULTILINE_FIELDS);
      if (decoded.ok) done(null, new URLSearchParams(decoded.pairs));
      else done(unreadable(formFaultMessage(decoded.fault, 'form field')), undefined);
    },
  );
}

/**
 * The fields of the request's form body, names repeated as they came; empty for a request
 * without one (another content type, or none).
 */
export function formFields(request: FastifyRequest): URLSearchParams {
  return request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
}

/** A preHandler hook: a query string with unreadable text fails with `invalid_request`. */
export function refuseUnreadableText(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const fault = queryFault(request.url);
  done(fault === undefined ? undefined : unreadable(formFaultMessage(fault, 'query parameter')));
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
