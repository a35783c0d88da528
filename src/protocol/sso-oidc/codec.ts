/**
 * restJson1 input for SSO OIDC: the raw body (a Buffer, see http/app.ts) must be one JSON
 * object; members are read with type and size checks, unknown members ignored, `null` treated
 * as absent. Every problem is an `invalid_request` that names the member.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.ts';

export type JsonObject = Record<string, unknown>;

export function parseJsonBody(request: FastifyRequest): JsonObject {
  const body = request.body;
  if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) {
    throw new DomainError('invalid_request', 'The request body must be a JSON object');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : String(body));
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

/** True when `s` has a C0/C1 control character. */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

interface StringRule {
  required?: boolean;
  max: number;
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
  if (hasNul(v)) throw new DomainError('invalid_request', `${name} contains a NUL character`);
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
    if (hasNul(item)) throw new DomainError('invalid_request', `${name}[${i}] contains a NUL character`);
    return item;
  });
}

export function sendJson(reply: FastifyReply, payload: JsonObject): FastifyReply {
  return reply
    .code(200)
    .header('x-amzn-RequestId', reply.request.id)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(JSON.stringify(payload));
}

export function requestMeta(request: FastifyRequest) {
  return { sourceIp: request.ip ?? null, requestId: request.id };
}
