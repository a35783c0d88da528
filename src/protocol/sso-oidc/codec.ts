/**
 * restJson1 input for SSO OIDC: the raw body (a Buffer, see http/app.ts) must be one JSON
 * object of UTF-8 text; members are read with type, size and text checks (no control
 * characters), unknown members ignored, `null` treated as absent. Every problem is an
 * `invalid_request` that names the member.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorCode } from '../../domain/errors.ts';
import { decodeUtf8, faultMessage, textFault } from '../../domain/wire-text.ts';

export type JsonObject = Record<string, unknown>;

export function parseJsonBody(request: FastifyRequest): JsonObject {
  const body = request.body;
  if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) {
    throw new DomainError('invalid_request', 'The request body must be a JSON object');
  }
  // Bytes that are not UTF-8 would become U+FFFD in toString(): refuse them instead.
  const text = Buffer.isBuffer(body) ? decodeUtf8(body) : String(body);
  if (text === undefined) throw new DomainError('invalid_request', 'The request body is not valid UTF-8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DomainError('invalid_request', 'The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainError('invalid_request', 'The request body must be a JSON object');
  }
  return value as JsonObject;
}

/** NUL cannot be stored or even queried in PostgreSQL text. */
const hasNul = (s: string) => s.includes(String.fromCharCode(0));

interface StringRule {
  required?: boolean;
  max: number;
  /** The error of a control character other than NUL (default invalid_request). */
  controls?: DomainErrorCode;
}

/**
 * Refuse a member that is not clean text (`domain/wire-text.ts`): NUL (which PostgreSQL cannot
 * even compare with) and lone surrogates (a `\ud800` escape) are malformed requests; other
 * control characters are the member's own error when it has one (clientName's is
 * invalid_client_metadata).
 */
function assertText(name: string, v: string, controls: DomainErrorCode = 'invalid_request'): void {
  const fault = textFault(v);
  if (!fault) return;
  const code = fault === 'control' && !hasNul(v) ? controls : 'invalid_request';
  throw new DomainError(code, faultMessage(name, fault));
}

export function readString(body: JsonObject, name: string, rule: StringRule & { required: true }): string;
export function readString(body: JsonObject, name: string, rule: StringRule): string | undefined;
export function readString(body: JsonObject, name: string, rule: StringRule): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (rule.required) throw new DomainError('invalid_request', `${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new DomainError('invalid_request', `${name} must be a string`);
  if (rule.required && v.length === 0) throw new DomainError('invalid_request', `${name} must not be empty`);
  if (v.length > rule.max)
    throw new DomainError('invalid_request', `${name} is longer than ${rule.max} characters`);
  assertText(name, v, rule.controls);
  return v;
}

export function readStringList(
  body: JsonObject,
  name: string,
  rule: { maxItems: number; maxLength: number },
): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new DomainError('invalid_request', `${name} must be a list of strings`);
  if (v.length > rule.maxItems)
    throw new DomainError('invalid_request', `${name} has more than ${rule.maxItems} items`);
  return v.map((item, i) => {
    if (typeof item !== 'string') throw new DomainError('invalid_request', `${name}[${i}] must be a string`);
    if (item.length === 0 || item.length > rule.maxLength) {
      throw new DomainError('invalid_request', `${name}[${i}] must be 1 to ${rule.maxLength} characters`);
    }
    assertText(`${name}[${i}]`, item);
    return item;
  });
}

export function sendJson(reply: FastifyReply, payload: JsonObject): FastifyReply {
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(JSON.stringify(payload));
}

export function requestMeta(request: FastifyRequest) {
  return { sourceIp: request.ip ?? null, requestId: request.id };
}
