/**
 * The access portal as a person uses it, in Debian chromium: sign in as the demo user `alice`
 * through the real sign-in pages, search, expand an account, open "Access keys", copy every
 * value from every tab through the clipboard, and prove the copied values work by calling STS
 * GetCallerIdentity on the server with botocore using exactly those values. Also the dialog's
 * accessibility (labelled modal, focus kept inside, Escape, focus return), the expiry shown in
 * the browser's time zone and counting down, the profile page, keyboard use, reflow at 200 %
 * zoom and phone widths. Screenshots of the list, the dialog and the profile at desktop and
 * phone widths go to test-output/screenshots/ (the README shows copies from docs/screenshots/).
 */

// The browser and this process read the person's time zone from TZ: a zone far from UTC shows
// that the expiry is written in the person's zone, not the server's.
process.env.TZ = 'Asia/Tokyo';

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import YAML from 'yaml';
import { applyText } from '../helpers/apply.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import { accountIds, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { signIn } from './portal-fixtures.ts';

const DEMO = fs.readFileSync(path.resolve('examples/demo-org.yaml'), 'utf8');
const ALICE = (YAML.parse(DEMO) as { users: Array<{ userName: string; password: string }> }).users.find(
  (u) => u.userName === 'alice',
)!;
const SHOTS = path.resolve('test-output/screenshots');

const CALLER_IDENTITY = `
import json, sys, botocore.session
url, mode = sys.argv[1], sys.argv[2]
s = botocore.session.Session()
kw = {}
if mode == 'explicit':
    kw = dict(aws_access_key_id=sys.argv[3], aws_secret_access_key=sys.argv[4], aws_session_token=sys.argv[5])
sts = s.create_client('sts', region_name='us-east-1', endpoint_url=url, **kw)
r = sts.get_caller_identity()
r.pop('ResponseMetadata', None)
print(json.dumps(r))
`;

interface Creds {
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_SESSION_TOKEN: string;
  AWS_ENDPOINT_URL_STS: string;
  AWS_REGION: string;
  AWS_DEFAULT_REGION: string;
}

/** Parse what was pasted from an "environment variables" block, per shell. */
function parseEnvBlock(kind: 'unix' | 'windows' | 'powershell', text: string): Creds {
  const line =
    kind === 'unix'
      ? /^export (AWS_[A-Z_]+)="([^"]*)"$/
      : kind === 'windows'
        ? /^set (AWS_[A-Z_]+)=(.*)$/
        : /^\$Env:(AWS_[A-Z_]+)="([^"]*)"$/;
  const out: Record<string, string> = {};
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    assert.ok(m, `${kind}: unexpected line ${JSON.stringify(l)}`);
    out[m[1]!] = m[2]!;
  }
  // The demo's accounts are local: their credentials also name this server's STS and region.
  assert.deepEqual(Object.keys(out), [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_ENDPOINT_URL_STS',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
  ]);
  return out as unknown as Creds;
}

for (const kind of STORE_KINDS) {
  describe(`access portal in chromium (${kind})`, () => {
    let server: TestServer;
    let browser: TestBrowser;
    let page: Page;
    let home: { home: string; cleanup(): void };
    const pageErrors: string[] = [];

    before(async () => {
      server = await startTestServer({
        store: kind,
        seed: async (deps) => void (await applyText(deps.ctx, DEMO)),
      });
      browser = await launchBrowser();
      browser.context.setDefaultTimeout(15_000);
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      page = await browser.context.newPage();
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      home = tempHome();
      fs.mkdirSync(SHOTS, { recursive: true });
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
      home?.cleanup();
    });

    const shot = async (name: string, fullPage = false) => {
      if (kind === 'sqlite')
        await page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled', fullPage });
    };

    async function callerIdentity(
      mode: 'env' | 'profile' | 'explicit',
      extra: Record<string, string>,
      args: string[] = [],
    ) {
      const res = await python(
        CALLER_IDENTITY,
        [server.url, mode, ...args],
        cleanAwsEnv(home.home, mode === 'explicit' ? {} : extra),
      );
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout) as { Account: string; Arn: string; UserId: string };
    }

    function assertAlice(
      id: { Account: string; Arn: string; UserId: string },
      account: string,
      role: string,
    ) {
      assert.equal(id.Account, account);
      assert.match(
        id.Arn,
        new RegExp(`^arn:aws:sts::${account}:assumed-role/AWSReservedSSO_${role}_[0-9a-f]{16}/alice$`),
      );
      assert.match(id.UserId, /^AROA[A-Z0-9]{17}:alice$/);
    }

    /** Open /start signed out, sign in through the real pages, land back on the list. */
    async function signInAsAlice(p: Page): Promise<void> {
      await p.goto(`${server.url}/start`);
      assert.equal(new URL(p.url()).pathname, '/signin');
      await p.fill('#user_name', ALICE.userName);
      await p.click('main button[type=submit]');
      await p.fill('#password', ALICE.password);
      await Promise.all([p.waitForURL(`${server.url}/start`), p.click('main button[type=submit]')]);
      await p.locator('.account-row').first().waitFor();
    }

    /** Click a copy button, wait for its visible confirmation, and read what reached the clipboard. */
    async function copy(button: Locator): Promise<string> {
      await page.evaluate(() => navigator.clipboard.writeText(''));
      await button.click();
      await button.filter({ hasText: /^Copied$/ }).waitFor();
      return page.evaluate(() => navigator.clipboard.readText());
    }

    it('sends a signed-out person to sign-in and back to the account list', async () => {
      await signInAsAlice(page);
      assert.equal(await page.locator('#account-status').textContent(), '4 accounts');
      assert.deepEqual(await page.locator('.account-name').allTextContents(), [
        'Management',
        'Production',
        'Sandbox',
        'Staging',
      ]);
      assert.equal(await page.locator('header .who').textContent(), 'Alice Doe');
      const production = page.locator('.account-toggle', { hasText: 'Production' });
      await production.click();
      await page.locator('#roles-222222222222 .role').first().waitFor();
      await shot('desktop-accounts');
      await production.click();
    });

    it('filters by name, id or email as you type, from the keyboard', async () => {
      const search = page.getByRole('searchbox', { name: 'Search accounts' });
      await search.focus();
      await page.keyboard.type('stag');
      assert.deepEqual(await page.locator('.account-name').allTextContents(), ['Staging']);
      assert.equal(await page.locator('#account-status').textContent(), '1 of 4 accounts match “stag”');
      await search.fill('');
      await page.keyboard.type('2222-2222');
      assert.deepEqual(await page.locator('.account-name').allTextContents(), ['Production']);
      await search.fill('aws-sandbox@');
      assert.deepEqual(await page.locator('.account-name').allTextContents(), ['Sandbox']);
      await search.fill('no such account');
      assert.equal(await page.locator('.account-row').count(), 0);
      assert.equal(
        await page.locator('#account-status').textContent(),
        'No accounts match “no such account”.',
      );
      await search.focus();
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('.account-row').count(), 4);

      // The section tabs: arrow keys move between Accounts and Applications.
      await page.getByRole('tab', { name: 'Accounts' }).focus();
      await page.keyboard.press('ArrowRight');
      assert.equal(
        await page.getByRole('tab', { name: 'Applications' }).getAttribute('aria-selected'),
        'true',
      );
      assert.equal(await page.getByText('No applications are assigned to you.').isVisible(), true);
      assert.equal(await search.isVisible(), false);
      await page.keyboard.press('ArrowLeft');
      assert.equal(await search.isVisible(), true);

      // Down from the search box into the list, Enter expands, Tab reaches "Access keys".
      await search.fill('Staging');
      await search.focus();
      await page.keyboard.press('ArrowDown');
      const toggle = page.locator('.account-toggle', { hasText: 'Staging' });
      assert.equal(await toggle.evaluate((el) => el === document.activeElement), true);
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      await page.keyboard.press('Enter');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      assert.deepEqual(await page.locator('.role-name').allTextContents(), [
        'AdministratorAccess',
        'PowerUserAccess',
        'ReadOnly',
      ]);
      await page.keyboard.press('Enter');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
      assert.equal(focused, 'Access keys for PowerUserAccess in Staging');
      await shot('desktop-search');
    });

    it('opens an accessible dialog whose every copied value works with botocore', async () => {
      const opener = page.getByRole('button', { name: 'Access keys for PowerUserAccess in Staging' });
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Get credentials for PowerUserAccess' });
      await dialog.waitFor();
      assert.equal(await dialog.evaluate((d) => d.matches(':modal')), true, 'a modal dialog');
      await dialog.locator('[data-state="ready"]').waitFor();
      assert.match((await dialog.textContent()) ?? '', /Account Staging \(333333333333\)/);
      assert.equal(await dialog.locator('[data-field="start-url"]').textContent(), server.config.startUrl);
      assert.equal(await dialog.locator('[data-field="sso-region"]').textContent(), 'us-east-1');
      assert.equal(
        await dialog.locator('[data-field="install-command"]').textContent(),
        `npm install -g ${server.url}/client/idcenter-client.tgz`,
      );
      assert.equal(
        await dialog.locator('[data-field="configure-command"]').textContent(),
        `idcenter configure sso --endpoint-url ${server.url}`,
      );
      // A command, not three letters a random secret or session token may happen to hold.
      assert.doesNotMatch((await dialog.textContent()) ?? '', /\bnpx\s/);
      await shot('desktop-dialog');

      const copies: string[] = [];
      for (const [tab, shell] of [
        ['macOS and Linux', 'unix'],
        ['Windows', 'windows'],
        ['PowerShell', 'powershell'],
      ] as const) {
        await dialog.getByRole('tab', { name: tab }).click();
        const panel = dialog.getByRole('tabpanel', { name: tab });
        assert.equal(await dialog.getByRole('tab', { name: tab }).getAttribute('aria-selected'), 'true');

        // Option 1: the environment block, pasted into that shell.
        const envText = await copy(
          panel.getByRole('button', { name: `Copy environment variables for ${tab}` }),
        );
        copies.push(envText);
        const env = parseEnvBlock(shell, envText);
        assert.match(env.AWS_ACCESS_KEY_ID, /^ASIA[A-Z0-9]{16}$/);
        assert.equal(env.AWS_ENDPOINT_URL_STS, server.url);
        assert.equal(env.AWS_REGION, 'us-east-1');
        assertAlice(await callerIdentity('env', { ...env }), '333333333333', 'PowerUserAccess');

        // Option 2: the credentials-file profile, used with --profile.
        const profile = await copy(
          panel.getByRole('button', { name: `Copy credentials file profile for ${tab}` }),
        );
        assert.match(profile, /^\[333333333333_PowerUserAccess\]\naws_access_key_id=ASIA/);
        assert.doesNotMatch(profile, / = /, 'no spaces around =');
        fs.writeFileSync(path.join(home.home, '.aws', 'credentials'), `${profile}\n`);
        assertAlice(
          await callerIdentity('profile', { AWS_PROFILE: '333333333333_PowerUserAccess' }),
          '333333333333',
          'PowerUserAccess',
        );

        // Option 3: the individual values.
        const values: string[] = [];
        for (const label of ['AWS access key ID', 'AWS secret access key', 'AWS session token']) {
          values.push(await copy(panel.getByRole('button', { name: `Copy ${label}`, exact: true })));
        }
        assert.deepEqual(values, [env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN]);
        assertAlice(await callerIdentity('explicit', {}, values), '333333333333', 'PowerUserAccess');
      }
      // The three shells carry the same credentials.
      const keys = copies.map((c) => /AWS_ACCESS_KEY_ID=?"?([A-Z0-9]+)/.exec(c)?.[1]);
      assert.equal(new Set(keys).size, 1);

      // Audited like GetRoleCredentials, with the portal as the channel.
      const events = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select('detail')
        .where('action', '=', 'credentials.issue')
        .execute();
      const details = events.map((e) => JSON.parse(e.detail ?? '{}'));
      assert.ok(details.some((d) => d.accessKeyId === keys[0] && d.channel === 'portal'));
      assert.deepEqual(pageErrors, []);

      // Focus stays in the dialog both ways round.
      for (const key of ['Tab', 'Shift+Tab']) {
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press(key);
          assert.equal(
            await page.evaluate(() => !!document.activeElement?.closest('dialog')),
            true,
            `${key} #${i + 1} left the dialog`,
          );
        }
      }
      // Escape closes it and focus returns to the button that opened it.
      await page.keyboard.press('Escape');
      assert.equal(await dialog.count(), 0);
      assert.equal(await opener.evaluate((el) => el === document.activeElement), true);
      // The secrets leave the page: at once, or at the latest when the browser fires "close".
      const secretsGone = await page
        .waitForFunction(
          (key) =>
            !document.body.innerHTML.includes(String(key)) &&
            Array.from(document.querySelectorAll('[data-field="session-token"]')).every(
              (n) => n.textContent === '',
            ),
          keys[0],
          { timeout: 5000 },
        )
        .then(
          () => true,
          () => false,
        );
      assert.equal(secretsGone, true, 'the credentials stayed on the page after the dialog closed');
    });

    it('reflows at 200 % zoom and on a phone without sideways scrolling', async () => {
      for (const [width, height, label] of [
        [640, 400, '200 % zoom'],
        [390, 844, 'phone'],
        [320, 640, '400 % zoom'],
      ] as const) {
        await page.setViewportSize({ width, height });
        await page.goto(`${server.url}/start`);
        await page.locator('.account-toggle', { hasText: 'Production' }).click();
        const overflow = () =>
          page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok((await overflow()) <= 0, `${label}: list overflows`);
        if (width === 390) await shot('phone-accounts');
        await page.getByRole('button', { name: 'Access keys for ReadOnly in Production' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.locator('[data-state="ready"]').waitFor();
        const fits = await dialog.evaluate((d) => {
          const r = d.getBoundingClientRect();
          return r.left >= 0 && r.right <= window.innerWidth + 0.5 && d.scrollWidth <= d.clientWidth;
        });
        assert.ok(fits, `${label}: dialog does not fit`);
        if (width === 390) await shot('phone-dialog');
        await page.keyboard.press('Escape');
      }
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    it('shows the profile with details, MFA and this session, and signs out for good', async () => {
      await page.getByRole('link', { name: 'Profile' }).click();
      await page.waitForURL(`${server.url}/profile`);
      const details = await page.locator('dl.details').textContent();
      for (const s of ['alice', 'Alice Doe', 'Alice Doe', 'alice@example.com'])
        assert.ok(details?.includes(s));
      assert.equal(
        await page.getByRole('link', { name: 'Add an authenticator app' }).getAttribute('href'),
        '/mfa/enroll',
      );
      const row = page.locator('tr', { hasText: 'This browser' });
      assert.match((await row.textContent()) ?? '', /Chrome on Linux/);
      // Times are in the person's zone (Tokyo), not UTC.
      assert.doesNotMatch((await row.textContent()) ?? '', /UTC/);
      await shot('desktop-profile', true);
      await page.setViewportSize({ width: 390, height: 844 });
      await shot('phone-profile', true);
      await page.setViewportSize({ width: 1280, height: 800 });

      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
      await page.goBack();
      await page.waitForLoadState();
      assert.equal(new URL(page.url()).pathname, '/signin');
      const text = (await page.locator('body').textContent()) ?? '';
      assert.ok(!text.includes('alice@example.com') && !text.includes('Sign out everywhere'));
      await page.goto(`${server.url}/start/access.json`);
      assert.match((await page.locator('body').textContent()) ?? '', /not signed in/);
      assert.deepEqual(pageErrors, []);
    });

    it('the access-keys dialog keeps its tabs on one line on a phone (375 px wide)', async () => {
      const p = await browser.context.newPage();
      try {
        await p.setViewportSize({ width: 375, height: 740 });
        await signInAsAlice(p); // the previous test signed out
        await p.locator('.account-toggle', { hasText: 'Management' }).click();
        await p.getByRole('button', { name: 'Access keys for AdministratorAccess in Management' }).click();
        const dialog = p.getByRole('dialog', { name: 'Get credentials for AdministratorAccess' });
        await dialog.locator('[data-state="ready"]').waitFor();
        const tabs = dialog.locator('.os-tabs [role="tab"]');
        assert.equal(await tabs.count(), 3);
        const boxes = await Promise.all(
          [0, 1, 2].map(
            async (i) => (await tabs.nth(i).boundingBox()) as { y: number; x: number; width: number },
          ),
        );
        assert.ok(
          boxes.every((b) => Math.abs(b.y - (boxes[0] as { y: number }).y) < 1),
          JSON.stringify(boxes),
        );
        const last = boxes[2] as { x: number; width: number };
        const first = boxes[0] as { x: number };
        assert.ok(last.x + last.width <= 375, `the tabs run from ${first.x} to ${last.x + last.width} px`);
      } finally {
        await p.close();
        // Signed out again, as the next test expects.
        await browser.context.clearCookies();
      }
    });

    // Last: the fake clock it installs belongs to the whole browser context.
    it('shows the expiry in the person’s time zone and counts down, then offers new credentials', async () => {
      const p = await browser.context.newPage();
      try {
        await p.clock.install({ time: Date.now() });
        await signInAsAlice(p); // the previous test signed out
        await p.locator('.account-toggle', { hasText: 'Management' }).click();
        await p.getByRole('button', { name: 'Access keys for AdministratorAccess in Management' }).click();
        const dialog = p.getByRole('dialog', { name: 'Get credentials for AdministratorAccess' });
        await dialog.locator('[data-state="ready"]').waitFor();
        const key1 = await dialog.locator('[data-field="access-key-id"]').first().textContent();
        const expires = dialog.locator('time[data-field="expires"]');
        const iso = (await expires.getAttribute('datetime')) ?? '';
        const at = new Date(iso);
        // AdministratorAccess lasts PT1H in the demo organization.
        assert.ok(Math.abs(at.getTime() - (Date.now() + 3600_000)) < 120_000, iso);
        const tokyo = new Intl.DateTimeFormat('en-US', {
          timeZone: 'Asia/Tokyo',
          hour: 'numeric',
          minute: '2-digit',
          second: '2-digit',
        }).format(at);
        const text = (await expires.textContent()) ?? '';
        assert.ok(text.includes(tokyo), `${text} shows ${tokyo} (Tokyo time)`);
        assert.match(text, /GMT\+9/);

        const left = async () => {
          const t = (await dialog.locator('[data-field="countdown"]').textContent()) ?? '';
          const m = /^(?:(\d+) h )?(?:(\d+) min )?(\d+) s left$/.exec(t);
          assert.ok(m, t);
          return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3]);
        };
        const before = await left();
        // The page's clock is installed before sign-in and may lag the server's on a busy machine,
        // so an hour can read a little over 3,600 s.
        assert.ok(before > 3500 && before <= 3660, String(before));
        await p.clock.runFor(90_000);
        assert.ok(Math.abs(before - 90 - (await left())) <= 1);
        await p.clock.runFor(3600_000);
        assert.equal(await dialog.locator('[data-field="countdown"]').textContent(), 'expired');
        const again = dialog.getByRole('button', { name: 'Get new credentials' });
        await again.click();
        await dialog.locator('[data-state="ready"]').waitFor();
        await p.waitForFunction(
          (k) => document.querySelector('[data-field="access-key-id"]')?.textContent !== k,
          key1,
        );
      } finally {
        await p.close();
      }
    });
  });
}

describe('access portal with many accounts in chromium', () => {
  const COUNT = 1200;
  let server: TestServer;
  let browser: TestBrowser;
  let userId = '';

  before(async () => {
    const ids = accountIds(COUNT, 500_000_000_000);
    server = await startTestServer({
      seed: async (deps) => {
        const org = await seedOrg(deps.ctx, {
          users: [{ userName: 'dana', groups: ['All'] }],
          groups: [{ name: 'All' }],
          accounts: ids.map((id, i) => ({ id, name: `workload-${String(i).padStart(4, '0')}` })),
          permissionSets: [{ name: 'ReadOnly' }, { name: 'Deploy' }],
          assignments: [
            { group: 'All', permissionSet: 'ReadOnly', accounts: ids },
            { user: 'dana', permissionSet: 'Deploy', accounts: ids.slice(-10) },
          ],
        });
        userId = org.users.dana!;
      },
    });
    browser = await launchBrowser();
    browser.context.setDefaultTimeout(15_000);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('loads every account and role in one request, renders in chunks, and searches them all', async () => {
    const who = await signIn(server.deps, userId);
    await browser.context.addCookies([{ name: who.cookieName, value: who.token, url: server.url }]);
    const page = await browser.context.newPage();
    const dataRequests: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/start/')) dataRequests.push(new URL(r.url()).pathname);
    });
    await page.goto(`${server.url}/start`);
    await page.locator('.account-row').first().waitFor();
    assert.equal(await page.locator('#account-status').textContent(), '1,200 accounts');
    assert.equal(await page.locator('.account-row').count(), 50);
    const more = page.locator('#account-more button');
    assert.equal(await more.textContent(), 'Show 50 more (1,150 not shown)');
    // A keyboard user activates the button (no scrolling, so the auto-load below stays out of it).
    await more.evaluate((b: HTMLButtonElement) => b.click());
    assert.equal(await page.locator('.account-row').count(), 100);
    const focused = await page.evaluate(() =>
      document.activeElement?.closest('.account-row')?.getAttribute('data-account-id'),
    );
    assert.equal(focused, '500000000050', 'focus moves to the first new row');
    // Scrolling to the end loads the next chunk by itself.
    await more.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelectorAll('.account-row').length >= 150);

    // Search reaches accounts that were never rendered.
    await page.getByRole('searchbox', { name: 'Search accounts' }).fill('workload-1199');
    assert.deepEqual(await page.locator('.account-name').allTextContents(), ['workload-1199']);
    await page.locator('.account-toggle').click();
    assert.deepEqual(await page.locator('.role-name').allTextContents(), ['Deploy', 'ReadOnly']);
    await page.getByRole('searchbox', { name: 'Search accounts' }).fill('5000-0000-0042');
    assert.deepEqual(await page.locator('.account-name').allTextContents(), ['workload-0042']);
    await page.getByRole('searchbox', { name: 'Search accounts' }).fill('workload-00');
    assert.equal(
      await page.locator('#account-status').textContent(),
      '100 of 1,200 accounts match “workload-00”',
    );
    assert.equal(await more.textContent(), 'Show 50 more (50 not shown)');
    await page.getByRole('searchbox', { name: 'Search accounts' }).fill('workload-000');
    assert.equal(await page.locator('.account-row').count(), 10);
    assert.equal(await page.locator('#account-more').isHidden(), true);

    // One request brought every account with its roles; opening accounts asked for nothing more.
    assert.deepEqual(dataRequests, ['/start/access.json']);
    await page.close();
  });
});
