/**
 * Headers every HTML response carries: a strict CSP without 'unsafe-inline' (scripts and styles
 * only from our own fingerprinted files), no framing, no sniffing, no referrer leaks, and no
 * caching of pages that show personal data (so the back button after sign-out shows nothing).
 */
import type { FastifyReply } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  // CSP host sources cannot name IPv6 literals; a consent page that redirects to http://[::1]
  // widens this for itself (setPageHeaders' formActionIpv6Loopback option).
  "form-action 'self' http://127.0.0.1:* http://localhost:*",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface PageHeaderOptions {
  formActionIpv6Loopback?: boolean;
  /**
   * Origins a form of the page may submit to beside this server: the console sign-in page
   * POSTs to AWS's sign-in endpoint (and AWS redirects that POST to the console, which browsers
   * check against `form-action` too). They replace the loopback origins of the default.
   */
  formActionOrigins?: readonly string[];
}

/** The policy for a page: the strict default, with `form-action` widened as `options` say. */
export function contentSecurityPolicy(options: PageHeaderOptions = {}): string {
  if (options.formActionOrigins) {
    return CONTENT_SECURITY_POLICY.replace(
      /form-action [^;]*/,
      `form-action 'self' ${options.formActionOrigins.join(' ')}`,
    );
  }
  return options.formActionIpv6Loopback
    ? CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' http:")
    : CONTENT_SECURITY_POLICY;
}

export function setPageHeaders(reply: FastifyReply, options: PageHeaderOptions = {}): void {
  reply.header('content-security-policy', contentSecurityPolicy(options));
  reply.header('x-frame-options', 'DENY');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/** Send a full HTML page with the security headers. */
export function sendPage(
  reply: FastifyReply,
  body: { toString(): string },
  status = 200,
  options: PageHeaderOptions = {},
): FastifyReply {
  setPageHeaders(reply, options);
  return reply.code(status).type('text/html; charset=utf-8').send(body.toString());
}
