/**
 * Which start URLs name this instance (docs/wire-protocols.md, "Start URL resolution"): the
 * configured start URL, the synthetic AWS-owned URL that `HEAD <start URL>` redirects AWS CLI v2 to
 * (`https://<instance id>.portal.<region>.app.aws`), and any configured alias. Compared after
 * normalisation: lower-case scheme and host, default port dropped, trailing slashes, query and
 * fragment dropped.
 */
import type { Config } from '../../config/schema.ts';

/** The URL `HEAD <start URL>` answers with. */
export function resolvedPortalUrl(instanceId: string, region: string): string {
  return `https://${instanceId}.portal.${region}.app.aws/`;
}

/** Normal form for comparison, or null when not an http(s) URL. */
export function normalizeStartUrl(url: unknown): string | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > 2048) return null;
  try {
    const u = new URL(url.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.username || u.password) return null;
    const path = u.pathname.replace(/\/+$/, '');
    // WHATWG URL parsing already lower-cases scheme and host and drops a default port.
    return `${u.protocol}//${u.host}${path}`;
  } catch {
    return null;
  }
}

/** A predicate for "this URL names our instance", built once. */
export function startUrlMatcher(config: Config, instanceId: string): (url: unknown) => boolean {
  const accepted = new Set<string>();
  for (const u of [
    config.startUrl,
    resolvedPortalUrl(instanceId, config.region),
    ...config.startUrlAliases,
  ]) {
    const n = normalizeStartUrl(u);
    if (n) accepted.add(n);
  }
  return (url: unknown) => {
    const n = normalizeStartUrl(url);
    return n !== null && accepted.has(n);
  };
}
