/**
 * Portal API paging (docs/wire-protocols.md, "Portal API"): `max_result` 1–100 (default 20) and an
 * opaque `next_token` naming where the next page starts. Tokens are base64url of a versioned,
 * typed cursor, so a token from one operation cannot be replayed on another.
 */
import { invalidRequest } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** A single query parameter as a string, or undefined; repeated parameters are refused. */
export function queryParam(query: unknown, name: string): string | undefined {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`Parameter ${name} must be given once`);
  return v;
}

export function pageSize(query: unknown): number {
  const raw = queryParam(query, 'max_result');
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE_SIZE) {
    throw invalidRequest(`max_result must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  return Number(raw);
}

export function encodeCursor(kind: string, after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, k: kind, a: after }), 'utf8').toString('base64url');
}

/**
 * The cursor's position, or undefined for the first page; a foreign or broken token, or one
 * whose position does not look like what the operation pages by (`shape`), is refused.
 */
export function decodeCursor(query: unknown, kind: string, shape: RegExp): string | undefined {
  const raw = queryParam(query, 'next_token');
  if (raw === undefined || raw === '' || raw === 'null') return undefined;
  try {
    if (raw.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('shape');
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as {
      v?: number;
      k?: string;
      a?: unknown;
    };
    if (c.v !== 1 || c.k !== kind || typeof c.a !== 'string' || !shape.test(c.a)) throw new Error('cursor');
    return c.a;
  } catch {
    throw invalidRequest('The next_token is not valid for this operation');
  }
}
