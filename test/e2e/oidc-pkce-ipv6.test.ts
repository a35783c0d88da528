/**
 * PKCE with an IPv6 loopback redirect URI (RFC 8252 §7.3: `http://[::1]:<port>/…`). CSP host
 * sources cannot name IPv6 literals, so the consent page must widen its own form-action for the
 * redirect after Allow to reach the application. Registration and redemption by
 * @aws-sdk/client-sso-oidc; the consent is clicked in chromium.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CreateTokenCommand, RegisterClientCommand, SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { seedUser } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { signInIfAsked } from './oidc-browser.ts';

describe('PKCE with an http://[::1] redirect URI', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let callback: http.Server;
  let received: Promise<URLSearchParams>;

  before(async () => {
    server = await startTestServer();
    await seedUser(server.deps, { userName: 'ipv6-user', password: 'correct horse battery' });
    browser = await launchBrowser();
    callback = http.createServer();
    received = new Promise((resolve) => {
      callback.on('request', (req, res) => {
        res.end('You can close this window.');
        resolve(new URL(req.url ?? '/', 'http://[::1]').searchParams);
      });
    });
    await new Promise<void>((resolve) => callback.listen(0, '::1', resolve));
  });
  after(async () => {
    // Everything started is stopped, even when the setup failed half-way.
    callback?.close();
    await browser?.close();
    await server?.stop();
  });

  it('redirects to [::1] after Allow and the code redeems for tokens', async () => {
    const oidc = new SSOOIDCClient({ region: 'us-east-1', endpoint: server.url });
    const reg = await oidc.send(
      new RegisterClientCommand({
        clientName: 'botocore-client-ipv6',
        clientType: 'public',
        scopes: ['sso:account:access'],
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://[::1]/oauth/callback'],
      }),
    );
    const port = (callback.address() as AddressInfo).port;
    const redirectUri = `http://[::1]:${port}/oauth/callback`;
    const verifier = randomBytes(48).toString('base64url').slice(0, 64);
    const state = randomUUID();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: reg.clientId ?? '',
      redirect_uri: redirectUri,
      state,
      code_challenge_method: 'S256',
      scopes: 'sso:account:access',
    });
    const challenge = createHash('sha256').update(verifier).digest('base64url');

    const page = await browser.context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${server.url}/authorize?${q.toString()}&code_challenge=${challenge}`);
    await signInIfAsked(page, { userName: 'ipv6-user', password: 'correct horse battery' });
    await page.click('button[value=allow]');
    const params = await Promise.race([
      received,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no redirect reached [::1]; CSP: ${violations.join(' | ')}`)),
          15_000,
        ),
      ),
    ]);
    assert.equal(params.get('state'), state);
    const code = params.get('code');
    assert.ok(code, 'the application received a code');
    assert.deepEqual(violations, []);

    const token = await oidc.send(
      new CreateTokenCommand({
        clientId: reg.clientId,
        clientSecret: reg.clientSecret,
        grantType: 'authorization_code',
        redirectUri,
        codeVerifier: verifier,
        code,
      }),
    );
    assert.ok(token.accessToken);
    assert.ok(token.refreshToken);
  });
});
