/**
 * Cookies without a framework plugin: parse the `Cookie` header and append `Set-Cookie` lines.
 * Names and values we set are base64url or fixed words, so no quoting is ever needed; values we
 * read are treated as untrusted text and capped in length.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const MAX_COOKIE_VALUE = 512;

/** Cookies of a request by name (first occurrence wins, as browsers send the most specific first). */
export function readCookies(request: FastifyRequest): Map<string, string> {
  const out = new Map<string, string>();
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length === 0 || header.length > 16384) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!name || value.length > MAX_COOKIE_VALUE || out.has(name)) continue;
    out.set(name, value);
  }
  return out;
}

/**
 * The name one of our cookies (`base`, e.g. `idc_session`) has at this public URL.
 *
 * Over HTTPS it is `__Host-<base>`: the browser keeps it to this host, Secure, Path=/, and no
 * other site can set it. Over plain HTTP a cookie belongs to the host name alone: the browser
 * sends it to every port of that host and lets any of them set it. The name then carries the
 * public URL's port (`idc_session_7400`), so two servers on one host, say two idcenters on
 * 127.0.0.1, never read or overwrite each other's cookies. The name cannot stop a program on
 * another port from reading the cookies sent to it or setting one of this name; sessions are
 * bound to the origin they were made for as well (see web/session.ts), and HTTPS is the answer
 * for anything beyond one person's loopback.
 */
export function cookieNameAt(publicUrl: string, base: string): string {
  const u = new URL(publicUrl);
  if (u.protocol === 'https:') return `__Host-${base}`;
  return `${base}_${u.port || '80'}`;
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  return readCookies(request).get(name);
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. Absent: a browser-session cookie. */
  maxAge?: number;
  secure: boolean;
  httpOnly?: boolean;
  sameSite?: 'Lax' | 'Strict';
}

/**
 * Append a Set-Cookie header (Path=/ always, never Domain, so `__Host-` names stay valid). Also
 * under a public URL with a path prefix: `__Host-` requires Path=/, and giving it up for a
 * prefix-scoped `__Secure-` name would let a sibling subdomain plant cookies (login CSRF through
 * the pre-session nonce). Path=/ is sent with every prefixed request too.
 */
export function setCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  const parts = [`${name}=${value}`, 'Path=/'];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`);
  if (options.httpOnly !== false) parts.push('HttpOnly');
  parts.push(`SameSite=${options.sameSite ?? 'Lax'}`);
  if (options.secure) parts.push('Secure');
  // Fastify appends to an existing set-cookie header rather than replacing it.
  reply.header('set-cookie', parts.join('; '));
}

export function clearCookie(reply: FastifyReply, name: string, secure: boolean): void {
  setCookie(reply, name, '', { maxAge: 0, secure });
}
