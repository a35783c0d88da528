/**
 * The authorization-code + PKCE flow end to end, as AWS CLI v2 `aws sso login` runs it by
 * default: register with a port-less loopback redirect URI, open `/authorize` in the browser,
 * receive the code on a loopback listener with a random port, redeem it with the verifier. The
 * client side is botocore's sso-oidc client (python) or @aws-sdk/client-sso-oidc; chromium plays
 * the person; the cached token is then refreshed by botocore's SSOTokenProvider and the JS SDK's
 * fromSso.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateTokenCommand, RegisterClientCommand, SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { fromSso } from '@aws-sdk/token-providers';
import { resolveAccessToken } from '../../src/app/auth/tokens.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { auditRows, seedUser } from '../helpers/oidc.ts';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { type Person, signInIfAsked, ssoCacheDir } from './oidc-browser.ts';

const PERSON: Person = { userName: 'alice', password: 'pkce-flow-password-1' };
const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');

/** The CLI's loopback callback: any path, first request wins. */
async function loopback(): Promise<{
  port: number;
  query: Promise<URLSearchParams>;
  close(): Promise<void>;
}> {
  let resolve!: (q: URLSearchParams) => void;
  const query = new Promise<URLSearchParams>((r) => {
    resolve = r;
  });
  const server = http.createServer((req, res) => {
    resolve(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams);
    res.writeHead(200, { 'content-type': 'text/html', server: 'AWS CLI/test' });
    res.end('<!doctype html><title>done</title><p>Credentials have been shared. You can close this tab.</p>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    query,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The authorize URL exactly as AWS CLI v2 builds it (docs/wire-protocols.md,
 * "The authorize endpoint").
 */
function authorizeUrl(
  base: string,
  clientId: string,
  redirectUri: string,
  state: string,
  verifier: string,
): string {
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state,
    code_challenge_method: 'S256',
    scopes: 'sso:account:access',
  });
  return `${new URL(base).origin}/authorize?${q.toString()}&code_challenge=${challenge}`;
}

/** 64 characters of [A-Za-z0-9-._~], like the CLI's verifier. */
function newVerifier(): string {
  return randomBytes(48).toString('base64url').slice(0, 64);
}

async function consentInBrowser(
  browser: TestBrowser,
  url: string,
  decision: 'allow' | 'deny',
  expectClient: string,
) {
  const page = await browser.context.newPage();
  try {
    await page.goto(url);
    const signedInAlready = new URL(page.url()).pathname === '/authorize';
    await signInIfAsked(page, PERSON);
    assert.equal(new URL(page.url()).pathname, '/authorize');
    assert.equal(await page.textContent('[data-testid=client-name]'), expectClient);
    await Promise.all([
      page.waitForURL((u) => u.hostname === '127.0.0.1' && u.pathname === '/oauth/callback'),
      page.click(`main button[value=${decision}]`),
    ]);
    return { signedInAlready };
  } finally {
    await page.close();
  }
}

function writeConfig(home: string, startUrl: string, session: string): string {
  const file = path.join(home, '.aws', 'config');
  fs.writeFileSync(
    file,
    `[profile dev]\nsso_session = ${session}\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\nregion = us-east-1\n[sso-session ${session}]\nsso_start_url = ${startUrl}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n`,
  );
  return file;
}

function writeCache(
  home: string,
  session: string,
  fields: {
    startUrl: string;
    accessToken: string;
    refreshToken: string;
    clientId: string;
    clientSecret: string;
    secretExpiresAt: number;
  },
  minutesLeft: number,
): string {
  const file = path.join(ssoCacheDir(home), `${sha1(session)}.json`);
  const z = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  fs.writeFileSync(
    file,
    JSON.stringify({
      startUrl: fields.startUrl,
      region: 'us-east-1',
      accessToken: fields.accessToken,
      expiresAt: z(Date.now() + minutesLeft * 60_000),
      clientId: fields.clientId,
      clientSecret: fields.clientSecret,
      registrationExpiresAt: z(fields.secretExpiresAt * 1000),
      refreshToken: fields.refreshToken,
    }),
  );
  return file;
}

const BOTOCORE_REGISTER = `
import json, sys, botocore.session
c = botocore.session.Session().create_client('sso-oidc', region_name='us-east-1', endpoint_url=sys.argv[1])
r = c.register_client(clientName='botocore-client-pkce-session', clientType='public', scopes=['sso:account:access'],
                      grantTypes=['authorization_code', 'refresh_token'], redirectUris=['http://127.0.0.1/oauth/callback'],
                      issuerUrl=sys.argv[2])
print(json.dumps({k: r[k] for k in ('clientId', 'clientSecret', 'clientSecretExpiresAt')}))
`;

const BOTOCORE_TOKEN = `
import json, sys, botocore.session
c = botocore.session.Session().create_client('sso-oidc', region_name='us-east-1', endpoint_url=sys.argv[1])
a = json.loads(sys.argv[2])
try:
    t = c.create_token(grantType='authorization_code', clientId=a['clientId'], clientSecret=a['clientSecret'],
                       redirectUri=a['redirectUri'], codeVerifier=a['codeVerifier'], code=a['code'])
    print(json.dumps({k: t.get(k) for k in ('accessToken', 'refreshToken', 'expiresIn', 'tokenType')}))
except c.exceptions.InvalidGrantException as e:
    print(json.dumps({'error': e.response['Error']['Code']}))
`;

const BOTOCORE_REFRESH = `
import json, botocore.session
from botocore.tokens import SSOTokenProvider
t = SSOTokenProvider(botocore.session.Session(profile='dev')).load_token().get_frozen_token()
print(json.dumps({'token': t.token}))
`;

describe('PKCE flow end to end', () => {
  let browser: TestBrowser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => browser?.close());

  describe('botocore + chromium + SSOTokenProvider (sqlite)', () => {
    let server: TestServer;
    const home = tempHome();
    before(async () => {
      server = await startTestServer({ seed: (deps) => seedUser(deps, PERSON).then(() => {}) });
    });
    after(async () => {
      await server?.stop();
      home.cleanup();
    });

    it('signs in, consents, redeems the code with the verifier, and refreshes', async () => {
      const env = cleanAwsEnv(home.home);
      const reg = await python(BOTOCORE_REGISTER, [server.url, server.config.startUrl], env);
      assert.equal(reg.code, 0, reg.stderr);
      const client = JSON.parse(reg.stdout) as {
        clientId: string;
        clientSecret: string;
        clientSecretExpiresAt: number;
      };

      const cb = await loopback();
      try {
        const redirectUri = `http://127.0.0.1:${cb.port}/oauth/callback`;
        const state = randomUUID();
        const verifier = newVerifier();
        const { signedInAlready } = await consentInBrowser(
          browser,
          authorizeUrl(server.url, client.clientId, redirectUri, state, verifier),
          'allow',
          'botocore-client-pkce-session',
        );
        assert.equal(signedInAlready, false);
        const query = await cb.query;
        assert.equal(query.get('state'), state);
        const code = query.get('code') ?? '';
        assert.ok(code.length >= 43);

        const args = { ...client, redirectUri, codeVerifier: verifier, code };
        const tok = await python(BOTOCORE_TOKEN, [server.url, JSON.stringify(args)], env);
        assert.equal(tok.code, 0, tok.stderr);
        const token = JSON.parse(tok.stdout) as Record<string, string | number>;
        assert.equal(token.tokenType, 'Bearer');
        assert.equal(token.expiresIn, 3600);
        assert.ok(token.refreshToken);
        const again = await python(BOTOCORE_TOKEN, [server.url, JSON.stringify(args)], env);
        assert.deepEqual(JSON.parse(again.stdout), { error: 'InvalidGrantException' }, 'single use');

        const cacheFile = writeCache(
          home.home,
          'pkce-session',
          {
            startUrl: server.config.startUrl,
            accessToken: String(token.accessToken),
            refreshToken: String(token.refreshToken),
            clientId: client.clientId,
            clientSecret: client.clientSecret,
            secretExpiresAt: client.clientSecretExpiresAt,
          },
          5,
        );
        writeConfig(home.home, server.config.startUrl, 'pkce-session');
        const r = await python(BOTOCORE_REFRESH, [], { ...env, AWS_ENDPOINT_URL_SSO_OIDC: server.url });
        assert.equal(r.code, 0, r.stderr);
        const refreshed = (JSON.parse(r.stdout) as { token: string }).token;
        assert.notEqual(refreshed, token.accessToken);
        const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Record<string, string>;
        assert.equal(cached.accessToken, refreshed);
        assert.notEqual(cached.refreshToken, token.refreshToken);
        assert.equal((await resolveAccessToken(server.deps.ctx, refreshed))?.userName, 'alice');
        assert.equal((await auditRows(server.deps, 'pkce.approve')).length, 1);
      } finally {
        await cb.close();
      }
    });
  });

  describe('@aws-sdk/client-sso-oidc + chromium + fromSso (postgres)', () => {
    let server: TestServer;
    const home = tempHome();
    const saved = { ...process.env };
    before(async () => {
      server = await startTestServer({
        store: 'postgres',
        seed: (deps) => seedUser(deps, PERSON).then(() => {}),
      });
    });
    after(async () => {
      for (const k of ['HOME', 'AWS_CONFIG_FILE', 'AWS_ENDPOINT_URL_SSO_OIDC']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await server?.stop();
      home.cleanup();
    });

    it('goes straight to consent when already signed in, honours Deny, and refreshes via fromSso', async () => {
      const oidc = new SSOOIDCClient({ region: 'us-east-1', endpoint: server.url });
      try {
        const reg = await oidc.send(
          new RegisterClientCommand({
            clientName: 'botocore-client-js-pkce',
            clientType: 'public',
            scopes: ['sso:account:access'],
            grantTypes: ['authorization_code', 'refresh_token'],
            redirectUris: ['http://127.0.0.1/oauth/callback'],
            issuerUrl: server.config.startUrl,
          }),
        );
        const run = async (decision: 'allow' | 'deny') => {
          const cb = await loopback();
          try {
            const redirectUri = `http://127.0.0.1:${cb.port}/oauth/callback`;
            const state = randomUUID();
            const verifier = newVerifier();
            const seen = await consentInBrowser(
              browser,
              authorizeUrl(server.url, reg.clientId ?? '', redirectUri, state, verifier),
              decision,
              'botocore-client-js-pkce',
            );
            const query = await cb.query;
            assert.equal(query.get('state'), state);
            return { ...seen, query, redirectUri, verifier };
          } finally {
            await cb.close();
          }
        };
        const first = await run('allow');
        assert.equal(first.signedInAlready, false);
        const token = await oidc.send(
          new CreateTokenCommand({
            clientId: reg.clientId,
            clientSecret: reg.clientSecret,
            grantType: 'authorization_code',
            code: first.query.get('code') ?? '',
            redirectUri: first.redirectUri,
            codeVerifier: first.verifier,
          }),
        );
        assert.equal(token.expiresIn, 3600);

        const second = await run('deny');
        assert.equal(second.signedInAlready, true, 'a signed-in person goes straight to consent');
        assert.equal(second.query.get('error'), 'access_denied');
        assert.equal(second.query.get('code'), null);
        assert.equal((await auditRows(server.deps, 'pkce.deny')).length, 1);

        const cacheFile = writeCache(
          home.home,
          'js-pkce',
          {
            startUrl: server.config.startUrl,
            accessToken: token.accessToken ?? '',
            refreshToken: token.refreshToken ?? '',
            clientId: reg.clientId ?? '',
            clientSecret: reg.clientSecret ?? '',
            secretExpiresAt: reg.clientSecretExpiresAt ?? 0,
          },
          2,
        );
        process.env.HOME = home.home;
        process.env.AWS_CONFIG_FILE = writeConfig(home.home, server.config.startUrl, 'js-pkce');
        process.env.AWS_ENDPOINT_URL_SSO_OIDC = server.url;
        const identity = await fromSso({ profile: 'dev' })();
        assert.notEqual(identity.token, token.accessToken);
        const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Record<string, string>;
        assert.equal(cached.accessToken, identity.token);
        assert.notEqual(cached.refreshToken, token.refreshToken);
        assert.equal((await resolveAccessToken(server.deps.ctx, identity.token))?.userName, 'alice');
      } finally {
        oidc.destroy();
      }
    });
  });
});
