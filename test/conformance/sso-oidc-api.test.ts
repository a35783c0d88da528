/**
 * SSO OIDC against real clients: shapes, grants and the error table, judged by
 * @aws-sdk/client-sso-oidc (and botocore for error-code parsing), on SQLite and PostgreSQL.
 * Approvals go through the server's pages with a form client; the browser suites are in
 * test/e2e/oidc-*.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AccessDeniedException,
  AuthorizationPendingException,
  CreateTokenCommand,
  ExpiredTokenException,
  InvalidClientException,
  InvalidClientMetadataException,
  InvalidGrantException,
  InvalidRedirectUriException,
  InvalidRequestException,
  InvalidScopeException,
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
  UnauthorizedClientException,
  UnsupportedGrantTypeException,
} from '@aws-sdk/client-sso-oidc';
import { resolveAccessToken } from '../../src/app/auth/tokens.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { EMITTED_EXCEPTIONS } from '../../src/protocol/sso-oidc/errors.ts';
import {
  DEVICE_GRANT,
  decideDevice,
  postJson,
  registerDeviceClient,
  registerPkceClient,
  seedUser,
  signedIn,
} from '../helpers/oidc.ts';
import { python } from '../helpers/python.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ALIAS = 'https://d-0000000000.awsapps.com/start';

async function rejects<T>(p: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (err) {
    assert.ok(
      err instanceof type,
      `expected ${type.name}, got ${(err as Error).name}: ${(err as Error).message}`,
    );
    return err as T;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

for (const kind of STORE_KINDS) {
  describe(`SSO OIDC API (${kind})`, () => {
    let server: TestServer;
    let oidc: SSOOIDCClient;
    const clock = new ManualClock(Date.now());

    before(async () => {
      server = await startTestServer({
        store: kind,
        clock,
        settings: { startUrlAliases: ALIAS },
        seed: async (deps) => {
          await seedUser(deps, {
            userName: 'alice',
            password: 'correct horse battery',
            displayName: 'Alice Doe',
          });
        },
      });
      oidc = new SSOOIDCClient({ region: 'us-east-1', endpoint: server.url });
    });
    after(async () => {
      oidc?.destroy();
      await server?.stop();
    });

    const signIn = () => signedIn(server.url, 'alice', 'correct horse battery');

    it('RegisterClient returns a client with a 90-day secret (epoch seconds)', async () => {
      const out = await oidc.send(
        new RegisterClientCommand({
          clientName: 'botocore-client-dev',
          clientType: 'public',
          scopes: ['sso:account:access'],
        }),
      );
      assert.ok(out.clientId && out.clientId.length >= 20);
      assert.ok(out.clientSecret && out.clientSecret.length >= 43);
      assert.equal(out.clientIdIssuedAt, Math.floor(clock.now() / 1000));
      assert.equal((out.clientSecretExpiresAt ?? 0) - (out.clientIdIssuedAt ?? 0), 7_776_000);
      const row = await server.deps.ctx.store.db
        .selectFrom('oidc_clients')
        .selectAll()
        .where('id', '=', out.clientId)
        .executeTakeFirstOrThrow();
      assert.notEqual(row.secret_hash, out.clientSecret, 'only a hash of the secret is stored');
      assert.deepEqual(JSON.parse(row.grant_types), [DEVICE_GRANT, 'refresh_token']);
    });

    it('RegisterClient refuses bad metadata with the modeled exceptions', async () => {
      const reg = (input: Record<string, unknown>) =>
        oidc.send(new RegisterClientCommand({ clientName: 'x', clientType: 'public', ...input }));
      await rejects(reg({ clientType: 'confidential' }), InvalidClientMetadataException);
      await rejects(reg({ scopes: ['sso:account:access', 'admin:everything'] }), InvalidScopeException);
      await rejects(reg({ grantTypes: ['password'] }), UnsupportedGrantTypeException);
      for (const uri of [
        'https://evil.example/oauth/callback',
        'http://evil.example/oauth/callback',
        'http://localhost/oauth/callback',
        'http://user@127.0.0.1/cb',
      ]) {
        await rejects(
          reg({ grantTypes: ['authorization_code'], redirectUris: [uri] }),
          InvalidRedirectUriException,
        );
      }
      await rejects(
        reg({ grantTypes: ['authorization_code', 'refresh_token'] }),
        InvalidRedirectUriException,
      );
      await rejects(reg({ issuerUrl: 'https://elsewhere.example/start' }), InvalidRequestException);
      const before = await server.deps.ctx.store.db.selectFrom('oidc_clients').select('id').execute();
      await rejects(reg({ clientName: undefined }), InvalidRequestException);
      const afterRows = await server.deps.ctx.store.db.selectFrom('oidc_clients').select('id').execute();
      assert.equal(afterRows.length, before.length, 'refused registrations store nothing');
    });

    it('RegisterClient accepts the start URL, the resolved portal URL and aliases as issuerUrl', async () => {
      const instance = await server.deps.ctx.store.db
        .selectFrom('instance')
        .selectAll()
        .executeTakeFirstOrThrow();
      for (const issuerUrl of [
        server.config.startUrl,
        `${server.config.startUrl}/`,
        `https://${instance.instance_id}.portal.us-east-1.app.aws`,
        ALIAS,
        ALIAS.replace('d-0000000000.awsapps.com', 'D-0000000000.AWSAPPS.COM'),
      ]) {
        const out = await oidc.send(
          new RegisterClientCommand({
            clientName: 'botocore-client-pkce',
            clientType: 'public',
            scopes: ['sso:account:access'],
            grantTypes: ['authorization_code', 'refresh_token'],
            redirectUris: ['http://127.0.0.1/oauth/callback'],
            issuerUrl,
          }),
        );
        assert.ok(out.clientId, issuerUrl);
      }
    });

    it('StartDeviceAuthorization returns a 256-bit device code, a XXXX-XXXX user code and our device page', async () => {
      const reg = await registerDeviceClient(server.url);
      const out = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...reg, startUrl: server.config.startUrl }),
      );
      assert.ok((out.deviceCode ?? '').length >= 43);
      assert.match(out.userCode ?? '', /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      assert.equal(out.verificationUri, `${server.url}/device`);
      assert.equal(out.verificationUriComplete, `${server.url}/device?user_code=${out.userCode}`);
      assert.equal(out.expiresIn, 600);
      assert.equal(out.interval, 5);
      const row = await server.deps.ctx.store.db
        .selectFrom('device_grants')
        .selectAll()
        .where('user_code', '=', (out.userCode ?? '').replace('-', ''))
        .executeTakeFirstOrThrow();
      assert.notEqual(row.device_code_hash, out.deviceCode);
    });

    it('StartDeviceAuthorization refuses unknown start URLs and bad or expired clients', async () => {
      const reg = await registerDeviceClient(server.url);
      await rejects(
        oidc.send(new StartDeviceAuthorizationCommand({ ...reg, startUrl: 'https://other.example/start' })),
        InvalidRequestException,
      );
      const bad = await rejects(
        oidc.send(
          new StartDeviceAuthorizationCommand({
            ...reg,
            clientSecret: 'wrong',
            startUrl: server.config.startUrl,
          }),
        ),
        InvalidClientException,
      );
      assert.equal(bad.$metadata.httpStatusCode, 401);
      await rejects(
        oidc.send(
          new StartDeviceAuthorizationCommand({
            ...reg,
            clientId: 'nobody',
            startUrl: server.config.startUrl,
          }),
        ),
        InvalidClientException,
      );
      const pkce = await registerPkceClient(server.url);
      await rejects(
        oidc.send(new StartDeviceAuthorizationCommand({ ...pkce, startUrl: server.config.startUrl })),
        UnauthorizedClientException,
      );
      await oidc.send(new StartDeviceAuthorizationCommand({ ...reg, startUrl: ALIAS }));
      const saved = clock.now();
      clock.advance(90 * 86400_000 + 1000);
      try {
        await rejects(
          oidc.send(new StartDeviceAuthorizationCommand({ ...reg, startUrl: server.config.startUrl })),
          InvalidClientException,
        );
      } finally {
        clock.set(saved);
      }
    });

    it('CreateToken (device code): pending, slow_down, then one token after approval, then invalid_grant', async () => {
      const reg = await registerDeviceClient(server.url);
      const start = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...reg, startUrl: server.config.startUrl }),
      );
      const poll = () =>
        oidc.send(new CreateTokenCommand({ ...reg, grantType: DEVICE_GRANT, deviceCode: start.deviceCode }));
      const pending = await rejects(poll(), AuthorizationPendingException);
      assert.equal(pending.error, 'authorization_pending');
      clock.advance(1000);
      const slow = await rejects(poll(), SlowDownException);
      assert.equal(slow.error, 'slow_down');
      clock.advance(5000);
      // After slow_down the interval is 10 s: 5 s is still too fast, and it grows again to 15 s.
      await rejects(poll(), SlowDownException);
      clock.advance(10_000);
      await rejects(poll(), SlowDownException);
      clock.advance(20_000);
      await rejects(poll(), AuthorizationPendingException);

      const web = await signIn();
      const done = await decideDevice(web, start.userCode ?? '');
      assert.match(done.text, /Request approved/);
      const token = await poll();
      assert.equal(token.tokenType, 'Bearer');
      assert.equal(token.expiresIn, 3600);
      assert.ok(token.accessToken && token.refreshToken);
      const who = await resolveAccessToken(server.deps.ctx, token.accessToken ?? '');
      assert.equal(who?.userName, 'alice');
      const reused = await rejects(poll(), InvalidGrantException);
      assert.equal(reused.error, 'invalid_grant');
    });

    it('CreateToken (device code): denied → AccessDeniedException; 600 s later → ExpiredTokenException', async () => {
      const reg = await registerDeviceClient(server.url);
      const web = await signIn();
      const a = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...reg, startUrl: server.config.startUrl }),
      );
      const denied = await decideDevice(web, a.userCode ?? '', 'deny');
      assert.match(denied.text, /Request denied/);
      const e = await rejects(
        oidc.send(new CreateTokenCommand({ ...reg, grantType: DEVICE_GRANT, deviceCode: a.deviceCode })),
        AccessDeniedException,
      );
      assert.equal(e.error, 'access_denied');

      const b = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...reg, startUrl: server.config.startUrl }),
      );
      clock.advance(600_000);
      const expired = await rejects(
        oidc.send(new CreateTokenCommand({ ...reg, grantType: DEVICE_GRANT, deviceCode: b.deviceCode })),
        ExpiredTokenException,
      );
      assert.equal(expired.error, 'expired_token');
    });

    it('legacy clients (no scopes) get no refresh token and the rest of the portal session', async () => {
      const reg = await registerDeviceClient(server.url, false, 'botocore-client-1700000000');
      const web = await signIn();
      const start = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...reg, startUrl: server.config.startUrl }),
      );
      clock.advance(60_000);
      await decideDevice(web, start.userCode ?? '');
      const token = await oidc.send(
        new CreateTokenCommand({ ...reg, grantType: DEVICE_GRANT, deviceCode: start.deviceCode }),
      );
      assert.equal(token.refreshToken, undefined);
      assert.equal(token.expiresIn, 8 * 3600 - 60);
    });

    it('refresh_token rotates on every use; a replay after 30 s revokes the whole login', async () => {
      const reg = await registerDeviceClient(server.url);
      const web = await signIn();
      const start = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...reg, startUrl: server.config.startUrl }),
      );
      await decideDevice(web, start.userCode ?? '');
      const first = await oidc.send(
        new CreateTokenCommand({ ...reg, grantType: DEVICE_GRANT, deviceCode: start.deviceCode }),
      );
      const refresh = (refreshToken: string | undefined) =>
        oidc.send(new CreateTokenCommand({ ...reg, grantType: 'refresh_token', refreshToken }));
      const second = await refresh(first.refreshToken);
      assert.ok(second.refreshToken && second.refreshToken !== first.refreshToken);
      assert.notEqual(second.accessToken, first.accessToken);
      assert.equal(second.expiresIn, 3600);
      // Within the grace period: refused, nothing revoked.
      await rejects(refresh(first.refreshToken), InvalidGrantException);
      assert.ok(await resolveAccessToken(server.deps.ctx, second.accessToken ?? ''));
      const third = await refresh(second.refreshToken);
      clock.advance(31_000);
      await rejects(refresh(first.refreshToken), InvalidGrantException);
      assert.equal(
        await resolveAccessToken(server.deps.ctx, third.accessToken ?? ''),
        null,
        'family revoked',
      );
      assert.equal(await resolveAccessToken(server.deps.ctx, first.accessToken ?? ''), null);
      await rejects(refresh(third.refreshToken), InvalidGrantException);
      const audit = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select(['action'])
        .where('action', 'in', ['token.issue', 'token.refresh', 'token.reuse_detected'])
        .execute();
      assert.ok(audit.some((a) => a.action === 'token.reuse_detected'));
      assert.ok(audit.some((a) => a.action === 'token.refresh'));
    });

    it('CreateToken refuses wrong grant types and clients with the modeled exceptions', async () => {
      const device = await registerDeviceClient(server.url);
      const pkce = await registerPkceClient(server.url);
      await rejects(
        oidc.send(new CreateTokenCommand({ ...device, grantType: 'client_credentials' })),
        UnsupportedGrantTypeException,
      );
      await rejects(
        oidc.send(new CreateTokenCommand({ ...device, grantType: DEVICE_GRANT, deviceCode: 'made-up' })),
        InvalidGrantException,
      );
      await rejects(
        oidc.send(
          new CreateTokenCommand({
            ...device,
            grantType: 'authorization_code',
            code: 'x',
            redirectUri: 'http://127.0.0.1:5000/oauth/callback',
            codeVerifier: 'a'.repeat(43),
          }),
        ),
        UnauthorizedClientException,
      );
      await rejects(
        oidc.send(new CreateTokenCommand({ ...pkce, grantType: DEVICE_GRANT, deviceCode: 'x' })),
        UnauthorizedClientException,
      );
      await rejects(
        oidc.send(
          new CreateTokenCommand({
            ...device,
            clientSecret: 'nope',
            grantType: 'refresh_token',
            refreshToken: 'x',
          }),
        ),
        InvalidClientException,
      );
      await rejects(
        oidc.send(
          new CreateTokenCommand({ ...device, grantType: 'refresh_token', refreshToken: 'aor-unknown' }),
        ),
        InvalidGrantException,
      );
      await rejects(
        oidc.send(new CreateTokenCommand({ ...device, grantType: DEVICE_GRANT })),
        InvalidRequestException,
      );
    });

    it('every failure is an SSO OIDC error with x-amzn-ErrorType, never a 5xx', async () => {
      const reg = await registerDeviceClient(server.url);
      const cases: Array<[string, unknown, string]> = [
        ['/token', '{"grantType":', 'InvalidRequestException'],
        ['/token', '[1,2,3]', 'InvalidRequestException'],
        ['/token', '', 'InvalidRequestException'],
        ['/token', 'null', 'InvalidRequestException'],
        ['/token', { ...reg, grantType: 42 }, 'InvalidRequestException'],
        ['/token', { ...reg, grantType: DEVICE_GRANT, deviceCode: ['a'] }, 'InvalidRequestException'],
        [
          '/token',
          { ...reg, grantType: DEVICE_GRANT, deviceCode: 'x'.repeat(5000) },
          'InvalidRequestException',
        ],
        [
          '/token',
          { ...reg, clientId: 'a\u0000b', grantType: DEVICE_GRANT, deviceCode: 'x' },
          'InvalidRequestException',
        ],
        ['/token', { clientId: 'x', grantType: DEVICE_GRANT, deviceCode: 'x' }, 'InvalidRequestException'],
        [
          '/client/register',
          { clientName: 'x'.repeat(300), clientType: 'public' },
          'InvalidRequestException',
        ],
        [
          '/client/register',
          { clientName: 'bad\u0000name', clientType: 'public' },
          'InvalidRequestException',
        ],
        [
          '/client/register',
          { clientName: 'x', clientType: 'public', scopes: 'sso:account:access' },
          'InvalidRequestException',
        ],
        [
          '/client/register',
          { clientName: 'x', clientType: 'public', redirectUris: Array(60).fill('http://127.0.0.1/cb') },
          'InvalidRequestException',
        ],
        ['/device_authorization', { ...reg }, 'InvalidRequestException'],
        ['/device_authorization', { ...reg, startUrl: 7 }, 'InvalidRequestException'],
        ['/token', `{"a":"${'x'.repeat(1024 * 1024 + 10)}"}`, 'InvalidRequestException'],
      ];
      for (const [path, body, exception] of cases) {
        const res = await postJson(server.url, path, body);
        const label = `${path} ${typeof body === 'string' ? body.slice(0, 40) : JSON.stringify(body).slice(0, 80)}`;
        assert.equal(res.status, 400, label);
        assert.equal(res.headers.get('x-amzn-errortype'), exception, label);
        assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/json', label);
        assert.equal(res.json.error, 'invalid_request', label);
        assert.equal(typeof res.json.error_description, 'string', label);
        assert.ok(res.headers.get('x-amzn-requestid'), label);
      }
      const unknownClient = await postJson(server.url, '/token', {
        clientId: 'nobody',
        clientSecret: 'x',
        grantType: DEVICE_GRANT,
        deviceCode: 'x',
      });
      assert.equal(unknownClient.status, 401);
      assert.equal(unknownClient.headers.get('x-amzn-errortype'), 'InvalidClientException');
      assert.deepEqual(Object.keys(unknownClient.json).sort(), ['error', 'error_description']);
    });

    it('botocore reads our error codes as the modeled exceptions', async () => {
      const reg = await registerDeviceClient(server.url);
      const start = await postJson(server.url, '/device_authorization', {
        ...reg,
        startUrl: server.config.startUrl,
      });
      clock.advance(10_000);
      const script = `
import json, sys, botocore.session
s = botocore.session.get_session()
c = s.create_client('sso-oidc', region_name='us-east-1', endpoint_url=sys.argv[1])
reg = json.loads(sys.argv[2]); device = sys.argv[3]
out = []
def attempt(**kw):
    try:
        c.create_token(**kw); out.append('ok')
    except c.exceptions.ClientError as e:
        out.append([e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response.get('error')])
attempt(clientId=reg['clientId'], clientSecret=reg['clientSecret'], grantType='urn:ietf:params:oauth:grant-type:device_code', deviceCode=device)
attempt(clientId=reg['clientId'], clientSecret=reg['clientSecret'], grantType='urn:ietf:params:oauth:grant-type:device_code', deviceCode=device)
attempt(clientId=reg['clientId'], clientSecret='wrong', grantType='refresh_token', refreshToken='x')
attempt(clientId=reg['clientId'], clientSecret=reg['clientSecret'], grantType='bogus')
try:
    c.create_token(clientId=reg['clientId'], clientSecret=reg['clientSecret'], grantType='refresh_token', refreshToken='nope')
except c.exceptions.InvalidGrantException as e:
    out.append(['InvalidGrantException-class', e.response['error']])
print(json.dumps(out))
`;
      const r = await python(script, [server.url, JSON.stringify(reg), String(start.json.deviceCode)]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out[0].slice(0, 2), ['AuthorizationPendingException', 400]);
      assert.deepEqual(out[1].slice(0, 2), ['SlowDownException', 400]);
      assert.deepEqual(out[2].slice(0, 2), ['InvalidClientException', 401]);
      assert.deepEqual(out[3].slice(0, 2), ['UnsupportedGrantTypeException', 400]);
      assert.deepEqual(out[4], ['InvalidGrantException-class', 'invalid_grant']);
    });
  });
}

describe('SSO OIDC error catalogue', () => {
  it('every exception we emit is declared by the sso-oidc service model', async () => {
    const r = await python(`
import json
from botocore.loaders import Loader
m = Loader().load_service_model('sso-oidc', 'service-2')
print(json.dumps(sorted(k for k, v in m['shapes'].items() if v.get('exception'))))
`);
    assert.equal(r.code, 0, r.stderr);
    const declared = new Set(JSON.parse(r.stdout) as string[]);
    for (const name of EMITTED_EXCEPTIONS) assert.ok(declared.has(name), `${name} is not in the model`);
  });
});
