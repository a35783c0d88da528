/**
 * The page frame every HTML page uses (a contract: the access portal builds on it): the
 * document, the stylesheets, a header with the product name linking to `/start` and, when
 * signed in, the person's display name, a Profile link and a sign-out form. Scripts are only
 * ever external files (`assetUrl`), never inline: the CSP forbids inline script.
 */
import { assetUrl } from './assets.ts';
import { csrfField } from './csrf.ts';
import { type Html, html } from './html.ts';
import { webPath } from './paths.ts';
import type { PortalSessionInfo } from './session.ts';
import { displayText } from './text.ts';

export const PRODUCT_NAME = 'idcenter';

export interface PageOptions {
  title: string;
  body: Html;
  /** The public URL's path prefix (`pathPrefix`): every URL of the frame starts with it. */
  prefix: string;
  session?: PortalSessionInfo | null;
  /** A narrow centred card layout (sign-in, consent). */
  narrow?: boolean;
  /** Static script file names (e.g. 'portal.js'), loaded as modules (which run deferred). */
  scripts?: string[];
  /** Static stylesheets beyond the two every page has (e.g. 'admin.css'). */
  styles?: string[];
  /** Markup between the header and the page's main content (the admin console's navigation). */
  beforeMain?: Html;
}

/**
 * A complete HTML document.
 *
 * @example sendPage(reply, page({ title: 'Accounts', body: html`<h1>Accounts</h1>`, session, prefix }))
 */
export function page(opts: PageOptions): Html {
  const session = opts.session ?? null;
  const to = (path: string) => webPath(opts.prefix, path);
  const scripts = (opts.scripts ?? []).map(
    (s) => html`<script type="module" src="${to(assetUrl(s))}"></script>`,
  );
  const styles = (opts.styles ?? []).map((s) => html`<link rel="stylesheet" href="${to(assetUrl(s))}">`);
  const nav = session
    ? html`<nav class="account" aria-label="Account">
        <span class="who wrap">${displayText(session.displayName || session.userName, 64)}</span>
        <a href="${to('/profile')}">Profile</a>
        <form method="post" action="${to('/signout')}" class="inline">${csrfField(session)}<button type="submit" class="secondary small">Sign out</button></form>
      </nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · ${PRODUCT_NAME}</title>
<link rel="icon" type="image/svg+xml" href="${to(assetUrl('favicon.svg'))}">
<link rel="stylesheet" href="${to(assetUrl('app.css'))}">
<link rel="stylesheet" href="${to(assetUrl('auth.css'))}">
${styles}
${scripts}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="${to('/start')}">${PRODUCT_NAME}</a>${nav}</header>
${opts.beforeMain ?? ''}
<main id="main"${opts.narrow ? html` class="narrow"` : ''}>
${opts.body}
</main>
</body>
</html>
`;
}
