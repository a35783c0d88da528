/**
 * CSRF protection for every HTML form (a contract: the access portal builds on it).
 *
 * - Signed-in forms carry `csrfField(session)`; handlers call `verifyCsrf(request, session)`,
 *   which accepts the `_csrf` field of an urlencoded body or an `x-csrf-token` header. The token
 *   is derived from the session's secret cookie token, so a page on another origin cannot know it.
 * - Forms shown before a session exists (sign-in) use a signed double-submit cookie:
 *   `preSessionCsrf` sets a random nonce cookie and returns the form token (an HMAC of the nonce
 *   under a server key); `verifyPreSessionCsrf` checks the pair.
 * - Either way a request the browser labels `Sec-Fetch-Site: cross-site` is refused outright.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual, sign } from '../app/auth/keys.ts';
import type { ServerDeps } from '../app/server-deps.ts';
import { cookieNameAt, readCookie, setCookie } from './cookies.ts';
import { type Html, html } from './html.ts';
import { formFields } from './request-text.ts';
import { isHttps, type PortalSessionInfo } from './session.ts';

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** The hidden input every signed-in form includes. */
export function csrfField(session: PortalSessionInfo): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}">`;
}

/** The browser says this request comes from another site (Fetch Metadata). */
export function isCrossSite(request: FastifyRequest): boolean {
  return request.headers['sec-fetch-site'] === 'cross-site';
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string' && header.length > 0) return header;
  const field = formFields(request).get(CSRF_FIELD);
  return field ?? undefined;
}

/** True when the request carries this session's CSRF token (form field or header). */
export function verifyCsrf(request: FastifyRequest, session: PortalSessionInfo): boolean {
  return verifyCsrfToken(request, session.csrfToken);
}

/** True when the request carries `expected` as its CSRF token (form field or header). */
export function verifyCsrfToken(request: FastifyRequest, expected: string): boolean {
  if (isCrossSite(request) || expected.length === 0) return false;
  const token = presentedToken(request);
  return typeof token === 'string' && token.length < 200 && safeEqual(token, expected);
}

// ---- before a session exists: signed double-submit cookie ----

/** The pre-session nonce cookie: `__Host-idc_csrf` over HTTPS, `idc_csrf_<port>` over HTTP. */
function preCookieName(deps: ServerDeps): string {
  return cookieNameAt(deps.config.publicUrl, 'idc_csrf');
}

/**
 * The CSRF token for a pre-session form. Reuses the browser's nonce cookie when it has one,
 * otherwise sets a new one (a browser-session cookie).
 */
export async function preSessionCsrf(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ServerDeps,
): Promise<string> {
  const key = await deps.ctx.memory.serverKeys.get('web');
  let nonce = readCookie(request, preCookieName(deps));
  if (!nonce || !/^[A-Za-z0-9_-]{22,64}$/.test(nonce)) {
    nonce = deps.ctx.random.bytes(18).toString('base64url');
    setCookie(reply, preCookieName(deps), nonce, { secure: isHttps(deps.config), sameSite: 'Lax' });
  }
  return sign(key, `pre:${nonce}`);
}

/** True when the form's `_csrf` matches the signed nonce cookie of this browser. */
export async function verifyPreSessionCsrf(request: FastifyRequest, deps: ServerDeps): Promise<boolean> {
  if (isCrossSite(request)) return false;
  const nonce = readCookie(request, preCookieName(deps));
  const token = presentedToken(request);
  if (!nonce || !token || token.length > 200) return false;
  const key = await deps.ctx.memory.serverKeys.get('web');
  return safeEqual(token, sign(key, `pre:${nonce}`));
}
