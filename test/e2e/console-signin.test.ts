/**
 * Console sign-in from the access portal, in chromium: for an `aws` account the permission set's
 * name is a link; following it opens a tab whose page POSTs a signed SAML Response to AWS's
 * sign-in endpoint (`https://signin.aws.amazon.com/saml`, the real default, intercepted by
 * Playwright's routing so nothing leaves the machine). The intercepted SAMLResponse is verified
 * by xmlsec1 against the certificate of the server's own metadata and read back: audience,
 * recipient, destination, role, session name, session tags; RelayState is the permission set's,
 * or a shortcut link's destination.
 *
 * Attacks and refusals: no session, a role the user is not assigned, a destination off the
 * console host, an account idcenter serves itself (`access: local`) or one on OIDC, a request
 * another site starts (a link: confirmation first; a form POST: refused), a POST without this
 * session's CSRF token. Nothing reaches the sign-in endpoint for any of them.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page, Request } from 'playwright-core';
import type { AppContext } from '../../src/app/context.ts';
import { applyText } from '../helpers/apply.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { certificateFromMetadata, samlAttributes, samlElement, xmlsecVerify } from '../helpers/saml.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { type SignedIn, signIn } from './portal-fixtures.ts';

const FED = '123456789012';
const LOCAL = '111111111111';
const OIDC = '222222222222';
const SIGNIN = 'https://signin.aws.amazon.com/saml';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';
const RELAY = 'https://console.aws.amazon.com/s3/home?region=us-east-1';

const ORG = `
accounts:
  - { id: "${FED}", name: Federated, email: fed@example.com, access: aws }
  - { id: "${LOCAL}", name: Local, email: local@example.com }
  - { id: "${OIDC}", name: Oidc, email: oidc@example.com, access: aws, federation: oidc }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, attributes: { department: Engineering } }
  - { userName: bob, displayName: Bob, givenName: Bob, familyName: Roe }
permissionSets:
  - { name: Admin, sessionDuration: PT2H, relayState: "${RELAY}", sessionTags: { Department: department } }
  - { name: ReadOnly }
  - { name: Secret }
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${FED}", "${LOCAL}", "${OIDC}"] }
  - { user: alice, permissionSet: ReadOnly, accounts: ["${FED}"] }
  - { user: bob, permissionSet: Secret, accounts: ["${FED}"] }
`;

interface Posted {
  samlResponse: string;
  relayState: string | null;
  fields: string[];
}

/** A page on another site (`localhost` is another site than `127.0.0.1`), serving what a test sets. */
async function startOtherSite(): Promise<{ url: string; html: { value: string }; stop(): Promise<void> }> {
  const html = { value: '' };
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html.value);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    html,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('console sign-in from the access portal (chromium)', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let cert: string;
  let alice: SignedIn;
  let other: Awaited<ReturnType<typeof startOtherSite>>;
  const posted: Posted[] = [];
  const pageErrors: string[] = [];

  async function userId(ctx: AppContext, userName: string): Promise<string> {
    const row = await ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', userName)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** A new tab that follows `open` and lands on the intercepted sign-in endpoint; what it posted. */
  async function followToAws(open: (page: Page) => Promise<unknown>, page?: Page): Promise<Posted> {
    const from = posted.length;
    const p = page ?? (await browser.context.newPage());
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    await open(p);
    const deadline = Date.now() + 15_000;
    while (posted.length === from && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(posted.length, from + 1, 'one POST reached the sign-in endpoint');
    return posted[from]!;
  }

  async function consoleRows(): Promise<Array<{ action: string; detail: Record<string, unknown> }>> {
    const rows = await server.deps.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('action', '=', 'console.signin')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      action: r.action,
      detail: JSON.parse(r.detail ?? '{}') as Record<string, unknown>,
    }));
  }

  before(async () => {
    server = await startTestServer({ seed: async (deps) => void (await applyText(deps.ctx, ORG)) });
    cert = certificateFromMetadata(await (await fetch(`${server.url}/saml/metadata`)).text());
    alice = await signIn(server.deps, await userId(server.deps.ctx, 'alice'));
    other = await startOtherSite();
    browser = await launchBrowser();
    browser.context.setDefaultTimeout(15_000);
    await browser.context.addCookies([{ name: alice.cookieName, value: alice.token, url: server.url }]);
    // AWS's sign-in endpoint, as the browser meets it: intercepted, recorded, answered.
    await browser.context.route(SIGNIN, async (route, request: Request) => {
      const form = new URLSearchParams(request.postData() ?? '');
      posted.push({
        samlResponse: Buffer.from(form.get('SAMLResponse') ?? '', 'base64').toString(),
        relayState: form.get('RelayState'),
        fields: [...form.keys()],
      });
      assert.equal(request.method(), 'POST');
      await route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<title>AWS</title><p>signed in</p>',
      });
    });
  });
  after(async () => {
    await browser?.close();
    await other?.stop();
    await server?.stop();
  });

  it('the role of an aws account is a link; following it POSTs a verified SAML Response to AWS', async () => {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${server.url}/start`);
    await page.locator('.account-toggle', { hasText: 'Federated' }).click();
    const link = page.locator(`#roles-${FED} a.console-link`, { hasText: 'Admin' });
    assert.equal(await link.getAttribute('target'), '_blank');
    // A local account's and an OIDC account's roles are not links.
    await page.locator('.account-toggle', { hasText: 'Local' }).click();
    await page.locator('.account-toggle', { hasText: 'Oidc' }).click();
    assert.equal(await page.locator(`#roles-${LOCAL} .role-name`).count(), 1);
    assert.equal(await page.locator(`#roles-${LOCAL} a`).count(), 0);
    assert.equal(await page.locator(`#roles-${OIDC} a`).count(), 0);

    const before = Date.now();
    const tabs = browser.context.pages().length;
    const sent = await followToAws(async () => {
      const [tab] = await Promise.all([browser.context.waitForEvent('page'), link.click()]);
      await tab.waitForURL(SIGNIN);
    }, page);
    assert.equal(browser.context.pages().length, tabs + 1, 'in a new tab');
    assert.deepEqual(sent.fields, ['SAMLResponse', 'RelayState']);
    assert.equal(sent.relayState, RELAY, "the permission set's relay state");
    const xml = sent.samlResponse;
    assert.equal(await xmlsecVerify(xml, cert), true, 'xmlsec1 verifies it with the metadata certificate');
    assert.equal(samlElement(xml, 'Audience')?.textContent, SIGNIN);
    assert.equal(samlElement(xml, 'SubjectConfirmationData')?.getAttribute('Recipient'), SIGNIN);
    const response = new (await import('@xmldom/xmldom')).DOMParser().parseFromString(xml, 'text/xml');
    assert.equal(response.documentElement?.getAttribute('Destination'), SIGNIN);
    assert.equal(samlElement(xml, 'Issuer')?.textContent, `${server.url}/saml/metadata`);
    const notOnOrAfter = Date.parse(samlElement(xml, 'Conditions')?.getAttribute('NotOnOrAfter') ?? '');
    assert.ok(notOnOrAfter > before && notOnOrAfter <= Date.now() + 301_000, 'valid for five minutes');
    const attrs = samlAttributes(xml);
    assert.deepEqual(attrs.get(`${ATTR}Role`), [
      `arn:aws:iam::${FED}:role/idcenter/idcenter-Admin,arn:aws:iam::${FED}:saml-provider/idcenter`,
    ]);
    assert.deepEqual(attrs.get(`${ATTR}RoleSessionName`), ['alice']);
    assert.deepEqual(attrs.get(`${ATTR}SessionDuration`), ['7200']);
    assert.deepEqual(attrs.get(`${ATTR}PrincipalTag:Department`), ['Engineering']);

    const audit = (await consoleRows()).at(-1)!;
    assert.equal(audit.detail.roleArn, `arn:aws:iam::${FED}:role/idcenter/idcenter-Admin`);
    assert.equal(audit.detail.relayState, RELAY);
    assert.equal(audit.detail.channel, 'portal');
    assert.equal(audit.detail.userName, 'alice');
    assert.ok(!JSON.stringify(audit).includes('Assertion'), 'the assertion is not in the audit log');
    assert.deepEqual(pageErrors, []);
  });

  it('a shortcut link with a console destination lands there; a role without relay state sends none', async () => {
    const destination = 'https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances:';
    const q = new URLSearchParams({ account: FED, role: 'Admin', destination });
    const sent = await followToAws((p) => p.goto(`${server.url}/start/console?${q}`));
    assert.equal(sent.relayState, destination);
    assert.equal(await xmlsecVerify(sent.samlResponse, cert), true);

    const plain = await followToAws((p) =>
      p.goto(`${server.url}/start/console?account=${FED}&role=ReadOnly`),
    );
    assert.deepEqual(plain.fields, ['SAMLResponse']);
    assert.equal(await xmlsecVerify(plain.samlResponse, cert), true);
  });

  it('the sign-in page: a strict CSP whose form-action names the sign-in endpoint and the console hosts', async () => {
    const res = await fetch(`${server.url}/start/console?account=${FED}&role=ReadOnly`, {
      headers: { cookie: alice.cookie },
    });
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(
      csp,
      /form-action 'self' https:\/\/signin\.aws\.amazon\.com https:\/\/console\.aws\.amazon\.com https:\/\/\*\.console\.aws\.amazon\.com(;|$)/,
    );
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const text = await res.text();
    assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)/, 'no inline script');
    assert.match(
      text,
      /<form id="console-signin" method="post" action="https:\/\/signin\.aws\.amazon\.com\/saml">/,
    );
  });

  it('without a session: to sign-in, and back to the shortcut afterwards', async () => {
    const q = new URLSearchParams({ account: FED, role: 'Admin', destination: RELAY });
    const res = await fetch(`${server.url}/start/console?${q}`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    const location = new URL(res.headers.get('location') ?? '', server.url);
    assert.equal(location.pathname, '/signin');
    assert.equal(location.searchParams.get('return'), `/start/console?${q}`);
  });

  it('refuses, with a page that says why and nothing sent to AWS: no access, local, OIDC, foreign destination, bad input', async () => {
    const from = posted.length;
    const audits = (await consoleRows()).length;
    const cases: Array<[string, number, RegExp]> = [
      [`account=${FED}&role=Secret`, 403, /not assigned this permission set/],
      [`account=${FED}&role=NoSuchSet`, 403, /not assigned this permission set/],
      [
        `account=${LOCAL}&role=Admin`,
        400,
        /served by idcenter itself \(access: local\), not by AWS, so it has no AWS Management Console/,
      ],
      [
        `account=${OIDC}&role=Admin`,
        400,
        /OIDC federation, and the AWS Management Console signs in through SAML only/,
      ],
      [
        `account=${FED}&role=Admin&destination=${encodeURIComponent('https://evil.example/console.aws.amazon.com/')}`,
        400,
        /The destination is on evil\.example: only https addresses on console\.aws\.amazon\.com or one of its subdomains/,
      ],
      [
        `account=${FED}&role=Admin&destination=${encodeURIComponent('https://console.aws.amazon.com.evil.example/')}`,
        400,
        /is on console\.aws\.amazon\.com\.evil\.example/,
      ],
      [
        `account=${FED}&role=Admin&destination=${encodeURIComponent('javascript:alert(1)')}`,
        400,
        /uses javascript/,
      ],
      [`account=12345&role=Admin`, 400, /must name an account/],
      [`account=${FED}&role=${encodeURIComponent('<b>')}`, 400, /must name a permission set/],
    ];
    for (const [query, status, message] of cases) {
      const res = await fetch(`${server.url}/start/console?${query}`, { headers: { cookie: alice.cookie } });
      assert.equal(res.status, status, query);
      const text = await res.text();
      assert.match(text, message, query);
      assert.doesNotMatch(text, /SAMLResponse/, query);
      assert.match(
        res.headers.get('content-security-policy') ?? '',
        /form-action 'self' http:\/\/127\.0\.0\.1/,
      );
    }
    // In the browser too: the page shows the reason and posts nothing.
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/start/console?account=${LOCAL}&role=Admin`);
    assert.match((await page.locator('main').textContent()) ?? '', /access: local/);
    await page.close();
    assert.equal(posted.length, from);
    assert.equal((await consoleRows()).length, audits, 'nothing audited as a sign-in');
  });

  it('a link on another site: a confirmation first, then the sign-in only after the click', async () => {
    const from = posted.length;
    other.html.value = `<a id="go" href="${server.url}/start/console?account=${FED}&role=ReadOnly">console</a>`;
    const page = await browser.context.newPage();
    await page.goto(other.url);
    await Promise.all([page.waitForURL(/\/start\/console/), page.click('#go')]);
    assert.equal(await page.locator('h1').textContent(), 'Open the AWS console?');
    assert.match((await page.locator('main').textContent()) ?? '', /Another site sent you here/);
    assert.equal(await page.locator('input[name=SAMLResponse]').count(), 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(posted.length, from, 'nothing was posted to AWS');
    const sent = await followToAws(async () => {
      await Promise.all([
        page.waitForURL(SIGNIN),
        page.getByRole('button', { name: 'Open the AWS console' }).click(),
      ]);
    }, page);
    assert.equal(await xmlsecVerify(sent.samlResponse, cert), true);
  });

  it('CSRF: a POST without this session’s token, or from another site, is refused and signs nothing', async () => {
    const from = posted.length;
    const audits = (await consoleRows()).length;
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/start/console`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: alice.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(fields).toString(),
      });
    const base = { account: FED, role: 'ReadOnly' };
    for (const res of [
      await post(base),
      await post({ ...base, _csrf: 'not-the-token' }),
      await post({ ...base, _csrf: alice.csrf }, { 'sec-fetch-site': 'cross-site' }),
    ]) {
      assert.equal(res.status, 403);
      assert.doesNotMatch(await res.text(), /SAMLResponse/);
    }
    const ok = await post({ ...base, _csrf: alice.csrf }, { 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /name="SAMLResponse"/);

    // In chromium: a page on another site that submits a form here at once.
    other.html.value = `<form id="f" method="post" action="${server.url}/start/console"><input name="account" value="${FED}"><input name="role" value="ReadOnly"></form><script>document.getElementById('f').submit()</script>`;
    const page = await browser.context.newPage();
    const answer = page.waitForResponse((r) => r.url() === `${server.url}/start/console`);
    await page.goto(other.url);
    assert.equal((await answer).status(), 403);
    await page.close();
    assert.equal(posted.length, from);
    assert.equal((await consoleRows()).length, audits + 1, 'only the one with the token signed');
  });
});

describe('console sign-in behind a public URL with a path prefix (/idc)', () => {
  let server: TestServer;
  let origin: string;
  let alice: SignedIn;

  before(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = await startTestServer({
      settings: { port: String(port), publicUrl: `${origin}/idc` },
      seed: async (deps) => void (await applyText(deps.ctx, ORG)),
    });
    const row = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    alice = await signIn(server.deps, row.id);
  });
  after(async () => {
    await server?.stop();
  });

  it('the page, its script, the confirmation and the sign-in redirect stay under the prefix', async () => {
    const page = await fetch(`${origin}/idc/start/console?account=${FED}&role=ReadOnly`, {
      headers: { cookie: alice.cookie },
    });
    assert.equal(page.status, 200);
    const text = await page.text();
    const urls = [...text.matchAll(/\s(?:href|src|action)="(\/[^"]*)"/g)].map((m) => m[1]!);
    assert.ok(
      urls.some((u) => /^\/idc\/static\/console\.[0-9a-f]+\.js$/.test(u)),
      urls.join(' '),
    );
    for (const u of urls) assert.ok(u.startsWith('/idc/'), `${u} is outside /idc`);
    assert.match(text, /action="https:\/\/signin\.aws\.amazon\.com\/saml"/);

    const confirm = await fetch(`${origin}/idc/start/console?account=${FED}&role=ReadOnly`, {
      headers: { cookie: alice.cookie, 'sec-fetch-site': 'cross-site' },
    });
    assert.match(await confirm.text(), /<form method="post" action="\/idc\/start\/console">/);

    const signedOut = await fetch(`${origin}/idc/start/console?account=${FED}&role=ReadOnly`, {
      redirect: 'manual',
    });
    assert.equal(signedOut.status, 303);
    assert.equal(
      signedOut.headers.get('location'),
      `/idc/signin?return=${encodeURIComponent(`/start/console?account=${FED}&role=ReadOnly`)}`,
    );
  });
});
