/**
 * Paths as the browser sees them when the public URL has a path prefix
 * (`IDCENTER_PUBLIC_URL=https://example.com/idc`, behind a proxy that forwards `/idc/…`
 * unchanged). Routes are registered without the prefix (http/app.ts strips it on the way in),
 * and handlers, return parameters and their open-redirect checks all work with app paths
 * (`/signin?x=1`). Whatever leaves for the browser as a URL — links, form actions, asset URLs,
 * `Location` headers — goes through `webPath` on the way out. Without a prefix it changes
 * nothing. (Cookies keep `Path=/`: see `setCookie`.)
 */

/** The public URL's path prefix: '' at the root, else e.g. '/idc' (never a trailing slash). */
export function pathPrefix(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/+$/, '');
}

/** The path a browser must use for an app path: `webPath('/idc', '/signin?x=1')` is `/idc/signin?x=1`. */
export function webPath(prefix: string, appPath: string): string {
  return `${prefix}${appPath}`;
}

/**
 * The app path of a same-site path that may carry the prefix (`/idc/device` → `/device`): the
 * rule incoming URLs are routed by (`rewriteUrl` in http/app.ts); anything else is returned as
 * it is.
 */
export function stripPrefix(prefix: string, path: string): string {
  if (!prefix) return path;
  const q = path.search(/[?#]/);
  const p = q === -1 ? path : path.slice(0, q);
  if (p !== prefix && !p.startsWith(`${prefix}/`)) return path;
  const rest = p.slice(prefix.length) || '/';
  return q === -1 ? rest : rest + path.slice(q);
}
