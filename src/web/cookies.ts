/**
 * The pages' cookies: which names this server gives them and which flags each carries. Parsing
 * the `Cookie` header and writing `Set-Cookie` is @fastify/cookie's, registered by the web plugin
 * (`plugin.ts`), so these work in the web pages' scope only. Names and values we set are
 * base64url or fixed words, so no quoting is ever needed; values we read are untrusted text,
 * checked against their shape where they are read, and one longer than 512 characters is
 * ignored.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const MAX_COOKIE_VALUE = 512;

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

/** The value of cookie `name` (the first, as browsers send the most specific first), if any. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const value = request.cookies[name];
  return value !== undefined && value.length <= MAX_COOKIE_VALUE ? value : undefined;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. Absent: a browser-session cookie. */
  maxAge?: number;
  secure: boolean;
  httpOnly?: boolean;
  sameSite?: 'Lax' | 'Strict';
}

/**
 * Set a cookie: Path=/ always, never Domain, so `__Host-` names stay valid. Also under a public
 * URL with a path prefix: `__Host-` requires Path=/, and giving it up for a prefix-scoped
 * `__Secure-` name would let a sibling subdomain plant cookies (login CSRF through the
 * pre-session nonce). Path=/ is sent with every prefixed request too. HttpOnly unless asked
 * otherwise; SameSite=Lax unless Strict is asked.
 */
export function setCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  reply.setCookie(name, value, {
    path: '/',
    ...(options.maxAge !== undefined ? { maxAge: Math.max(0, Math.floor(options.maxAge)) } : {}),
    httpOnly: options.httpOnly !== false,
    sameSite: options.sameSite === 'Strict' ? 'strict' : 'lax',
    secure: options.secure,
  });
}

export function clearCookie(reply: FastifyReply, name: string, secure: boolean): void {
  setCookie(reply, name, '', { maxAge: 0, secure });
}
