/**
 * The HTML pages behind a public URL with a path prefix (`http://127.0.0.1:<port>/idc`, as a
 * reverse proxy forwarding `/idc/…` unchanged would present them): every link, form action,
 * asset URL and `Location` the sign-in pages, MFA pages, portal and profile send the browser
 * stays under the prefix; return paths travel in app form, a prefixed one is normalised, one that
 * leaves the site is still refused; cookies are sent back for prefixed paths. Then chromium signs
 * in and walks the portal by clicking, and no request it makes leaves the prefix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import { DISCOVERY_PATH, discoveryUrls } from '../../src/cli/client/discovery.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { csrfOf, FormClient, hiddenOf, registerPkceClient, totpNow } from '../helpers/oidc.ts';
import { seedOrg } from '../helpers/seed.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';

const P = '/idc';
const PASSWORD = 'prefix-test-password-1';
const ACCOUNT = '111111111111';

/** Every root-relative URL in an href, src, action or data-…-url attribute of a page. */
function pageUrls(text: string): string[] {
  return [...text.matchAll(/\s(?:href|src|action|data-[a-z-]+-url)="(\/[^"]*)"/g)].map((m) => m[1]!);
}

/** Every root-relative URL of the page starts with the prefix (and there is at least one). */
function assertAllPrefixed(text: string, what: string): string[] {
  const urls = pageUrls(text);
  assert.ok(urls.length > 0, `${what}: no URLs found`);
  for (const u of urls) assert.ok(u.startsWith(`${P}/`), `${what}: ${u} is outside ${P}`);
  return urls;
}

/** The Path of each Set-Cookie line; each must be sent by a browser with requests under the prefix. */
function assertCookiesReachPrefix(headers: Headers): void {
  for (const line of headers.getSetCookie()) {
    const path = /;\s*Path=([^;]*)/i.exec(line)?.[1] ?? '';
    assert.ok(path === '/' || `${P}/start`.startsWith(path), `cookie path ${path} misses ${P}: ${line}`);
  }
}

function secretOf(text: string): string {
  const m = /data-testid="totp-secret">([A-Z2-7 ]+)</.exec(text);
  if (!m?.[1]) throw new Error('no secret on the page');
  return m[1];
}

describe(`web pages behind a public URL with a path prefix (${P})`, () => {
  let server: TestServer;
  let origin: string;
  const clock = new ManualClock(Date.now());

  before(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const passwordHash = await hash(PASSWORD);
    server = await startTestServer({
      clock,
      settings: { port: String(port), publicUrl: `${origin}${P}` },
      seed: async (deps) => {
        await seedOrg(deps.ctx, {
          users: [
            { userName: 'alice', passwordHash },
            { userName: 'bob', passwordHash },
            { userName: 'carol', passwordHash },
          ],
          accounts: [{ id: ACCOUNT, name: 'Production' }],
          permissionSets: [{ name: 'ReadOnly' }],
          assignments: [
            { user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] },
            { user: 'carol', permissionSet: 'ReadOnly', accounts: [ACCOUNT] },
          ],
        });
      },
    });
    assert.equal(server.url, `${origin}${P}`);
  });
  after(async () => server?.stop());

  /** A cookie-keeping client on the origin; paths are given as the browser uses them. */
  const client = () => new FormClient(origin);

  async function signIn(web: FormClient, userName: string, back: string) {
    const page = await web.get(`${P}/signin`);
    return web.post(`${P}/signin`, {
      _csrf: csrfOf(page.text),
      step: 'password',
      user_name: userName,
      password: PASSWORD,
      return: back,
    });
  }

  it('the sign-in page links, posts and loads its assets under the prefix', async () => {
    const web = client();
    const page = await web.get(`${P}/signin?return=%2Fprofile`);
    assert.equal(page.status, 200);
    const urls = assertAllPrefixed(page.text, 'sign-in page');
    assert.match(page.text, new RegExp(`<form method="post" action="${P}/signin">`));
    assert.match(page.text, new RegExp(`<a class="brand" href="${P}/start">`));
    assert.equal(hiddenOf(page.text, 'return'), '/profile', 'the return path stays an app path');
    assertCookiesReachPrefix(page.headers);
    const styles = urls.filter((u) => u.startsWith(`${P}/static/`) && u.endsWith('.css'));
    assert.equal(styles.length, 2);
    for (const u of styles) {
      const res = await fetch(`${origin}${u}`);
      assert.equal(res.status, 200, u);
      assert.match(res.headers.get('content-type') ?? '', /^text\/css/);
    }
    const icons = urls.filter((u) => u.startsWith(`${P}/static/`) && u.endsWith('.svg'));
    assert.equal(icons.length, 1, 'the page links its icon under the prefix');
    const icon = await fetch(`${origin}${icons[0]}`);
    assert.equal(icon.status, 200);
    assert.match(icon.headers.get('content-type') ?? '', /^image\/svg\+xml/);

    const step = await web.post(`${P}/signin`, {
      _csrf: csrfOf(page.text),
      step: 'user',
      user_name: 'alice',
      return: '/profile',
    });
    assertAllPrefixed(step.text, 'password page');
    assert.match(step.text, new RegExp(`<a href="${P}/signin\\?return=%2Fprofile">Not you\\?</a>`));
  });

  it('the client finds the discovery document beside the prefixed start URL, naming prefixed endpoints', async () => {
    const startUrl = `${origin}${P}/start`;
    const [first] = discoveryUrls(startUrl);
    assert.equal(first, `${origin}${P}${DISCOVERY_PATH}`);
    const res = await fetch(first!);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.start_url, startUrl);
    for (const key of ['sso_endpoint', 'sso_oidc_endpoint', 'sts_endpoint']) {
      assert.ok(String(doc[key]).startsWith(`${origin}${P}`), `${key} is under the prefix: ${doc[key]}`);
    }
  });

  it('pages that need a session send the browser to sign-in under the prefix', async () => {
    const web = client();
    assert.equal((await web.get(`${P}/start`)).location, `${P}/signin`);
    assert.equal((await web.get(`${P}/profile`)).location, `${P}/signin?return=%2Fprofile`);
    assert.equal((await web.get(`${P}/mfa`)).location, `${P}/signin?return=%2Fmfa`);
    assert.equal((await web.get(`${P}/`)).location, `${P}/start`);
    assert.equal((await web.get(`${P}`)).location, `${P}/start`);
  });

  it('a password sign-in lands under the prefix, and the cookie comes back for prefixed pages', async () => {
    const web = client();
    const done = await signIn(web, 'alice', '/profile');
    assert.equal(done.status, 303);
    assert.equal(done.location, `${P}/profile`);
    assertCookiesReachPrefix(done.headers);

    const start = await web.get(`${P}/start`);
    assert.equal(start.status, 200, 'the session cookie is sent with prefixed requests');
    assertAllPrefixed(start.text, 'portal start page');
    assert.match(start.text, new RegExp(`<a href="${P}/profile">Profile</a>`));
    assert.match(start.text, new RegExp(`action="${P}/signout"`));
    assert.match(start.text, new RegExp(`<script type="module" src="${P}/static/portal\\.[0-9a-f]+\\.js">`));
    assert.match(start.text, new RegExp(`data-access-url="${P}/start/access.json"`));
    assert.match(start.text, new RegExp(`data-credentials-url="${P}/start/credentials"`));
    const access = await web.get(`${P}/start/access.json`);
    assert.equal(access.status, 200);
    assert.match(access.text, new RegExp(ACCOUNT));

    const profile = await web.get(`${P}/profile`);
    assertAllPrefixed(profile.text, 'profile page');
    assert.match(profile.text, new RegExp(`href="${P}/mfa/enroll"`));
    assert.match(profile.text, new RegExp(`action="${P}/profile/sessions/revoke"`));

    // Already signed in: sign-in sends the browser straight back, under the prefix.
    assert.equal((await web.get(`${P}/signin?return=%2Fdevice`)).location, `${P}/device`);
    const device = await web.get(`${P}/device`);
    assertAllPrefixed(device.text, 'device page');
    assert.match(device.text, new RegExp(`action="${P}/device"`));

    const out = await web.post(`${P}/signout`, { _csrf: csrfOf(start.text) });
    assert.equal(out.status, 200);
    assertAllPrefixed(out.text, 'signed-out page');
    assert.match(out.text, new RegExp(`<a class="button" href="${P}/signin">Sign in again</a>`));
    assertCookiesReachPrefix(out.headers);
    assert.equal((await web.get(`${P}/start`)).location, `${P}/signin`, 'the cookie was cleared');
  });

  it('a return path that arrives with the prefix is normalised to its app path', async () => {
    const web = client();
    const page = await web.get(`${P}/signin?return=${encodeURIComponent(`${P}/device?user_code=ABCD-EFGH`)}`);
    assert.equal(hiddenOf(page.text, 'return'), '/device?user_code=ABCD-EFGH');
    const done = await signIn(web, 'alice', `${P}/profile`);
    assert.equal(done.location, `${P}/profile`);
  });

  it('a return URL outside the site is still refused', async () => {
    for (const bad of [
      'https://evil.example/x',
      '//evil.example/x',
      `${P}//evil.example/x`,
      '/\\evil.example',
    ]) {
      const web = client();
      const page = await web.get(`${P}/signin?return=${encodeURIComponent(bad)}`);
      assert.equal(hiddenOf(page.text, 'return'), '/start', bad);
      const done = await signIn(web, 'alice', bad);
      assert.equal(done.location, `${P}/start`, bad);
      assert.equal((await web.get(`${P}/signin?return=${encodeURIComponent(bad)}`)).location, `${P}/start`);
    }
  });

  it('MFA enrolment and the code step stay under the prefix', async () => {
    const web = client();
    assert.equal((await signIn(web, 'bob', '/start')).location, `${P}/start`);
    const status = await web.get(`${P}/mfa`);
    assertAllPrefixed(status.text, 'MFA status page');
    assert.match(status.text, new RegExp(`<a class="button" href="${P}/mfa/enroll">`));
    const enrol = await web.get(`${P}/mfa/enroll`);
    assertAllPrefixed(enrol.text, 'MFA enrolment page');
    assert.match(enrol.text, new RegExp(`<form method="post" action="${P}/mfa/enroll">`));
    const secret = secretOf(enrol.text);
    const ok = await web.post(`${P}/mfa/enroll`, {
      _csrf: csrfOf(enrol.text),
      device_id: hiddenOf(enrol.text, 'device_id'),
      code: totpNow(secret, clock.now()),
    });
    assert.equal(ok.location, `${P}/mfa?done=enrolled`);
    const manage = await web.get(`${P}/mfa`);
    assert.match(manage.text, new RegExp(`<form method="post" action="${P}/mfa/remove">`));

    clock.advance(31_000);
    const next = client();
    const step = await signIn(next, 'bob', '/profile');
    assert.equal(step.location, `${P}/signin/mfa?return=%2Fprofile`);
    const codePage = await next.get(step.location ?? '');
    assertAllPrefixed(codePage.text, 'code page');
    assert.match(codePage.text, new RegExp(`<form method="post" action="${P}/signin/mfa">`));
    assert.match(codePage.text, new RegExp(`<a href="${P}/signin\\?return=%2Fprofile">Cancel</a>`));
    const done = await next.post(`${P}/signin/mfa`, {
      _csrf: csrfOf(codePage.text),
      code: totpNow(secret, clock.now()),
      return: hiddenOf(codePage.text, 'return'),
    });
    assert.equal(done.location, `${P}/profile`);
    assertCookiesReachPrefix(done.headers);
    assert.equal((await next.get(`${P}/profile`)).status, 200);
  });

  it('the PKCE consent page posts under the prefix, also when the CLI opened /authorize at the origin', async () => {
    const reg = await registerPkceClient(server.url);
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: reg.clientId,
      redirect_uri: 'http://127.0.0.1:4321/oauth/callback',
      state: 'st',
      code_challenge_method: 'S256',
      scopes: 'sso:account:access',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    });
    const web = client();
    const first = await web.get(`/authorize?${q}`);
    assert.equal(first.location, `${P}/signin?return=${encodeURIComponent(`/authorize?${q}`)}`);
    const back = new URL(first.location ?? '', origin).searchParams.get('return') ?? '';
    assert.equal((await signIn(web, 'alice', back)).location, `${P}/authorize?${q}`);
    const consent = await web.get(`${P}/authorize?${q}`);
    assertAllPrefixed(consent.text, 'consent page');
    assert.match(consent.text, new RegExp(`<form method="post" action="${P}/authorize">`));
  });

  it('chromium signs in and walks the portal by clicking, never leaving the prefix', async () => {
    const browser = await launchBrowser();
    try {
      const outside: string[] = [];
      browser.context.on('request', (r) => {
        const u = new URL(r.url());
        if (u.origin === origin && u.pathname !== P && !u.pathname.startsWith(`${P}/`))
          outside.push(u.pathname);
      });
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/profile`);
      await page.waitForURL(`${server.url}/signin?return=%2Fprofile`);
      await page.fill('#user_name', 'carol');
      await page.click('main button[type=submit]');
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(`${server.url}/profile`), page.click('main button[type=submit]')]);
      await page.getByRole('heading', { name: 'Profile', exact: true }).waitFor();
      await page.locator('a.brand').click();
      await page.waitForURL(`${server.url}/start`);
      await page.locator('.account-row', { hasText: 'Production' }).waitFor();
      await page.getByRole('link', { name: 'Profile' }).click();
      await page.waitForURL(`${server.url}/profile`);
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
      await page.getByRole('link', { name: 'Sign in again' }).click();
      await page.waitForURL(`${server.url}/signin`);
      const sheets = await page.evaluate(() => document.styleSheets.length);
      assert.equal(sheets, 2, 'both stylesheets loaded');
      assert.deepEqual(outside, []);
    } finally {
      await browser.close();
    }
  });
});
