/**
 * The portal session as web pages see it (a contract: the access portal builds on it).
 *
 * - `currentSession(request, deps)`: who is signed in, or null when there is no cookie, or the
 *   session is unknown, expired, revoked, still waiting for its second factor, or its user is
 *   disabled.
 * - `redirectToSignIn(reply, prefix, returnTo)`: send the browser to sign-in; only a same-origin
 *   relative path survives as the place to come back to.
 * - The cookie is `__Host-idc_session` over HTTPS (Secure, host-only, Path=/) and
 *   `idc_session_<port>` over plain HTTP (see `cookieNameAt`); always HttpOnly and SameSite=Lax.
 * - A session is bound to the origin of the public URL it was made for (`sessionOrigin`): a
 *   cookie presented to a server with another public origin is no session there, even when both
 *   servers share a store.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  findSessionByToken,
  isSessionAlive,
  type SessionRecord,
  touchSession,
} from '../app/auth/sessions.ts';
import type { ServerDeps } from '../app/server-deps.ts';
import type { Config } from '../config/schema.ts';
import { clearCookie, cookieNameAt, readCookie, setCookie } from './cookies.ts';
import { stripPrefix, webPath } from './paths.ts';

export interface PortalSessionInfo {
  sessionId: string;
  userId: string;
  userName: string;
  displayName: string;
  /** Epoch ms. */
  expiresAt: number;
  /** Value for the `_csrf` field / `x-csrf-token` header of this session's forms. */
  csrfToken: string;
}

/** True when browsers reach us over HTTPS (directly with --tls or through a TLS proxy). */
export function isHttps(config: Config): boolean {
  return config.publicUrl.startsWith('https:');
}

/** `__Host-idc_session` over HTTPS (`__Host-` needs Secure), `idc_session_<port>` over HTTP. */
export function sessionCookieName(config: Config): string {
  return cookieNameAt(config.publicUrl, 'idc_session');
}

/**
 * The origin sessions of this server are made for and accepted at: scheme, host and port of the
 * public URL (`http://127.0.0.1:7400`). Replicas behind one public URL share it.
 */
export function sessionOrigin(config: Config): string {
  return new URL(config.publicUrl).origin;
}

/** The raw session token from the request's cookie, if any. */
export function sessionToken(request: FastifyRequest, config: Config): string | undefined {
  const v = readCookie(request, sessionCookieName(config));
  return v && /^[A-Za-z0-9_-]{16,256}$/.test(v) ? v : undefined;
}

/** The CSRF token of a session: derived from its secret token, so it needs no storage. */
export function csrfTokenFor(sessionTokenValue: string): string {
  return createHash('sha256').update(`idcenter-csrf:${sessionTokenValue}`, 'utf8').digest('base64url');
}

export function setSessionCookie(
  reply: FastifyReply,
  config: Config,
  token: string,
  maxAgeSeconds: number,
): void {
  setCookie(reply, sessionCookieName(config), token, {
    maxAge: maxAgeSeconds,
    secure: isHttps(config),
    httpOnly: true,
    sameSite: 'Lax',
  });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  clearCookie(reply, sessionCookieName(config), isHttps(config));
}

const perRequest = new WeakMap<FastifyRequest, Promise<PortalSessionInfo | null>>();

/**
 * The signed-in person of this request, or null. One indexed read per request (memoised), and
 * at most one write a minute to record activity.
 *
 * @example const session = await currentSession(request, deps); if (!session) return redirectToSignIn(reply, prefix, request.url);
 */
export function currentSession(request: FastifyRequest, deps: ServerDeps): Promise<PortalSessionInfo | null> {
  let p = perRequest.get(request);
  if (!p) {
    p = resolveSession(request, deps);
    perRequest.set(request, p);
  }
  return p;
}

/**
 * The session the request's cookie names, complete or still owing its second factor: null when
 * there is no cookie, or the session is unknown, expired, revoked, its user disabled, or it was
 * made for another origin (or before sessions recorded theirs).
 */
export async function cookieSession(
  request: FastifyRequest,
  deps: ServerDeps,
): Promise<{ record: SessionRecord; token: string } | null> {
  const token = sessionToken(request, deps.config);
  if (!token) return null;
  const record = await findSessionByToken(deps.ctx, token);
  if (!record || !isSessionAlive(record, deps.ctx.clock.now())) return null;
  if (record.origin !== sessionOrigin(deps.config)) return null;
  return { record, token };
}

async function resolveSession(request: FastifyRequest, deps: ServerDeps): Promise<PortalSessionInfo | null> {
  const found = await cookieSession(request, deps);
  if (!found?.record.mfaDone) return null;
  const s = found.record;
  await touchSession(deps.ctx, s.sessionId, s.lastSeenAt);
  return {
    sessionId: s.sessionId,
    userId: s.userId,
    userName: s.userName,
    displayName: s.displayName,
    expiresAt: s.expiresAt,
    csrfToken: csrfTokenFor(found.token),
  };
}

/**
 * A return path that stays on this origin, as an app path; anything else becomes `/start`.
 *
 * Return paths are app paths (`/device?user_code=…`, no public URL prefix): pages carry them in
 * that form and `webPath` adds the prefix only when a redirect leaves. One that arrives with the
 * prefix (`/idc/device`, e.g. a link built from the browser's address bar) is accepted too and
 * normalised to its app path, by the rule routing strips the prefix with (so a prefix that is
 * also the first segment of a page, like `/device`, is as ambiguous here as it is for routing).
 *
 * The input is normalised first (URL parsing resolves dot segments, `%2e%2e` included, and drops
 * a fragment; then the prefix is stripped), and only the final value is judged: checking before
 * normalising let `/.//evil.example/x` become the protocol-relative `//evil.example/x`. The final
 * value must be a path of non-empty segments that URL parsing leaves unchanged, and stay one
 * after percent-decoding: no empty segment (`//`), dot segment, backslash or control character,
 * encoded or not, so neither a browser nor a proxy that decodes can read it as another host.
 */
export function safeReturnPath(returnTo: unknown, prefix = ''): string {
  const path = parsedPath(returnTo);
  if (path === null) return '/start';
  const app = prefix ? stripPrefix(prefix, path) : path;
  return staysOnOrigin(app) ? app : '/start';
}

const RETURN_BASE = 'http://return.invalid';
const MAX_RETURN_PATH = 2048;

/** The path and query of a root-relative reference after URL parsing, or null. */
function parsedPath(returnTo: unknown): string | null {
  if (typeof returnTo !== 'string' || returnTo.length === 0 || returnTo.length > MAX_RETURN_PATH) return null;
  // URL parsing silently drops tabs and newlines and reads `\` as `/`: refuse them before it.
  if (!returnTo.startsWith('/') || hasControlOrBackslash(returnTo)) return null;
  try {
    const u = new URL(returnTo, RETURN_BASE);
    return u.origin === RETURN_BASE ? `${u.pathname}${u.search}` : null;
  } catch {
    return null;
  }
}

/** The final check: a plain path on this origin, whichever way it is read. */
function staysOnOrigin(value: string): boolean {
  if (value.length > MAX_RETURN_PATH || hasControlOrBackslash(value)) return false;
  let reparsed: URL;
  try {
    reparsed = new URL(value, RETURN_BASE);
  } catch {
    return false;
  }
  if (reparsed.origin !== RETURN_BASE || `${reparsed.pathname}${reparsed.search}` !== value) return false;
  // Decode until nothing changes (double encoding included); every reading must be plain.
  let path = reparsed.pathname;
  for (let round = 0; round < 4; round++) {
    if (!isPlainPath(path)) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return false;
    }
    if (decoded === path) return true;
    path = decoded;
  }
  return false;
}

/** `/` or `/seg/seg[/]`: one leading slash, no empty or dot segment, no backslash or control character. */
function isPlainPath(path: string): boolean {
  if (!path.startsWith('/') || hasControlOrBackslash(path)) return false;
  if (path === '/') return true;
  const segments = path.slice(1).split('/');
  if (segments.at(-1) === '') segments.pop();
  return segments.every((s) => s !== '' && s !== '.' && s !== '..');
}

function hasControlOrBackslash(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

/**
 * Send the browser to sign-in (under the public URL's path `prefix`); after signing in it comes
 * back to the app path `returnTo` (same origin only).
 */
export function redirectToSignIn(reply: FastifyReply, prefix: string, returnTo: string): FastifyReply {
  const back = safeReturnPath(returnTo);
  const location = back === '/start' ? '/signin' : `/signin?return=${encodeURIComponent(back)}`;
  return reply.header('cache-control', 'no-store').redirect(webPath(prefix, location), 303);
}
