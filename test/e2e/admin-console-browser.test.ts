/**
 * The admin console in Debian chromium, on SQLite and PostgreSQL: an administrator of the demo
 * organization signs in through the real sign-in pages (coming back to /admin), finds a user by
 * search and disables them with the keyboard alone, and the user's session is refused from then
 * on; a group is created and deleted with the keyboard alone. Screenshots of the users list, a user's page and an account's "who can access" page, light
 * and dark, go to test-output/screenshots/admin-*.png (the README shows copies from
 * docs/screenshots/).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import YAML from 'yaml';
import { grantAdministrator } from '../../src/app/admin/grant.ts';
import { applyText } from '../helpers/apply.ts';
import { launchBrowser, type TestBrowser, tabTo as tabToIn } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const DEMO = fs.readFileSync(path.resolve('examples/demo-org.yaml'), 'utf8');
const PEOPLE = (YAML.parse(DEMO) as { users: Array<{ userName: string; password: string }> }).users;
const ALICE = PEOPLE.find((u) => u.userName === 'alice')!;
const BOB = PEOPLE.find((u) => u.userName === 'bob')!;
const SHOTS = path.resolve('test-output/screenshots');
const PRODUCTION = '222222222222';

for (const kind of STORE_KINDS) {
  describe(`admin console in chromium (${kind})`, () => {
    let server: TestServer;
    let browser: TestBrowser;
    let page: Page;
    let bobId: string;
    /** Bob's own browser, signed in through the real pages. */
    let bobBrowser: TestBrowser;
    let bobPage: Page;
    const pageErrors: string[] = [];

    before(async () => {
      server = await startTestServer({
        store: kind,
        seed: async (deps) => {
          await applyText(deps.ctx, DEMO);
          await grantAdministrator(deps.ctx, {
            userName: 'alice',
            accountId: '111111111111',
            permissionSet: 'AdministratorAccess',
            actor: 'test',
          });
        },
      });
      bobId = (
        await server.deps.ctx.store.db
          .selectFrom('users')
          .select('id')
          .where('user_name_lower', '=', 'bob')
          .executeTakeFirstOrThrow()
      ).id;
      bobBrowser = await launchBrowser();
      bobBrowser.context.setDefaultTimeout(15_000);
      bobPage = await bobBrowser.context.newPage();
      await signInThroughPages(bobPage, '/start', BOB);
      browser = await launchBrowser();
      browser.context.setDefaultTimeout(15_000);
      page = await browser.context.newPage();
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      fs.mkdirSync(SHOTS, { recursive: true });
    });
    after(async () => {
      await bobBrowser?.close();
      await browser?.close();
      await server?.stop();
    });

    /** Open `path` signed out, sign in on the real pages, and land back on `path`. */
    async function signInThroughPages(p: Page, path: string, who: { userName: string; password: string }) {
      await p.goto(`${server.url}${path}`);
      assert.equal(new URL(p.url()).pathname, '/signin');
      await p.fill('#user_name', who.userName);
      await p.click('main button[type=submit]');
      await p.fill('#password', who.password);
      await Promise.all([p.waitForURL(`${server.url}${path}`), p.click('main button[type=submit]')]);
    }

    /** Press Tab until the focused element is the one `matches` describes (at most 40 presses). */
    const tabTo = (description: string, matches: (el: Element) => boolean) =>
      tabToIn(page, description, matches, 40);

    /** Light and dark screenshots of the page as it is (SQLite run only: one set is enough). */
    async function shots(name: string, fullPage = false): Promise<void> {
      if (kind !== 'sqlite') return;
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({
          path: path.join(SHOTS, `admin-${name}-${scheme}.png`),
          animations: 'disabled',
          fullPage,
        });
      }
      await page.emulateMedia({ colorScheme: 'light' });
    }

    it('signs an administrator in and back to the console', async () => {
      await signInThroughPages(page, '/admin/users', ALICE);
      assert.deepEqual(await page.locator('#users tbody tr td:first-child a').allTextContents(), [
        'alice',
        'bob',
        'carol',
      ]);
      assert.equal(await page.locator('.admin-nav [aria-current="page"]').textContent(), 'Users');
      await shots('users');
    });

    it('finds a user by search and disables them with the keyboard alone; their session is refused afterwards', async () => {
      await bobPage.reload();
      assert.equal(new URL(bobPage.url()).pathname, '/start');

      await page.goto(`${server.url}/admin/users`);
      // The first Tab reaches the skip link, which takes the keyboard past the navigation.
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
      await page.keyboard.press('Enter');
      assert.equal(new URL(page.url()).hash, '#main');
      await tabTo('the search field', (el) => el.id === 'q');
      await page.keyboard.type('bob@');
      await Promise.all([page.waitForURL(/\/admin\/users\?q=bob%40$/), page.keyboard.press('Enter')]);
      assert.deepEqual(await page.locator('#users tbody tr td:first-child a').allTextContents(), ['bob']);

      await tabTo('the link to bob', (el) => el.tagName === 'A' && el.textContent === 'bob');
      await Promise.all([
        page.waitForURL(`${server.url}/admin/users/${bobId}`),
        page.keyboard.press('Enter'),
      ]);
      assert.match((await page.locator('h1').textContent()) ?? '', /bob\s+Enabled/);

      await tabTo('the Disable button', (el) => el.tagName === 'BUTTON' && el.textContent === 'Disable user');
      const outline = await page.evaluate(
        () => getComputedStyle(document.activeElement as Element).outlineStyle,
      );
      assert.notEqual(outline, 'none', 'the focused button shows where focus is');
      await Promise.all([page.waitForURL(/\?done=disabled$/), page.keyboard.press('Enter')]);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The user is disabled/);
      assert.match((await page.locator('h1').textContent()) ?? '', /bob\s+Disabled/);

      // Bob's own browser: his session is gone, and signing in again is refused.
      await bobPage.reload();
      assert.equal(new URL(bobPage.url()).pathname, '/signin');
      await bobPage.fill('#user_name', BOB.userName);
      await bobPage.click('main button[type=submit]');
      await bobPage.fill('#password', BOB.password);
      await bobPage.click('main button[type=submit]');
      await bobPage.locator('text=The user name or password is incorrect.').waitFor();
      assert.equal(new URL(bobPage.url()).pathname, '/signin');
      const status = await server.deps.ctx.store.db
        .selectFrom('users')
        .select('status')
        .where('id', '=', bobId)
        .executeTakeFirstOrThrow();
      assert.equal(status.status, 'DISABLED');
    });

    it('creates a group and deletes it with the keyboard alone', async () => {
      await page.goto(`${server.url}/admin/groups`);
      await tabTo('the create form', (el) => el.tagName === 'SUMMARY' && el.textContent === 'Create a group');
      await page.keyboard.press('Enter');
      await tabTo('the name field', (el) => el.id === 'group-name');
      await page.keyboard.type('Keyboard Crew');
      await Promise.all([
        page.waitForURL(/\/admin\/groups\/[^/?]+\?done=created$/),
        page.keyboard.press('Enter'),
      ]);
      assert.match((await page.locator('h1').textContent()) ?? '', /Keyboard Crew/);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The group was created/);

      await tabTo(
        'the Delete button',
        (el) => el.tagName === 'BUTTON' && (el.textContent ?? '').startsWith('Delete group'),
      );
      await Promise.all([page.waitForURL(/\/admin\/groups\?done=deleted$/), page.keyboard.press('Enter')]);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The group was deleted/);
      const left = await server.deps.ctx.store.db
        .selectFrom('groups')
        .select('id')
        .where('display_name', '=', 'Keyboard Crew')
        .execute();
      assert.deepEqual(left, []);
      assert.deepEqual(pageErrors, []);
    });

    it('shows what a user reaches, and who can access an account and how', async () => {
      await page.goto(`${server.url}/admin/users?q=alice`);
      await page.click('#users a');
      await page.locator('#reach').waitFor();
      assert.ok((await page.locator('#reach tbody tr').count()) > 0);
      await shots('user', true);

      await page.goto(`${server.url}/admin/accounts`);
      assert.deepEqual(await page.locator('#ous > li > ul > li > a').allTextContents(), [
        'Sandbox',
        'Workloads',
      ]);
      assert.deepEqual(await page.locator('#ous > li > ul > li > ul > li > a').allTextContents(), [
        'Dev',
        'Prod',
      ]);
      await page.locator('#ous a', { hasText: 'Prod' }).click();
      await page.waitForURL(/\/admin\/accounts\?ou=ou-/);
      assert.deepEqual(await page.locator('#accounts tbody td:first-child a').allTextContents(), [
        'Production',
      ]);

      await page.goto(`${server.url}/admin/accounts/${PRODUCTION}`);
      const blocks = page.locator('.ps-block');
      assert.ok((await blocks.count()) > 0);
      assert.match((await page.locator('#who-h').textContent()) ?? '', /Who can access this account and how/);
      await shots('account', true);
      assert.deepEqual(pageErrors, []);
    });

    it('fits a phone: no page scrolls sideways at 390 px, tables stack', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      const admins = await server.deps.ctx.store.db
        .selectFrom('permission_sets')
        .select('id')
        .where('name', '=', 'AdministratorAccess')
        .executeTakeFirstOrThrow();
      // A tag as long as AWS takes, without a space to break it at.
      await server.deps.ctx.store.db
        .insertInto('ps_tags')
        .values({ permission_set_id: admins.id, key: 'k'.repeat(128), value: 'v'.repeat(256) })
        .execute();
      const assigned = await server.deps.ctx.store.db
        .selectFrom('account_assignments')
        .select('permission_set_id')
        .where('account_id', '=', PRODUCTION)
        .executeTakeFirstOrThrow();
      try {
        for (const path of [
          '/admin/users',
          `/admin/users/${bobId}`,
          `/admin/accounts/${PRODUCTION}`,
          `/admin/accounts/${PRODUCTION}/permission-sets/${assigned.permission_set_id}`,
          `/admin/permission-sets/${admins.id}`,
          '/admin/accounts?ou=root',
          '/admin/audit',
        ]) {
          await page.goto(`${server.url}${path}`);
          const widths = await page.evaluate(() => ({
            content: document.documentElement.scrollWidth,
            viewport: window.innerWidth,
          }));
          assert.ok(widths.content <= widths.viewport, `${path}: ${widths.content} > ${widths.viewport}`);
        }
        await page.goto(`${server.url}/admin/users`);
        const head = await page.locator('#users thead').boundingBox();
        assert.ok(
          head === null || head.x < 0,
          'the table header is moved out of view; each cell is labelled',
        );
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });
  });
}
