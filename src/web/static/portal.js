// @ts-check
// idcenter access portal: the account list with its search, and the "Get credentials" dialog.
// Plain script, no framework, no eval, no innerHTML with data: every name, id and value reaches
// the page through textContent, so hostile account or permission-set names stay text.
// The page (src/web/portal/start-page.ts) renders the shell and the dialog's static markup;
// this file fills them from GET /start/access.json (one request for every account and role)
// and POST /start/credentials (CSRF header, session cookie).
// A module: names are shown through `readable` (display-text.js), the server's own rule.
// Type-checked (`npm run typecheck`, tsconfig.browser.json) through the JSDoc types below.
import { readable } from './display-text.js';

/**
 * An account as the list keeps it; `key` is what the search box matches.
 * `console`: an `aws` account on SAML federation, whose roles open the AWS Management Console.
 * @typedef {{ id: string, name: string, email: string, roles: string[], console: boolean, key: string }} Account
 * `stsEndpoint` and `region` come with credentials that only this server accepts (a `local`
 * account); every option the dialog shows then carries them too, so what is copied works as pasted.
 * @typedef {{ accessKeyId: string, secretAccessKey: string, sessionToken: string, expiration: number, stsEndpoint?: string, region?: string }} Credentials
 */

(() => {
  const found = document.getElementById('portal');
  if (!found) return;
  const root = found;
  const cfg = {
    csrf: root.dataset.csrf || '',
    accessUrl: root.dataset.accessUrl || '/start/access.json',
    credentialsUrl: root.dataset.credentialsUrl || '/start/credentials',
    consoleUrl: root.dataset.consoleUrl || '/start/console',
    signinUrl: root.dataset.signinUrl || '/start',
  };

  /**
   * Rows rendered per chunk: more than a tall screen holds, few enough that a keystroke in the
   * search box re-renders in a few milliseconds. Scrolling near the end renders the next chunk.
   */
  const CHUNK = 50;
  const numberFmt = new Intl.NumberFormat();

  // A page restored from the back/forward cache after sign-out must not show anything usable.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload();
  });

  // ---------- small DOM helpers (text only) ----------
  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {string} [className]
   * @param {string} [text]
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** The element an event happened on (every listener here is on an element). */
  const targetOf = (/** @type {Event} */ event) => /** @type {Element} */ (event.target);

  // ---------- top-level tabs: Accounts / Applications ----------
  setupTabs(/** @type {HTMLElement | null} */ (document.querySelector('[data-tabs="portal"]')), null);

  /**
   * ARIA tabs (WAI-ARIA Authoring Practices "Tabs with automatic activation"): arrow keys,
   * Home and End move between tabs, only the selected tab is in the tab order.
   *
   * @param {HTMLElement | null} tablist
   * @param {((tab: HTMLElement) => void) | null} onSelect
   */
  function setupTabs(tablist, onSelect) {
    if (!tablist) return null;
    const tabs = Array.from(
      /** @type {NodeListOf<HTMLElement>} */ (tablist.querySelectorAll('[role="tab"]')),
    );
    /** @param {HTMLElement} tab @param {boolean} focus */
    function select(tab, focus) {
      for (const t of tabs) {
        const on = t === tab;
        t.setAttribute('aria-selected', on ? 'true' : 'false');
        t.tabIndex = on ? 0 : -1;
        const panel = document.getElementById(t.getAttribute('aria-controls') ?? '');
        if (panel) panel.hidden = !on;
      }
      if (focus) tab.focus();
      if (onSelect) onSelect(tab);
    }
    tablist.addEventListener('click', (event) => {
      const tab = /** @type {HTMLElement | null} */ (targetOf(event).closest('[role="tab"]'));
      if (tab && tabs.includes(tab)) select(tab, false);
    });
    tablist.addEventListener('keydown', (event) => {
      const i = tabs.indexOf(/** @type {HTMLElement} */ (document.activeElement));
      if (i < 0) return;
      let next = -1;
      if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = (i + 1) % tabs.length;
      else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp')
        next = (i - 1 + tabs.length) % tabs.length;
      else if (event.key === 'Home') next = 0;
      else if (event.key === 'End') next = tabs.length - 1;
      const tab = tabs[next];
      if (!tab) return;
      event.preventDefault();
      select(tab, true);
    });
    return { tabs, select };
  }

  // ---------- account list ----------
  // The page (start-page.ts) always renders these.
  const list = /** @type {HTMLElement} */ (document.getElementById('account-list'));
  const filterInput = /** @type {HTMLInputElement} */ (document.getElementById('account-filter'));
  const status = /** @type {HTMLElement} */ (document.getElementById('account-status'));
  const more = /** @type {HTMLElement} */ (document.getElementById('account-more'));

  /** @type {Account[]} */
  let accounts = [];
  /** @type {Account[]} */
  let matches = [];
  let shown = 0;
  let query = '';
  /** @type {Set<string>} ids of the accounts whose roles are open */
  const expanded = new Set();

  /** @param {string} q */
  function normalise(q) {
    const t = q.trim().toLowerCase();
    // "1111-2222-3333" and "1111 2222 3333" find account 111122223333.
    return /^[\d\s-]+$/.test(t) ? t.replace(/[\s-]/g, '') : t;
  }

  function applyFilter() {
    query = normalise(filterInput.value);
    if (query === '') matches = accounts;
    else {
      matches = [];
      for (const a of accounts) if (a.key.includes(query)) matches.push(a);
    }
    list.textContent = '';
    shown = 0;
    renderMore();
    updateStatus();
  }

  function updateStatus() {
    const total = accounts.length;
    let text;
    if (total === 0) text = 'You have no AWS accounts assigned yet. Ask your administrator for access.';
    else if (query === '') text = `${numberFmt.format(total)} ${total === 1 ? 'account' : 'accounts'}`;
    else if (matches.length === 0) text = `No accounts match “${filterInput.value.trim()}”.`;
    else
      text = `${numberFmt.format(matches.length)} of ${numberFmt.format(total)} accounts match “${filterInput.value.trim()}”`;
    status.textContent = text;
  }

  function renderMore() {
    const end = Math.min(matches.length, shown + CHUNK);
    const frag = document.createDocumentFragment();
    for (let i = shown; i < end; i++) frag.append(rowFor(/** @type {Account} */ (matches[i])));
    list.append(frag);
    shown = end;
    const left = matches.length - shown;
    more.hidden = left <= 0;
    if (left > 0) {
      const button = /** @type {HTMLButtonElement} */ (more.querySelector('button'));
      button.textContent = `Show ${numberFmt.format(Math.min(CHUNK, left))} more (${numberFmt.format(left)} not shown)`;
    }
  }

  /** Each account's row is built once and reused by every later filter (it keeps its state). */
  /** @type {Map<string, HTMLLIElement>} */
  const rows = new Map();
  /** @param {Account} a */
  function rowFor(a) {
    let li = rows.get(a.id);
    if (!li) {
      li = accountItem(a);
      rows.set(a.id, li);
    }
    return li;
  }

  /** @param {Account} a */
  function accountItem(a) {
    const li = el('li', 'account-row');
    li.dataset.accountId = a.id;
    const heading = el('h3', 'account-heading');
    const toggle = el('button', 'account-toggle');
    toggle.type = 'button';
    toggle.setAttribute('aria-expanded', expanded.has(a.id) ? 'true' : 'false');
    toggle.setAttribute('aria-controls', `roles-${a.id}`);
    toggle.append(el('span', 'chevron'));
    const text = el('span', 'account-text');
    const name = el('bdi', 'account-name', readable(a.name));
    const meta = el('span', 'account-meta');
    meta.append(el('span', 'account-id', a.id));
    const email = el('bdi', 'account-email', readable(a.email));
    meta.append(el('span', 'sep', '|'), email);
    text.append(name, meta);
    toggle.append(text);
    heading.append(toggle);
    li.append(heading);
    const roles = el('ul', 'roles');
    roles.id = `roles-${a.id}`;
    roles.hidden = !expanded.has(a.id);
    if (expanded.has(a.id)) fillRoles(roles, a);
    li.append(roles);
    return li;
  }

  /** @param {HTMLElement} ul @param {Account} a */
  function fillRoles(ul, a) {
    ul.textContent = '';
    for (const role of a.roles) {
      const li = el('li', 'role');
      if (a.console) {
        // The permission set's name opens the AWS Management Console as its role, in a new tab
        // (as the AWS access portal does); the server signs the user in to AWS with SAML.
        const link = el('a', 'role-name console-link');
        link.href = `${cfg.consoleUrl}?${new URLSearchParams({ account: a.id, role }).toString()}`;
        link.target = '_blank';
        link.rel = 'noopener';
        link.title = `Open the AWS Management Console as ${readable(role)}`;
        link.append(el('bdi', '', readable(role)));
        li.append(link);
      } else li.append(el('bdi', 'role-name', readable(role)));
      const keys = el('button', 'link access-keys', 'Access keys');
      keys.type = 'button';
      keys.dataset.role = role;
      keys.setAttribute('aria-label', `Access keys for ${readable(role)} in ${readable(a.name)}`);
      li.append(keys);
      ul.append(li);
    }
  }

  /** @type {Map<string, Account>} */
  const byId = new Map();

  list.addEventListener('click', (event) => {
    const toggle = targetOf(event).closest('.account-toggle');
    if (toggle) {
      const li = /** @type {HTMLElement} */ (toggle.closest('.account-row'));
      const a = /** @type {Account} */ (byId.get(li.dataset.accountId ?? ''));
      const ul = /** @type {HTMLElement} */ (li.querySelector('.roles'));
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open) {
        expanded.add(a.id);
        if (!ul.firstChild) fillRoles(ul, a);
      } else expanded.delete(a.id);
      ul.hidden = !open;
      return;
    }
    const keys = /** @type {HTMLElement | null} */ (targetOf(event).closest('.access-keys'));
    if (keys) {
      const row = /** @type {HTMLElement} */ (keys.closest('.account-row'));
      const a = /** @type {Account} */ (byId.get(row.dataset.accountId ?? ''));
      openDialog(a, keys.dataset.role ?? '', keys);
    }
  });

  // Arrow keys move between account rows, as in a list; Down from the search box enters it.
  list.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const toggle = /** @type {HTMLElement | null} */ (targetOf(event).closest('.account-toggle'));
    if (!toggle) return;
    const toggles = Array.from(
      /** @type {NodeListOf<HTMLElement>} */ (list.querySelectorAll('.account-toggle')),
    );
    const i = toggles.indexOf(toggle);
    const next = toggles[event.key === 'ArrowDown' ? i + 1 : i - 1];
    event.preventDefault();
    if (next) next.focus();
    else if (event.key === 'ArrowUp') filterInput.focus();
  });

  filterInput.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown') {
      const first = /** @type {HTMLElement | null} */ (list.querySelector('.account-toggle'));
      if (first) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === 'Escape' && filterInput.value !== '') {
      filterInput.value = '';
      applyFilter();
    }
  });
  filterInput.addEventListener('input', applyFilter);

  /** @type {HTMLButtonElement} */ (more.querySelector('button')).addEventListener('click', () => {
    const first = shown;
    renderMore();
    // Keep keyboard users where the new rows begin.
    const toggles = /** @type {NodeListOf<HTMLElement>} */ (list.querySelectorAll('.account-toggle'));
    toggles[first]?.focus();
  });
  // Scrolling near the end of the list loads the next chunk without a click.
  if ('IntersectionObserver' in window) {
    new IntersectionObserver(
      (entries) => {
        for (const e of entries) if (e.isIntersecting && !more.hidden) renderMore();
      },
      { rootMargin: '400px' },
    ).observe(more);
  }

  async function loadAccess() {
    status.textContent = 'Loading accounts…';
    let res;
    try {
      res = await fetch(cfg.accessUrl, {
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      });
    } catch {
      return showLoadError('The server could not be reached.');
    }
    if (res.status === 401) {
      window.location.assign(cfg.signinUrl);
      return;
    }
    if (!res.ok) return showLoadError(`The server answered ${res.status}.`);
    /** @type {{ accounts: { accountId: string, accountName: string, emailAddress: string, roles: string[], console?: boolean }[] }} */
    const data = await res.json();
    accounts = data.accounts.map((a) => ({
      id: a.accountId,
      name: a.accountName,
      email: a.emailAddress,
      roles: a.roles,
      console: a.console === true,
      key: `${a.accountName}\u0000${a.accountId}\u0000${a.emailAddress}`.toLowerCase(),
    }));
    for (const a of accounts) byId.set(a.id, a);
    filterInput.disabled = false;
    root.dataset.state = 'ready';
    applyFilter();
    // User Timing marks: when the list is in the DOM, and after the frame that paints it.
    performance.mark('idcenter:accounts-rendered');
    requestAnimationFrame(() => setTimeout(() => performance.mark('idcenter:accounts-painted'), 0));
  }

  /** @param {string} message */
  function showLoadError(message) {
    status.textContent = `Your accounts could not be loaded. ${message}`;
    const retry = el('button', 'secondary', 'Try again');
    retry.type = 'button';
    retry.addEventListener('click', () => {
      retry.remove();
      void loadAccess();
    });
    status.append(' ', retry);
  }

  // ---------- credentials dialog ----------
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('cred-dialog'));
  const live = /** @type {HTMLElement} */ (document.getElementById('portal-live'));
  const field = (/** @type {string} */ name) => dialog.querySelectorAll(`[data-field="${name}"]`);
  const setField = (/** @type {string} */ name, /** @type {string} */ value) => {
    for (const node of field(name)) node.textContent = value;
  };
  /** @type {HTMLElement | null} the "Access keys" button that opened the dialog */
  let opener = null;
  /** @type {AbortController | null} */
  let pending = null;
  let timer = 0;
  let expiresAt = 0;
  /** @type {{ account: Account, role: string } | null} */
  let current = null;

  const osTabs = setupTabs(
    /** @type {HTMLElement | null} */ (dialog.querySelector('[data-tabs="os"]')),
    (tab) => {
      try {
        localStorage.setItem('idcenter.os', tab.dataset.os ?? '');
      } catch {
        // storage may be disabled; the choice is a convenience only
      }
    },
  );
  (function defaultOsTab() {
    if (!osTabs) return;
    /** @type {string | null} */
    let os = null;
    try {
      os = localStorage.getItem('idcenter.os');
    } catch {
      os = null;
    }
    if (!os) {
      /** @type {Navigator & { userAgentData?: { platform?: string } }} */
      const nav = navigator;
      const platform = nav.userAgentData?.platform || nav.platform || '';
      os = /win/i.test(platform) ? 'windows' : 'unix';
    }
    const tab = osTabs.tabs.find((t) => t.dataset.os === os) || osTabs.tabs[0];
    if (tab) osTabs.select(tab, false);
  })();

  /** @param {string} state */
  function setState(state) {
    for (const node of /** @type {NodeListOf<HTMLElement>} */ (dialog.querySelectorAll('[data-state]')))
      node.hidden = node.dataset.state !== state;
  }

  /** @param {Account} account @param {string} role @param {HTMLElement} button */
  function openDialog(account, role, button) {
    opener = button;
    current = { account, role };
    setField('role', readable(role));
    setField('account-name', readable(account.name));
    setField('account-id', account.id);
    clearSecrets();
    setState('loading');
    if (!dialog.open) dialog.showModal();
    /** @type {HTMLElement} */ (dialog.querySelector('[data-close]')).focus();
    void requestCredentials(account, role);
  }

  /** @param {Account} account @param {string} role */
  async function requestCredentials(account, role) {
    if (pending) pending.abort();
    const controller = new AbortController();
    pending = controller;
    let res;
    try {
      res = await fetch(cfg.credentialsUrl, {
        method: 'POST',
        credentials: 'same-origin',
        signal: controller.signal,
        headers: { 'content-type': 'application/json', 'x-csrf-token': cfg.csrf, accept: 'application/json' },
        body: JSON.stringify({ accountId: account.id, roleName: role }),
      });
    } catch (_err) {
      if (controller.signal.aborted) return;
      return showError('The server could not be reached. Try again.');
    }
    if (controller.signal.aborted) return;
    pending = null;
    /** @type {(Credentials & { message?: string }) | null} */
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (res.status === 401)
      return showError('Your session has ended. Sign in again to get credentials.', true);
    if (!res.ok || !body) return showError(body?.message || `The server answered ${res.status}.`);
    showCredentials(account, role, body);
  }

  /** @param {string} message @param {boolean} [signIn] */
  function showError(message, signIn) {
    setField('error', message);
    const link = /** @type {HTMLElement | null} */ (dialog.querySelector('[data-signin]'));
    if (link) link.hidden = !signIn;
    setState('error');
  }

  /** @param {string} kind @param {Credentials} c */
  function envLines(kind, c) {
    const vars = [
      ['AWS_ACCESS_KEY_ID', c.accessKeyId],
      ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
      ['AWS_SESSION_TOKEN', c.sessionToken],
    ];
    if (c.stsEndpoint && c.region)
      vars.push(
        ['AWS_ENDPOINT_URL_STS', c.stsEndpoint],
        ['AWS_REGION', c.region],
        ['AWS_DEFAULT_REGION', c.region],
      );
    if (kind === 'windows') return vars.map(([k, v]) => `set ${k}=${v}`).join('\n');
    if (kind === 'powershell') return vars.map(([k, v]) => `$Env:${k}="${v}"`).join('\n');
    return vars.map(([k, v]) => `export ${k}="${v}"`).join('\n');
  }

  /**
   * The ~/.aws/config lines of the credentials-file profile: its region, and a services section
   * of its own (no clash when several are pasted) sending its STS calls to this server.
   * @param {string} name @param {Credentials} c
   */
  function configLines(name, c) {
    return [
      `[profile ${name}]`,
      `region = ${c.region}`,
      `services = ${name}`,
      '',
      `[services ${name}]`,
      'sts =',
      `  endpoint_url = ${c.stsEndpoint}`,
    ].join('\n');
  }

  /** @param {Account} account @param {string} role @param {Credentials} c */
  function showCredentials(account, role, c) {
    const local = Boolean(c.stsEndpoint && c.region);
    const profile = `${account.id}_${role}`;
    setField('env-unix', envLines('unix', c));
    setField('env-windows', envLines('windows', c));
    setField('env-powershell', envLines('powershell', c));
    setField(
      'profile',
      `[${profile}]\naws_access_key_id=${c.accessKeyId}\naws_secret_access_key=${c.secretAccessKey}\naws_session_token=${c.sessionToken}`,
    );
    setField('config-profile', local ? configLines(profile, c) : '');
    setField('access-key-id', c.accessKeyId);
    setField('secret-access-key', c.secretAccessKey);
    setField('session-token', c.sessionToken);
    setField('sts-endpoint', c.stsEndpoint ?? '');
    setField('region', c.region ?? '');
    for (const node of /** @type {NodeListOf<HTMLElement>} */ (dialog.querySelectorAll('[data-local-only]')))
      node.hidden = !local;
    expiresAt = c.expiration;
    const when = new Date(c.expiration);
    const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });
    for (const t of field('expires')) {
      t.textContent = fmt.format(when);
      t.setAttribute('datetime', when.toISOString());
    }
    setState('ready');
    tick();
    clearInterval(timer);
    timer = setInterval(tick, 1000);
  }

  function tick() {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    const expired = left === 0;
    if (expired) {
      setField('countdown', 'expired');
      clearInterval(timer);
    } else {
      const h = Math.floor(left / 3600);
      const m = Math.floor((left % 3600) / 60);
      const s = left % 60;
      setField('countdown', `${h > 0 ? `${h} h ` : ''}${h > 0 || m > 0 ? `${m} min ` : ''}${s} s left`);
    }
    dialog.classList.toggle('expired', expired);
    const refresh = /** @type {HTMLElement | null} */ (dialog.querySelector('[data-expired]'));
    if (refresh) refresh.hidden = !expired;
  }

  function clearSecrets() {
    for (const name of [
      'env-unix',
      'env-windows',
      'env-powershell',
      'profile',
      'config-profile',
      'access-key-id',
      'secret-access-key',
      'session-token',
      'sts-endpoint',
      'region',
      'expires',
      'countdown',
    ])
      setField(name, '');
    clearInterval(timer);
  }

  /** Drops the credentials shown and any request still on its way. */
  function forget() {
    if (pending) pending.abort();
    pending = null;
    clearSecrets();
  }

  // Closing by button, Escape (the dialog's cancel) or the backdrop; focus goes back to the
  // "Access keys" button that opened it, and the secrets leave the page. The browser fires
  // "close" a task after the dialog is gone, so the ways this page sees coming clear the
  // secrets at once, and "close" covers the rest.
  dialog.addEventListener('click', (event) => {
    const target = targetOf(event);
    if (target === dialog || target.closest('[data-close]')) {
      forget();
      dialog.close();
    }
    const again = target.closest('[data-refresh]');
    if (again && current) {
      clearSecrets();
      setState('loading');
      void requestCredentials(current.account, current.role);
    }
  });
  dialog.addEventListener('cancel', forget);
  dialog.addEventListener('close', () => {
    forget();
    current = null;
    const back = opener;
    opener = null;
    if (back?.isConnected) back.focus();
  });

  // Focus stays inside the modal: Tab from the last control wraps to the first and back.
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    const focusable = Array.from(
      /** @type {NodeListOf<HTMLElement>} */ (
        dialog.querySelectorAll('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])')
      ),
    ).filter((n) => !('disabled' in n && n.disabled) && n.getClientRects().length > 0 && n.tabIndex >= 0);
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  // Copy buttons: data-copy names the field whose text is copied (within the same section).
  dialog.addEventListener('click', (event) => {
    const button = /** @type {HTMLElement | null} */ (targetOf(event).closest('[data-copy]'));
    if (!button) return;
    const scope = button.closest('[data-copy-scope]') || dialog;
    const source = scope.querySelector(`[data-field="${button.dataset.copy}"]`);
    if (!source) return;
    void copyText(source, button);
  });

  /** @param {Element} source @param {HTMLElement} button */
  async function copyText(source, button) {
    const text = source.textContent ?? '';
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch {
      ok = false;
    }
    if (!ok) ok = legacyCopy(source);
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    button.classList.toggle('copied', ok);
    live.textContent = ok
      ? `${button.getAttribute('aria-label') || label}: copied to the clipboard`
      : 'Select the text and copy it';
    setTimeout(() => {
      button.textContent = label;
      button.classList.remove('copied');
    }, 2000);
  }

  // Pages served over plain HTTP to a non-local host have no async clipboard: select the text
  // and use the older copy command.
  /** @param {Element} source */
  function legacyCopy(source) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const sel = window.getSelection();
    if (!sel) return false;
    sel.removeAllRanges();
    sel.addRange(range);
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }

  void loadAccess();
})();
