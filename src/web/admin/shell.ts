/**
 * The admin console's frame: the portal's page (`layout.ts`) with the console's navigation,
 * its stylesheet, and the pieces every console page shares (a search form, paging links, times,
 * status badges, notices). Server-rendered, no script: every control is a link, a button or a
 * labelled field, so the console works from the keyboard alone.
 */
import { type Html, html } from '../html.ts';
import { page } from '../layout.ts';
import { webPath } from '../paths.ts';
import type { PortalSessionInfo } from '../session.ts';
import { displayText } from '../text.ts';

export type Section = 'users' | 'groups' | 'accounts' | 'permission-sets' | 'sessions' | 'audit';

const SECTIONS: ReadonlyArray<[Section, string]> = [
  ['users', 'Users'],
  ['groups', 'Groups'],
  ['accounts', 'Accounts'],
  ['permission-sets', 'Permission sets'],
  ['sessions', 'Sessions'],
  ['audit', 'Audit log'],
];

export interface AdminPageOptions {
  prefix: string;
  session: PortalSessionInfo;
  section: Section;
  title: string;
  body: Html;
}

/** A complete console page. */
export function adminPage(o: AdminPageOptions): Html {
  const to = (path: string) => webPath(o.prefix, path);
  const nav = html`<nav class="admin-nav" aria-label="Admin console">
    <span class="admin-label">Admin console</span>
    <ul>${SECTIONS.map(
      ([id, label]) =>
        html`<li><a href="${to(`/admin/${id}`)}"${id === o.section ? html` aria-current="page"` : ''}>${label}</a></li>`,
    )}</ul>
  </nav>`;
  return page({
    title: `${o.title} · Admin`,
    session: o.session,
    prefix: o.prefix,
    styles: ['admin.css'],
    beforeMain: nav,
    body: o.body,
  });
}

/** A time in UTC, machine-readable too. */
export function when(ms: number): Html {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** Directory text shown as text: escaped by `html`, made honest by `displayText`. */
export function text(s: string | null | undefined, max = 128): Html {
  return s ? html`<bdi>${displayText(s, max)}</bdi>` : html`<span class="muted">none</span>`;
}

export function statusBadge(status: string): Html {
  return status === 'ENABLED'
    ? html`<span class="badge">Enabled</span>`
    : html`<span class="badge off">${status === 'DISABLED' ? 'Disabled' : status}</span>`;
}

export function sourceBadge(source: string): Html {
  return source === 'directory' ? html`<span class="badge dir">Directory</span>` : html``;
}

/** A notice after a change (`?done=…`), announced politely. */
export function notice(message: string | undefined): Html {
  return message ? html`<p class="notice" role="status">${message}</p>` : html``;
}

/** The search form of a list page: a GET form with one labelled field. */
export function searchForm(o: {
  prefix: string;
  path: string;
  label: string;
  value: string;
  hint?: string;
}): Html {
  return html`<form method="get" action="${webPath(o.prefix, o.path)}" class="search" role="search">
    <label for="q">${o.label}</label>
    <div class="search-row">
      <input type="search" id="q" name="q" value="${o.value}" maxlength="128" autocomplete="off"${o.hint ? html` aria-describedby="q-hint"` : ''}>
      <button type="submit">Search</button>
    </div>
    ${o.hint ? html`<p class="muted small" id="q-hint">${o.hint}</p>` : ''}
  </form>`;
}

/**
 * Hidden fields carrying a page's parameters that are set (where its lists are) in a form that
 * comes back to it.
 */
export function hiddenFields(params: Readonly<Record<string, string | undefined>>): Html {
  return html`${Object.entries(params).map(([name, value]) => (value ? html`<input type="hidden" name="${name}" value="${value}">` : ''))}`;
}

/**
 * Paging links: back to the first page, back to the previous one (`before` = the first key
 * shown, on lists that read both ways), and on to the next one (`after` = the last key shown).
 * Keys travel in the query string; `params` are the page's other parameters (the search).
 */
export function pager(o: {
  prefix: string;
  path: string;
  params: Record<string, string | undefined>;
  isFirst: boolean;
  next: string | undefined;
  nextParam?: string;
  prev?: string | undefined;
  prevParam?: string;
  /** What the links page through, when a page has more than one list. */
  label?: string;
}): Html {
  const base = new URLSearchParams();
  for (const [k, v] of Object.entries(o.params)) if (v) base.set(k, v);
  const first = base.toString();
  const link = (q: string) => webPath(o.prefix, `${o.path}${q ? `?${q}` : ''}`);
  let nextLink: Html | string = '';
  if (o.next !== undefined) {
    const n = new URLSearchParams(base);
    n.set(o.nextParam ?? 'after', o.next);
    nextLink = html`<a class="button secondary small" rel="next" href="${link(n.toString())}">Next page</a>`;
  }
  let prevLink: Html | string = '';
  if (o.prev !== undefined) {
    const p = new URLSearchParams(base);
    p.set(o.prevParam ?? 'before', o.prev);
    prevLink = html`<a class="button secondary small" rel="prev" href="${link(p.toString())}">Previous page</a>`;
  }
  if (o.isFirst && !nextLink) return html``;
  return html`<nav class="pager" aria-label="${o.label ?? 'Pages'}">
    ${o.isFirst ? '' : html`<a class="button secondary small" href="${link(first)}">First page</a>`}
    ${prevLink}
    ${nextLink}
  </nav>`;
}
