/**
 * Finding an idcenter server from its start URL (docs/cli.md): the server
 * publishes its endpoints and region at `<public URL>/.well-known/idcenter-configuration`, and
 * its start URL is `<public URL>/start`, so the document sits beside the start URL. A start URL
 * of AWS IAM Identity Center is never looked up: its endpoints are AWS's.
 */

import type { HttpClient } from './http.ts';
import { normalizeUrl } from './url-form.ts';

export const DISCOVERY_PATH = '/.well-known/idcenter-configuration';

export interface ServerConfiguration {
  startUrl: string;
  startUrls: string[];
  region: string;
  ssoEndpoint: string;
  ssoOidcEndpoint: string;
  stsEndpoint: string;
  /** The server's HTTPS certificate comes from the authority it generated (a private CA). */
  generatedCa: boolean;
  /** Where the document was read. */
  url: string;
}

/** Start URLs of AWS IAM Identity Center (`d-….awsapps.com/start`, `ssoins-….portal.<region>.app.aws`). */
export function isAwsStartUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return [/\.awsapps\.com$/, /\.awsapps\.cn$/, /\.app\.aws$/, /\.amazonaws\.com(\.cn)?$/].some((re) =>
    re.test(host),
  );
}

/**
 * Where the document may be: beside the start URL (the public URL is the start URL without its
 * last segment, path prefix kept), then at the host's root.
 */
export function discoveryUrls(base: string): string[] {
  const u = new URL(base);
  const path = u.pathname.replace(/\/+$/, '');
  const beside = path.replace(/\/[^/]*$/, '');
  const out = new Set<string>();
  out.add(`${u.origin}${beside}${DISCOVERY_PATH}`);
  // An endpoint URL (not a start URL) is the public URL itself.
  if (!/\/start$/i.test(path)) out.add(`${u.origin}${path}${DISCOVERY_PATH}`);
  out.add(`${u.origin}${DISCOVERY_PATH}`);
  return [...out];
}

function parse(text: string, url: string): ServerConfiguration | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const s = (k: string) => (typeof v?.[k] === 'string' ? (v[k] as string) : undefined);
  const startUrl = s('start_url');
  const region = s('region');
  const sso = s('sso_endpoint');
  const oidc = s('sso_oidc_endpoint');
  const sts = s('sts_endpoint');
  if (!startUrl || !region || !sso || !oidc || !sts) return undefined;
  const startUrls = Array.isArray(v.start_urls)
    ? (v.start_urls as unknown[]).filter((x): x is string => typeof x === 'string')
    : [startUrl];
  return {
    startUrl,
    startUrls,
    region,
    ssoEndpoint: sso,
    ssoOidcEndpoint: oidc,
    stsEndpoint: sts,
    generatedCa: v.generated_ca === true,
    url,
  };
}

/**
 * Read the server's configuration from the first place that has it. Undefined when none does
 * (not an idcenter server); a connection failure (refused, untrusted certificate) is thrown as
 * the HTTP client reports it, since it says more than "not found".
 */
export async function discoverServer(
  http: HttpClient,
  base: string,
): Promise<ServerConfiguration | undefined> {
  let failure: unknown;
  for (const url of discoveryUrls(base)) {
    try {
      const res = await http.request({ method: 'GET', url, operation: 'DiscoverServer', timeoutMs: 10_000 });
      if (res.status === 200) {
        const doc = parse(res.body, url);
        if (doc) return doc;
      }
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure) throw failure;
  return undefined;
}

/** Whether the server accepts `startUrl` as its own (compared as the server compares them). */
export function acceptsStartUrl(doc: ServerConfiguration, startUrl: string): boolean {
  const mine = normalizeUrl(startUrl);
  return mine !== null && doc.startUrls.some((u) => normalizeUrl(u) === mine);
}
