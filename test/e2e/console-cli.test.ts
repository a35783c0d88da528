/**
 * `idcenter console --profile P` from the terminal, with the SSO token cache a finished sign-in
 * leaves: the server makes a one-time link (idcenter's `POST /idcenter/v1/console`), the CLI
 * opens the browser on it (a BROWSER command that records what it is given, started without a
 * shell) or prints it (`--no-browser`), and chromium, with no session of its own, follows it to
 * a page that POSTs the signed SAML Response to the sign-in endpoint. Here the endpoint is a
 * loopback listener set with IDCENTER_AWS_SIGNIN_ENDPOINT, which is then the assertion's
 * audience and recipient; xmlsec1 verifies what it received against the metadata certificate.
 *
 * A link works once and for a minute, and not after the sign-in it came from ended; refusals
 * (local account, not assigned, a destination off the console host) reach the terminal with
 * exit code 254; the API takes a bearer token only.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Clock } from '../../src/domain/runtime.ts';
import { applyText } from '../helpers/apply.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { certificateFromMetadata, samlAttributes, samlElement, xmlsecVerify } from '../helpers/saml.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  cliEnv,
  fakeBrowser,
  runCli,
  type SignedInHome,
  sessionConfig,
  signInWithoutBrowser,
  tempHome,
  writeConfig,
} from './cli-harness.ts';
import { signIn } from './portal-fixtures.ts';

const FED = '123456789012';
const LOCAL = '111111111111';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';

const ORG = `
accounts:
  - { id: "${FED}", name: Federated, email: fed@example.com, access: aws }
  - { id: "${LOCAL}", name: Local, email: local@example.com }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe }
permissionSets:
  - { name: Admin, sessionDuration: PT4H }
  - { name: Secret }
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${FED}", "${LOCAL}"] }
`;

/** Wall clock plus an offset the test moves forward. */
class OffsetClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}

interface Posted {
  samlResponse: string;
  relayState: string | null;
}

/** A stand-in for AWS's sign-in endpoint: records each SAML POST and answers a page. */
async function startSigninEndpoint(): Promise<{ url: string; posted: Posted[]; stop(): Promise<void> }> {
  const posted: Posted[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        posted.push({
          samlResponse: Buffer.from(form.get('SAMLResponse') ?? '', 'base64').toString(),
          relayState: form.get('RelayState'),
        });
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<title>AWS</title><p>signed in</p>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/saml`,
    posted,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('idcenter console: one-time console sign-in links from the terminal', () => {
  const clock = new OffsetClock();
  let server: TestServer;
  let signin: Awaited<ReturnType<typeof startSigninEndpoint>>;
  let browser: TestBrowser;
  let home: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;
  let cert: string;
  let signedIn: SignedInHome;

  const linkOf = (stdout: string): string => {
    const m = /^(http:\/\/127\.0\.0\.1:\d+\/start\/console\?code=[A-Za-z0-9_-]{43})$/m.exec(stdout);
    assert.ok(m, `no link in: ${stdout}`);
    return m[1]!;
  };

  /** Open `url` in a fresh tab (the browser has no idcenter session); what reached the endpoint. */
  async function open(
    url: string,
  ): Promise<{ status: number | undefined; posted: Posted | undefined; text: string }> {
    const from = signin.posted.length;
    const page = await browser.context.newPage();
    try {
      const res = await page.goto(url);
      if (signin.posted.length === from && (res?.status() ?? 0) === 200) {
        await page.waitForURL(signin.url).catch(() => {});
      }
      return {
        status: res?.status(),
        posted: signin.posted[from],
        text: (await page.textContent('body')) ?? '',
      };
    } finally {
      await page.close();
    }
  }

  before(async () => {
    signin = await startSigninEndpoint();
    server = await startTestServer({
      clock,
      settings: { awsSigninEndpoint: signin.url },
      seed: async (deps) => void (await applyText(deps.ctx, ORG)),
    });
    cert = certificateFromMetadata(await (await fetch(`${server.url}/saml/metadata`)).text());
    home = tempHome();
    env = cliEnv(home.home);
    writeConfig(
      home.home,
      sessionConfig(server, {
        fed: { sso_session: 'corp', sso_account_id: FED, sso_role_name: 'Admin', services: 'local' },
        local: { sso_session: 'corp', sso_account_id: LOCAL, sso_role_name: 'Admin', services: 'local' },
        secret: { sso_session: 'corp', sso_account_id: FED, sso_role_name: 'Secret', services: 'local' },
      }),
    );
    const alice = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    signedIn = await signInWithoutBrowser(server, alice.id, home.home);
    browser = await launchBrowser();
    browser.context.setDefaultTimeout(15_000);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await signin?.stop();
    home?.cleanup();
  });

  it('--no-browser prints a link; any browser following it is signed in to AWS with a verified assertion', async () => {
    const r = await runCli(['console', '--profile', 'fed', '--no-browser'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /Open this link in a browser to sign in to the AWS console as role Admin in account 123456789012\. It works once, until /,
    );
    const link = linkOf(r.stdout);
    const { posted } = await open(link);
    assert.ok(posted, 'the SAML form was posted');
    assert.equal(await xmlsecVerify(posted.samlResponse, cert), true);
    assert.equal(samlElement(posted.samlResponse, 'Audience')?.textContent, signin.url);
    assert.equal(
      samlElement(posted.samlResponse, 'SubjectConfirmationData')?.getAttribute('Recipient'),
      signin.url,
    );
    const attrs = samlAttributes(posted.samlResponse);
    assert.deepEqual(attrs.get(`${ATTR}Role`), [
      `arn:aws:iam::${FED}:role/idcenter/idcenter-Admin,arn:aws:iam::${FED}:saml-provider/idcenter`,
    ]);
    assert.deepEqual(attrs.get(`${ATTR}RoleSessionName`), ['alice']);
    assert.deepEqual(attrs.get(`${ATTR}SessionDuration`), ['14400']);
    assert.equal(posted.relayState, null);

    // Once only.
    const again = await open(link);
    assert.equal(again.status, 410);
    assert.match(again.text, /already used, or it expired/);
    assert.equal(again.posted, undefined);

    const audit = await server.deps.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('action', 'in', ['console.link', 'console.signin'])
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['console.link', 'console.signin'],
    );
    assert.equal((JSON.parse(audit[1]!.detail!) as { channel: string }).channel, 'cli');
    assert.equal((JSON.parse(audit[1]!.detail!) as { familyId: string }).familyId, signedIn.familyId);
    const code = new URL(link).searchParams.get('code')!;
    assert.ok(!JSON.stringify(audit).includes(code), 'no code in the audit log');
    assert.ok(!server.logs.join('').includes(code), 'no code in the server log');
    assert.ok(server.logs.some((l) => l.includes('/start/console?code=[redacted]')));
  });

  it('opens the browser (BROWSER, no shell) on the link, with a console destination', async () => {
    const fake = fakeBrowser(home.home);
    const destination = 'https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:';
    const r = await runCli(['console', '--profile', 'fed', '--destination', destination], {
      ...env,
      BROWSER: fake.command,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'Opening the AWS console as role Admin in account 123456789012 in your browser.\n',
    );
    const [opened] = fake.urls();
    assert.ok(opened);
    const { posted } = await open(linkOf(opened));
    assert.ok(posted);
    assert.equal(posted.relayState, destination);
    assert.equal(await xmlsecVerify(posted.samlResponse, cert), true);
  });

  it('a link not opened within a minute is refused', async () => {
    const r = await runCli(['console', '--profile', 'fed', '--no-browser'], env);
    assert.equal(r.code, 0, r.stderr);
    clock.offset += 61_000;
    try {
      const late = await open(linkOf(r.stdout));
      assert.equal(late.status, 410);
      assert.equal(late.posted, undefined);
    } finally {
      clock.offset -= 61_000;
    }
  });

  it('--debug does not write the link’s code to the trace', async () => {
    const r = await runCli(['console', '--profile', 'fed', '--no-browser', '--debug'], env);
    assert.equal(r.code, 0, r.stderr);
    const code = new URL(linkOf(r.stdout)).searchParams.get('code')!;
    assert.match(r.stderr, /CreateConsoleLink/);
    assert.ok(!r.stderr.includes(code), 'the code is not in the trace');
  });

  it('refuses at the terminal, exit 254: a local account, a role not assigned, a foreign destination', async () => {
    const local = await runCli(['console', '--profile', 'local', '--no-browser'], env);
    assert.equal(local.code, 254);
    assert.match(
      local.stderr,
      /Account 111111111111 is served by idcenter itself \(access: local\), not by AWS, so it has no AWS Management Console/,
    );
    const secret = await runCli(['console', '--profile', 'secret', '--no-browser'], env);
    assert.equal(secret.code, 254);
    assert.match(
      secret.stderr,
      /No access\. Your sign-in does not grant role Secret in account 123456789012/,
    );
    const foreign = await runCli(
      ['console', '--profile', 'fed', '--no-browser', '--destination', 'https://evil.example/'],
      env,
    );
    assert.equal(foreign.code, 254);
    assert.match(
      foreign.stderr,
      /The destination is on evil\.example: only https addresses on console\.aws\.amazon\.com/,
    );
  });

  it('the link API takes a bearer token only: a browser session or another site gets 401, bad input 400', async () => {
    const url = `${server.url}/idcenter/v1/console`;
    const body = JSON.stringify({ accountId: FED, roleName: 'Admin' });
    const none = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { message: string }).message, 'Session token not found or invalid');
    // A signed-in browser session: a cross-site form can send its cookie, never the bearer header.
    const alice = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    const who = await signIn(server.deps, alice.id);
    const csrf = await fetch(url, {
      method: 'POST',
      headers: { cookie: who.cookie, 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      body,
    });
    assert.equal(csrf.status, 401);
    const bad = await fetch(url, {
      method: 'POST',
      headers: { 'x-amz-sso_bearer_token': signedIn.accessToken, 'content-type': 'application/json' },
      body: JSON.stringify({ accountId: 'x', roleName: 'Admin' }),
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'InvalidRequestException');
  });

  it('a link stops working when the sign-in it came from ends (idcenter sso logout)', async () => {
    const r = await runCli(['console', '--profile', 'fed', '--no-browser'], env);
    assert.equal(r.code, 0, r.stderr);
    const out = await runCli(['sso', 'logout'], env);
    assert.equal(out.code, 0, out.stderr);
    const after = await open(linkOf(r.stdout));
    assert.equal(after.status, 410);
    assert.equal(after.posted, undefined);
    const gone = await runCli(['console', '--profile', 'fed', '--no-browser'], env);
    assert.equal(gone.code, 255);
    assert.match(gone.stderr, /sso login/);
  });
});
