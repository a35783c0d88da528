/**
 * The access portal under attack, in Debian chromium: hostile names render as text, no inline
 * script runs anywhere, the pages refuse to be framed, a stale CSRF token is refused, URL or
 * DOM manipulation gets no credentials, and after sign-out the back button shows nothing.
 * On SQLite and PostgreSQL (sessions and revocation live in the store).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { HOSTILE, type SignedIn, signIn } from './portal-fixtures.ts';

const ACCOUNTS = [
  { id: '100000000001', name: HOSTILE.script, email: 'ops+"><svg/onload=window.__pwned=4>@example.com' },
  { id: '100000000002', name: HOSTILE.img, email: 'a@example.com' },
  { id: '100000000003', name: HOSTILE.quotes, email: 'b@example.com' },
  { id: '100000000004', name: HOSTILE.rtl, email: 'c@example.com' },
  { id: '100000000005', name: HOSTILE.long, email: `${'x'.repeat(60)}@example.com` },
  // Joiners are not hidden characters: emoji sequences and several scripts need them.
  { id: '100000000006', name: 'Team \u{1F469}\u200D\u{1F4BB} \u0646\u200C\u0645', email: 'd@example.com' },
];
const EVIL_ROLE = '<img src=x onerror=window.__pwned=3>';
const FORBIDDEN_ACCOUNT = '100000000099';
/** What the pages show for a name: bidirectional overrides neutralised (see display-text.js `readable`). */
const neutral = (s: string) => s.replaceAll('\u202E', '\uFFFD');

for (const kind of STORE_KINDS) {
  describe(`access portal attacks in chromium (${kind})`, () => {
    let server: TestServer;
    let browser: TestBrowser;
    let org: SeededOrg;
    const pageErrors: string[] = [];

    before(async () => {
      server = await startTestServer({
        store: kind,
        seed: async (deps) => {
          org = await seedOrg(deps.ctx, {
            users: [
              {
                userName: '<b>mallory</b>',
                displayName: '<script>window.__pwned=5</script>Mallory \u202Eevil',
              },
              { userName: 'victim' },
            ],
            accounts: [...ACCOUNTS, { id: FORBIDDEN_ACCOUNT, name: 'Not yours' }],
            permissionSets: [{ name: 'ReadOnly' }, { name: EVIL_ROLE }, { name: 'Admin' }],
            assignments: [
              { user: '<b>mallory</b>', permissionSet: 'ReadOnly', accounts: ACCOUNTS.map((a) => a.id) },
              { user: '<b>mallory</b>', permissionSet: EVIL_ROLE, accounts: [ACCOUNTS[0]!.id] },
              { user: 'victim', permissionSet: 'Admin', accounts: [FORBIDDEN_ACCOUNT] },
            ],
          });
        },
      });
      browser = await launchBrowser({ viewport: { width: 390, height: 844 } });
      browser.context.setDefaultTimeout(10_000);
      browser.context.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(String(e))));
      // Record every CSP violation the pages report (init scripts are not subject to the CSP).
      await browser.context.addInitScript(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
        });
      });
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });
    beforeEach(async () => browser.context.clearCookies());

    async function openAs(userName: string): Promise<{ page: Page; who: SignedIn }> {
      const who = await signIn(server.deps, org.users[userName]!);
      await browser.context.addCookies([{ name: who.cookieName, value: who.token, url: server.url }]);
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/start`);
      await page.locator('.account-row').first().waitFor();
      return { page, who };
    }

    async function assertNothingInjected(page: Page): Promise<void> {
      const state = await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: number }).__pwned,
        csp: (window as unknown as { __csp: string[] }).__csp,
        inlineScripts: Array.from(document.scripts).filter((s) => !s.src && s.type !== 'application/json')
          .length,
        injected: document.querySelectorAll('img[src="x"], svg, b, main script, [onerror], [onload]').length,
        handlers: Array.from(document.querySelectorAll('*')).filter((el) =>
          Array.from(el.attributes).some((a) => a.name.startsWith('on') || a.name === 'style'),
        ).length,
      }));
      assert.deepEqual(pageErrors, [], 'no script error');
      assert.equal(state.pwned, undefined, 'no injected script ran');
      assert.deepEqual(state.csp, [], 'no CSP violation');
      assert.equal(state.inlineScripts, 0, 'no inline script');
      assert.equal(state.injected, 0, 'no injected element');
      assert.equal(state.handlers, 0, 'no inline handler or style attribute');
    }

    it('renders hostile account, email, user and permission-set names as text', async () => {
      const { page } = await openAs('<b>mallory</b>');
      const names = await page.locator('.account-name').allTextContents();
      assert.deepEqual(new Set(names), new Set(ACCOUNTS.map((a) => neutral(a.name))));
      const emails = await page.locator('.account-email').allTextContents();
      assert.ok(emails.includes(ACCOUNTS[0]!.email));
      // The RTL override is shown as U+FFFD and the name is an isolated run, so neither the name
      // itself nor the id beside it can be reordered.
      const rtl = page.locator('.account-name', { hasText: 'invoice' });
      assert.equal(await rtl.textContent(), 'invoice\uFFFDgpj.exe');
      assert.equal(await rtl.evaluate((el) => el.tagName), 'BDI');
      assert.equal(await rtl.evaluate((el) => getComputedStyle(el).unicodeBidi), 'isolate');
      // Long names wrap instead of pushing the page sideways (phone width).
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
      assert.equal(
        await page.locator('header .who').textContent(),
        '<script>window.__pwned=5</script>Mallory \uFFFDevil',
      );

      // Expand the account with the hostile role and open its dialog: the title is text too.
      await page.locator('.account-toggle', { hasText: 'Prod' }).click();
      const roleNames = await page.locator('.role-name').allTextContents();
      assert.deepEqual(roleNames, [EVIL_ROLE, 'ReadOnly']);
      await page.getByRole('button', { name: `Access keys for ${EVIL_ROLE} in ${HOSTILE.script}` }).click();
      const dialog = page.getByRole('dialog');
      assert.equal(await dialog.locator('#cred-title').textContent(), `Get credentials for ${EVIL_ROLE}`);
      // Not a valid permission-set name on the wire: refused with a message, nothing minted.
      await dialog.locator('[data-field="error"]').waitFor();
      assert.match((await dialog.locator('[data-field="error"]').textContent()) ?? '', /roleName must be/);
      await assertNothingInjected(page);

      await page.goto(`${server.url}/profile`);
      assert.equal(await page.locator('dd bdi').first().textContent(), '<b>mallory</b>');
      await assertNothingInjected(page);
      await page.close();
    });

    it('runs no inline script on any page and in the open dialog', async () => {
      const { page } = await openAs('<b>mallory</b>');
      for (const path of ['/start', '/profile']) {
        const res = await page.goto(`${server.url}${path}`);
        const csp = res?.headers()['content-security-policy'] ?? '';
        assert.match(csp, /script-src 'self'(;|$)/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|data:.*script/);
        await assertNothingInjected(page);
      }
      await page.goto(`${server.url}/start`);
      await page.locator('.account-toggle').nth(2).click();
      await page.locator('.access-keys').first().click();
      await page.getByRole('dialog').locator('[data-state="ready"]').waitFor();
      await assertNothingInjected(page);
      await page.close();
    });

    it('cannot be framed by another page', async () => {
      await openAs('<b>mallory</b>').then(({ page }) => page.close());
      // The framing page is same-site (another port on 127.0.0.1), so the session cookie goes
      // with the frame's request and the server answers with the real page: only the
      // page's own headers keep it out of the frame.
      const framer = http.createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').searchParams.get('path') ?? '/start';
        res.writeHead(200, { 'content-type': 'text/html', connection: 'close' });
        res.end(`<!doctype html><iframe src="${server.url}${path}" width="600" height="400"></iframe>`);
      });
      await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
      const port = (framer.address() as AddressInfo).port;
      const page = await browser.context.newPage();
      try {
        for (const path of ['/start', '/profile']) {
          const served = page.waitForResponse((r) => r.url() === `${server.url}${path}`);
          await page.goto(`http://127.0.0.1:${port}/?path=${encodeURIComponent(path)}`);
          assert.equal((await served).status(), 200, `${path} was served to the frame`);
          const frame = page.frames()[1];
          assert.ok(frame);
          // Chromium replaces a refused frame with its error page.
          assert.equal(frame.url(), 'chrome-error://chromewebdata/', `${path} loaded in a frame`);
        }
      } finally {
        await page.close();
        framer.closeAllConnections();
        await new Promise((resolve) => framer.close(resolve));
      }
    });

    it('refuses a stale CSRF token left in an open page after signing in again', async () => {
      const { page } = await openAs('<b>mallory</b>');
      // Another tab signs out everywhere, then the person signs in again (a new session cookie).
      const other = await browser.context.newPage();
      await other.goto(`${server.url}/profile`);
      await other.getByRole('button', { name: 'Sign out everywhere' }).click();
      await other.close();
      const again = await signIn(server.deps, org.users['<b>mallory</b>']!);
      await browser.context.addCookies([{ name: again.cookieName, value: again.token, url: server.url }]);
      const issued = async () =>
        (
          await server.deps.ctx.store.db
            .selectFrom('audit_events')
            .select('id')
            .where('action', '=', 'credentials.issue')
            .execute()
        ).length;
      const before = await issued();
      await page.locator('.account-toggle').nth(1).click();
      await page.locator('.access-keys').first().click();
      const error = page.getByRole('dialog').locator('[data-field="error"]');
      await error.waitFor();
      assert.match((await error.textContent()) ?? '', /did not come from your current portal page/);
      assert.equal(
        await page.getByRole('dialog').locator('[data-field="access-key-id"]').first().textContent(),
        '',
      );
      assert.equal(await issued(), before);
      await page.close();
    });

    it('gets no credentials for an account or role changed in the page', async () => {
      const { page } = await openAs('<b>mallory</b>');
      // A request forged from the page, with the page's own CSRF token, for the victim's account.
      const forged = await page.evaluate(async (id) => {
        const csrf = (document.getElementById('portal') as HTMLElement).dataset.csrf ?? '';
        const r = await fetch('/start/credentials', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ accountId: id, roleName: 'Admin' }),
        });
        return { status: r.status, body: await r.json() };
      }, FORBIDDEN_ACCOUNT);
      assert.deepEqual(forged, { status: 403, body: { message: 'No access' } });
      // A role name edited into the "Access keys" button, as someone using the devtools would.
      await page.locator('.account-toggle').nth(1).click();
      await page.evaluate(() => {
        (document.querySelector('.access-keys') as HTMLElement).dataset.role = 'Admin';
      });
      await page.locator('.access-keys').first().click();
      const error = page.getByRole('dialog').locator('[data-field="error"]');
      await error.waitFor();
      assert.equal(await error.textContent(), 'No access');
      assert.equal(
        await page.getByRole('dialog').locator('[data-field="session-token"]').first().textContent(),
        '',
      );
      await page.close();
    });

    it('shows nothing usable on the back button after signing out', async () => {
      const { page } = await openAs('<b>mallory</b>');
      await page.locator('.account-toggle').first().click();
      await page.goto(`${server.url}/profile`);
      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/profile'));
      for (let i = 0; i < 2; i++) {
        await page.goBack();
        await page.waitForLoadState();
        assert.doesNotMatch(new URL(page.url()).pathname, /^\/(start|profile)/, `back ${i + 1}`);
        const text = (await page.locator('body').textContent()) ?? '';
        for (const a of ACCOUNTS) assert.ok(!text.includes(a.id), `account ${a.id} visible after sign-out`);
        assert.ok(!text.includes('Sign out everywhere'));
      }
      await page.close();
    });
  });
}
