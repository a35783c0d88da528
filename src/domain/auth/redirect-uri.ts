/**
 * Redirect URIs of native (CLI) clients, RFC 8252 §7.3: only loopback IP literals over http,
 * and the port of the presented URI may differ from the registered one (the CLI listens on a
 * random port but registers `http://127.0.0.1/oauth/callback`). Everything else must match
 * exactly: host, path and query; no user info, no fragment. A presented URI must already be in
 * canonical form, so tricks that rely on normalisation (`\`, dot segments, `@`) never match.
 */

export const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]'] as const;
export const MAX_REDIRECT_URI_LENGTH = 2048;

function parse(uri: unknown): URL | null {
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH) return null;
  try {
    return new URL(uri);
  } catch {
    return null;
  }
}

function isLoopback(u: URL): boolean {
  return (LOOPBACK_HOSTS as readonly string[]).includes(u.hostname);
}

/**
 * Why a redirect URI cannot be registered, or null when it can. Returns the canonical form to
 * store on success.
 */
export function checkRegistrableRedirectUri(
  uri: unknown,
): { ok: true; canonical: string } | { ok: false; reason: string } {
  const u = parse(uri);
  if (!u) return { ok: false, reason: 'is not an absolute URI' };
  if (u.protocol !== 'http:') return { ok: false, reason: 'must use http on a loopback address (RFC 8252)' };
  if (!isLoopback(u))
    return { ok: false, reason: 'must point at 127.0.0.1 or [::1] (loopback redirect, RFC 8252)' };
  if (u.username || u.password) return { ok: false, reason: 'must not contain user information' };
  if (u.hash || String(uri).includes('#')) return { ok: false, reason: 'must not contain a fragment' };
  return { ok: true, canonical: u.href };
}

/**
 * True when `presented` is allowed by one of the registered URIs.
 *
 * @example matchRedirectUri(['http://127.0.0.1/oauth/callback'], 'http://127.0.0.1:43103/oauth/callback') // true
 */
export function matchRedirectUri(registered: readonly string[], presented: unknown): boolean {
  const p = parse(presented);
  if (!p || p.href !== presented) return false;
  if (p.username || p.password || p.hash || p.protocol !== 'http:' || !isLoopback(p)) return false;
  for (const r of registered) {
    const u = parse(r);
    if (!u) continue;
    if (u.protocol !== p.protocol || u.hostname !== p.hostname) continue;
    if (u.pathname !== p.pathname || u.search !== p.search) continue;
    if (!isLoopback(u) && u.port !== p.port) continue;
    return true;
  }
  return false;
}
