/**
 * The form in which two start URLs are compared: lower-case scheme and host (the URL parser's
 * doing), default port dropped, trailing slashes, query and fragment dropped; as the server
 * compares them.
 */
export function normalizeUrl(url: string): string | null {
  try {
    const u = new URL(url.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}
