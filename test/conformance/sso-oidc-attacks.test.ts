/**
 * Bad input and attacks against SSO OIDC and the sign-in pages, on SQLite and PostgreSQL: each
 * is refused with the protocol's own error (never a 5xx) and changes nothing it should not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveAccessToken } from '../../src/app/auth/tokens.ts';
import { disableUser } from '../../src/app/users.ts';
import { loadConfig } from '../../src/config/load.ts';
import { s256 } from '../../src/domain/auth/pkce.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { createLogger, type RunningServer, startServer } from '../../src/http/server.ts';
import { sessionCookieName } from '../../src/web/session.ts';
import {
  auditRows,
  csrfOf,
  DEVICE_GRANT,
  decideDevice,
  eventCount,
  FormClient,
  hiddenOf,
  postJson,
  type Registration,
  registerDeviceClient,
  registerPkceClient,
  seedUser,
  signedIn,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const PASSWORD = 'Tr0ub4dor&3-long-enough';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-more-chars-00';
const CALLBACK = 'http://127.0.0.1:43103/oauth/callback';
const HOSTILE_USER = '<script>alert("u")</script>';
const HOSTILE_DISPLAY = '<img src=x onerror=alert(1)>\u202Eevil\u0007';
const HOSTILE_CLIENT = 'botocore-client-<script>alert(2)</script>\u202Egnp.exe';

function authorizeQuery(clientId: string, extra: Record<string, string> = {}, verifier = VERIFIER): string {
  const p = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CALLBACK,
    state: 'state-123',
    code_challenge_method: 'S256',
    scopes: 'sso:account:access',
    code_challenge: s256(verifier),
    ...extra,
  });
  return `/authorize?${p.toString()}`;
}

/** Approve a PKCE request through the pages; returns the code from the loopback redirect. */
async function approvePkce(web: FormClient, path: string): Promise<{ code: string; state: string | null }> {
  const consent = await web.get(path);
  assert.equal(consent.status, 200, consent.text.slice(0, 200));
  const fields: Record<string, string> = { _csrf: csrfOf(consent.text), decision: 'allow' };
  for (const name of [
    'response_type',
    'client_id',
    'redirect_uri',
    'state',
    'code_challenge_method',
    'scopes',
    'code_challenge',
  ]) {
    fields[name] = hiddenOf(consent.text, name);
  }
  const res = await web.post('/authorize', fields);
  assert.equal(res.status, 302);
  const loc = new URL(res.location ?? '');
  assert.equal(`${loc.origin}${loc.pathname}`, CALLBACK);
  return { code: loc.searchParams.get('code') ?? '', state: loc.searchParams.get('state') };
}

for (const kind of STORE_KINDS) {
  describe(`SSO OIDC and sign-in attacks (${kind})`, () => {
    let server: TestServer;
    const clock = new ManualClock(Date.now());
    const ids: Record<string, string> = {};

    before(async () => {
      server = await startTestServer({
        store: kind,
        clock,
        seed: async (deps) => {
          ids.alice = await seedUser(deps, {
            userName: 'alice',
            password: PASSWORD,
            displayName: 'Alice Doe',
          });
          ids.bob = await seedUser(deps, { userName: 'bob', password: PASSWORD });
          ids.carol = await seedUser(deps, { userName: 'carol', password: PASSWORD });
          ids.dave = await seedUser(deps, { userName: 'dave', password: PASSWORD });
          ids.erin = await seedUser(deps, { userName: 'erin', password: PASSWORD });
          ids.hostile = await seedUser(deps, {
            userName: HOSTILE_USER,
            password: PASSWORD,
            displayName: HOSTILE_DISPLAY,
          });
        },
      });
    });
    after(async () => {
      // No request in this suite may have caused a server error (checked after the server stops,
      // so a failing check never leaves it running).
      await server?.stop();
      const errors = (server?.logs ?? []).filter((l) => JSON.parse(l).level >= 50);
      assert.deepEqual(errors, []);
    });

    const startDevice = async (reg: Registration) => {
      const r = await postJson(server.url, '/device_authorization', {
        ...reg,
        startUrl: server.config.startUrl,
      });
      assert.equal(r.status, 200);
      return { deviceCode: String(r.json.deviceCode), userCode: String(r.json.userCode) };
    };
    const poll = (reg: Registration, deviceCode: string) =>
      postJson(server.url, '/token', { ...reg, grantType: DEVICE_GRANT, deviceCode });
    const grantStatus = async (userCode: string) =>
      (
        await server.deps.ctx.store.db
          .selectFrom('device_grants')
          .select('status')
          .where('user_code', '=', userCode.replace('-', ''))
          .executeTakeFirstOrThrow()
      ).status;

    it("a client cannot redeem another client's device code", async () => {
      const owner = await registerDeviceClient(server.url);
      const thief = await registerDeviceClient(server.url, true, 'thief');
      const web = await signedIn(server.url, 'alice', PASSWORD);
      const d = await startDevice(owner);
      await decideDevice(web, d.userCode);
      const stolen = await poll(thief, d.deviceCode);
      assert.equal(stolen.status, 400);
      assert.equal(stolen.headers.get('x-amzn-errortype'), 'InvalidGrantException');
      assert.equal(await grantStatus(d.userCode), 'approved', 'the attempt changed nothing');
      const mine = await poll(owner, d.deviceCode);
      assert.equal(mine.status, 200);
    });

    it('a device code is single-use, and dead after 600 s', async () => {
      const reg = await registerDeviceClient(server.url);
      const web = await signedIn(server.url, 'alice', PASSWORD);
      const d = await startDevice(reg);
      await decideDevice(web, d.userCode);
      assert.equal((await poll(reg, d.deviceCode)).status, 200);
      const again = await poll(reg, d.deviceCode);
      assert.equal(again.headers.get('x-amzn-errortype'), 'InvalidGrantException');
      const late = await startDevice(reg);
      clock.advance(600_000);
      const expired = await poll(reg, late.deviceCode);
      assert.equal(expired.headers.get('x-amzn-errortype'), 'ExpiredTokenException');
      // An expired code can no longer be approved either.
      const web2 = await signedIn(server.url, 'alice', PASSWORD);
      const entry = await web2.get('/device');
      const res = await web2.post('/device', { _csrf: csrfOf(entry.text), user_code: late.userCode });
      assert.equal(res.status, 400);
      assert.equal(await grantStatus(late.userCode), 'pending');
    });

    it('two concurrent CreateToken calls for one approved device code: exactly one token', async () => {
      const reg = await registerDeviceClient(server.url);
      const web = await signedIn(server.url, 'alice', PASSWORD);
      const d = await startDevice(reg);
      await decideDevice(web, d.userCode);
      const results = await Promise.all(Array.from({ length: 8 }, () => poll(reg, d.deviceCode)));
      const ok = results.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, results.map((r) => r.status).join(','));
      for (const r of results.filter((x) => x.status !== 200)) {
        assert.equal(r.headers.get('x-amzn-errortype'), 'InvalidGrantException');
      }
      const families = await server.deps.ctx.store.db
        .selectFrom('token_families')
        .select('id')
        .where('client_id', '=', reg.clientId)
        .execute();
      assert.equal(families.length, 1);
    });

    it('two concurrent refreshes of one refresh token: exactly one new token', async () => {
      const reg = await registerDeviceClient(server.url);
      const web = await signedIn(server.url, 'alice', PASSWORD);
      const d = await startDevice(reg);
      await decideDevice(web, d.userCode);
      const first = await poll(reg, d.deviceCode);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          postJson(server.url, '/token', {
            ...reg,
            grantType: 'refresh_token',
            refreshToken: first.json.refreshToken,
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1);
    });

    it('PKCE: a wrong or missing verifier fails and spends the code', async () => {
      const reg = await registerPkceClient(server.url);
      const web = await signedIn(server.url, 'alice', PASSWORD);
      const token = (code: string, extra: Record<string, unknown>) =>
        postJson(server.url, '/token', {
          ...reg,
          grantType: 'authorization_code',
          code,
          redirectUri: CALLBACK,
          ...extra,
        });

      const a = await approvePkce(web, authorizeQuery(reg.clientId));
      assert.equal(a.state, 'state-123');
      const wrong = await token(a.code, { codeVerifier: `${VERIFIER.slice(0, -1)}1` });
      assert.equal(wrong.headers.get('x-amzn-errortype'), 'InvalidGrantException');
      const right = await token(a.code, { codeVerifier: VERIFIER });
      assert.equal(right.headers.get('x-amzn-errortype'), 'InvalidGrantException', 'the code was spent');

      const b = await approvePkce(web, authorizeQuery(reg.clientId));
      const missing = await token(b.code, {});
      assert.equal(missing.headers.get('x-amzn-errortype'), 'InvalidGrantException');
      assert.equal((await token(b.code, { codeVerifier: VERIFIER })).status, 400);

      const c = await approvePkce(web, authorizeQuery(reg.clientId));
      const otherPort = await token(c.code, {
        codeVerifier: VERIFIER,
        redirectUri: 'http://127.0.0.1:43104/oauth/callback',
      });
      assert.equal(
        otherPort.headers.get('x-amzn-errortype'),
        'InvalidGrantException',
        'redirect URI must match exactly',
      );

      const d = await approvePkce(web, authorizeQuery(reg.clientId));
      const good = await token(d.code, { codeVerifier: VERIFIER });
      assert.equal(good.status, 200);
      assert.ok(good.json.refreshToken);
      const replay = await token(d.code, { codeVerifier: VERIFIER });
      assert.equal(replay.headers.get('x-amzn-errortype'), 'InvalidGrantException');

      const e = await approvePkce(web, authorizeQuery(reg.clientId));
      clock.advance(61_000);
      assert.equal((await token(e.code, { codeVerifier: VERIFIER })).status, 400, 'codes live 60 s');

      const f = await approvePkce(web, authorizeQuery(reg.clientId));
      const other = await registerPkceClient(server.url, 'other');
      const stolen = await postJson(server.url, '/token', {
        ...other,
        grantType: 'authorization_code',
        code: f.code,
        redirectUri: CALLBACK,
        codeVerifier: VERIFIER,
      });
      assert.equal(stolen.headers.get('x-amzn-errortype'), 'InvalidGrantException');
    });

    it('PKCE: plain or absent challenges are refused at /authorize, without issuing a code', async () => {
      const reg = await registerPkceClient(server.url);
      const web = await signedIn(server.url, 'alice', PASSWORD);
      const codesBefore = (
        await server.deps.ctx.store.db.selectFrom('auth_codes').select('code_hash').execute()
      ).length;
      for (const extra of [
        { code_challenge_method: 'plain', code_challenge: VERIFIER },
        { code_challenge_method: '' },
        { code_challenge: 'short' },
        { response_type: 'token' },
        { scopes: 'sso:account:access admin:all' },
      ]) {
        const res = await web.get(authorizeQuery(reg.clientId, extra));
        assert.equal(res.status, 302, JSON.stringify(extra));
        const loc = new URL(res.location ?? '');
        assert.equal(`${loc.origin}${loc.pathname}`, CALLBACK);
        assert.ok(loc.searchParams.get('error'), JSON.stringify(extra));
        assert.equal(loc.searchParams.get('code'), null);
        assert.equal(loc.searchParams.get('state'), 'state-123');
      }
      const p = new URLSearchParams(authorizeQuery(reg.clientId).split('?')[1]);
      p.delete('code_challenge_method');
      const absent = await web.get(`/authorize?${p.toString()}`);
      assert.equal(new URL(absent.location ?? '').searchParams.get('error'), 'invalid_request');
      const codesAfter = (
        await server.deps.ctx.store.db.selectFrom('auth_codes').select('code_hash').execute()
      ).length;
      assert.equal(codesAfter, codesBefore);
    });

    it('PKCE: bad clients and redirect URIs get an error page, never a redirect (open-redirect payloads)', async () => {
      const reg = await registerPkceClient(server.url);
      const device = await registerDeviceClient(server.url);
      const web = await signedIn(server.url, 'alice', PASSWORD);
      const payloads = [
        'https://evil.example/oauth/callback',
        'http://evil.example/oauth/callback',
        'http://127.0.0.1:80@evil.example/oauth/callback',
        'http://127.0.0.1.evil.example/oauth/callback',
        'http://127.0.0.1:43103\\@evil.example/oauth/callback',
        'http://127.0.0.1:43103/oauth/../../evil',
        'http://127.0.0.1:43103/other',
        'http://localhost:43103/oauth/callback',
        '//evil.example/oauth/callback',
        'javascript:alert(1)',
      ];
      for (const redirect of payloads) {
        const res = await web.get(authorizeQuery(reg.clientId, { redirect_uri: redirect }));
        assert.equal(res.status, 400, redirect);
        assert.equal(res.location, null, redirect);
        assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      }
      const twice = await web.get(
        `${authorizeQuery(reg.clientId)}&redirect_uri=${encodeURIComponent('https://evil.example/')}`,
      );
      assert.equal(twice.status, 400);
      assert.equal(twice.location, null);
      for (const clientId of ['unknown-client', device.clientId, '']) {
        const res = await web.get(authorizeQuery(clientId));
        assert.equal(res.status, 400, clientId);
        assert.equal(res.location, null);
      }
      // A forged consent POST with a hostile redirect is refused the same way.
      const consent = await web.get(authorizeQuery(reg.clientId));
      const forged = await web.post('/authorize', {
        _csrf: csrfOf(consent.text),
        decision: 'allow',
        response_type: 'code',
        client_id: reg.clientId,
        redirect_uri: 'https://evil.example/cb',
        state: 's',
        code_challenge_method: 'S256',
        scopes: 'sso:account:access',
        code_challenge: s256(VERIFIER),
      });
      assert.equal(forged.status, 400);
      assert.equal(forged.location, null);
    });

    it('the sign-in return path never leaves this origin', async () => {
      for (const back of [
        '//evil.example/x',
        'https://evil.example/',
        '/\\evil.example',
        'javascript:alert(1)',
        '/%0d%0aSet-Cookie:x=1',
      ]) {
        const web = new FormClient(server.url);
        const page = await web.get(`/signin?return=${encodeURIComponent(back)}`);
        const csrf = csrfOf(page.text);
        const res = await web.post('/signin', {
          _csrf: csrf,
          step: 'password',
          user_name: 'alice',
          password: PASSWORD,
          return: back,
        });
        assert.equal(res.status, 303);
        assert.ok(
          res.location?.startsWith('/') && !res.location.startsWith('//'),
          `${back} → ${res.location}`,
        );
        assert.ok(!/[\r\n]/.test(res.location ?? ''));
      }
    });

    it('every form refuses a missing, wrong or cross-site CSRF token and changes nothing', async () => {
      const reg = await registerDeviceClient(server.url);
      const pkce = await registerPkceClient(server.url);
      const web = await signedIn(server.url, 'bob', PASSWORD);
      const d = await startDevice(reg);
      const entry = await web.get(`/device?user_code=${d.userCode}`);
      const good = csrfOf(entry.text);
      const consent = await web.post('/device', { _csrf: good, user_code: d.userCode });
      const grantId = hiddenOf(consent.text, 'grant_id');
      const authorizeFields = Object.fromEntries(
        new URLSearchParams(authorizeQuery(pkce.clientId).split('?')[1]).entries(),
      );
      const forms: Array<[string, Record<string, string>]> = [
        ['/device', { user_code: d.userCode }],
        ['/device/confirm', { grant_id: grantId, user_code: d.userCode, decision: 'allow' }],
        ['/authorize', { ...authorizeFields, decision: 'allow' }],
        ['/mfa/enroll', { device_id: 'x', code: '123456' }],
        ['/mfa/remove', { code: '123456' }],
        ['/signout', {}],
      ];
      const codesBefore = (
        await server.deps.ctx.store.db.selectFrom('auth_codes').select('code_hash').execute()
      ).length;
      for (const [path, fields] of forms) {
        for (const variant of ['missing', 'wrong', 'cross-site'] as const) {
          const body =
            variant === 'missing' ? fields : { ...fields, _csrf: variant === 'wrong' ? `${good}x` : good };
          const headers: Record<string, string> =
            variant === 'cross-site' ? { 'sec-fetch-site': 'cross-site' } : {};
          const res = await web.post(path, body, headers);
          assert.equal(res.status, 403, `${path} ${variant}`);
        }
      }
      assert.equal(await grantStatus(d.userCode), 'pending');
      const codesAfter = (
        await server.deps.ctx.store.db.selectFrom('auth_codes').select('code_hash').execute()
      ).length;
      assert.equal(codesAfter, codesBefore);
      assert.equal((await web.get('/device')).status, 200, 'still signed in: /signout was refused');

      // Pre-session forms: sign-in needs the signed cookie pair.
      const fresh = new FormClient(server.url);
      const page = await fresh.get('/signin');
      const preToken = csrfOf(page.text);
      for (const body of [
        { step: 'password', user_name: 'bob', password: PASSWORD },
        { step: 'password', user_name: 'bob', password: PASSWORD, _csrf: `${preToken}x` },
      ]) {
        const res = await fresh.post('/signin', body);
        assert.equal(res.status, 403);
      }
      const stranger = new FormClient(server.url);
      const noCookie = await stranger.post('/signin', {
        step: 'password',
        user_name: 'bob',
        password: PASSWORD,
        _csrf: preToken,
      });
      assert.equal(noCookie.status, 403, 'a token without its cookie is refused');
      assert.equal(stranger.jar.has(sessionCookieName(server.config)), false);
      const crossSite = await fresh.post(
        '/signin',
        { step: 'password', user_name: 'bob', password: PASSWORD, _csrf: preToken },
        { 'sec-fetch-site': 'cross-site' },
      );
      assert.equal(crossSite.status, 403);
      const ok = await fresh.post('/signin', {
        step: 'password',
        user_name: 'bob',
        password: PASSWORD,
        _csrf: preToken,
      });
      assert.equal(ok.status, 303);
    });

    it('hostile user names, display names and client names are rendered inert', async () => {
      const reg = await registerDeviceClient(server.url, true, HOSTILE_CLIENT);
      const web = new FormClient(server.url);
      const first = await web.get('/signin');
      const pwPage = await web.post('/signin', {
        _csrf: csrfOf(first.text),
        step: 'user',
        user_name: HOSTILE_USER,
      });
      assert.equal(pwPage.status, 200);
      assert.ok(!pwPage.text.includes('<script>alert'), 'user name escaped on the password page');
      assert.ok(pwPage.text.includes('&lt;script&gt;alert(&quot;u&quot;)&lt;/script&gt;'));
      const signin = await web.post('/signin', {
        _csrf: csrfOf(first.text),
        step: 'password',
        user_name: HOSTILE_USER,
        password: PASSWORD,
      });
      assert.equal(signin.status, 303);
      const d = await startDevice(reg);
      const entry = await web.get(`/device?user_code=${d.userCode}`);
      assert.ok(!entry.text.includes('<img src=x'), 'display name escaped in the header');
      assert.ok(entry.text.includes('&lt;img src=x onerror=alert(1)&gt;\uFFFDevil\uFFFD'));
      const consent = await web.post('/device', { _csrf: csrfOf(entry.text), user_code: d.userCode });
      assert.ok(!consent.text.includes('<script>alert(2)'));
      assert.ok(!consent.text.includes('\u202E'), 'bidi override removed');
      assert.match(consent.text, /botocore-client-&lt;script&gt;alert\(2\)&lt;\/script&gt;\uFFFDgnp\.exe/);
      assert.match(consent.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(consent.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      const control = await postJson(server.url, '/client/register', {
        clientName: 'a\u0007b\nc',
        clientType: 'public',
      });
      assert.equal(control.headers.get('x-amzn-errortype'), 'InvalidClientMetadataException');
    });

    it('user codes: 5 misses per person per 10 minutes, then even the right code waits', async () => {
      const reg = await registerDeviceClient(server.url);
      const web = await signedIn(server.url, 'carol', PASSWORD);
      const d = await startDevice(reg);
      const entry = await web.get('/device');
      const csrf = csrfOf(entry.text);
      const guesses = ['BBBB-BBBB', 'CCCC-CCCC', "'; DROP TABLE x;--", 'A'.repeat(5000), 'DDDD-DDDD'];
      for (const [i, guess] of guesses.entries()) {
        const res = await web.post('/device', { _csrf: csrf, user_code: guess });
        assert.equal(res.status, i < 4 ? 400 : 429, guess.slice(0, 20));
      }
      const blocked = await web.post('/device', { _csrf: csrf, user_code: d.userCode });
      assert.equal(blocked.status, 429);
      assert.match(blocked.text, /Too many wrong codes/);
      assert.equal(await grantStatus(d.userCode), 'pending');
      // Another person is not affected.
      const dave = await signedIn(server.url, 'dave', PASSWORD);
      const daveEntry = await dave.get('/device');
      assert.equal(
        (await dave.post('/device', { _csrf: csrfOf(daveEntry.text), user_code: 'BBBB-BBBB' })).status,
        400,
      );
      clock.advance(10 * 60_000);
      const d2 = await startDevice(reg);
      const later = await web.post('/device', { _csrf: csrf, user_code: d2.userCode.toLowerCase() });
      assert.equal(later.status, 200);
      assert.ok((await auditRows(server.deps, 'device.user_code.blocked')).length >= 1);
    });

    it('passwords: 30 failures lock the user with growing waits; the right password waits too', async () => {
      const web = new FormClient(server.url);
      const page = await web.get('/signin');
      const csrf = csrfOf(page.text);
      const attempt = (password: string) =>
        web.post('/signin', { _csrf: csrf, step: 'password', user_name: 'erin', password });
      const incorrect = /The user name or password is incorrect/;
      const lockouts = async () =>
        (await auditRows(server.deps, 'signin.lockout'))
          .filter((r) => r.target_id === ids.erin)
          .map((r) => JSON.parse(r.detail ?? '{}').lockedForSeconds);
      // One address may fail 30 sign-ins a minute: spread the first 29 over two minutes.
      for (let i = 1; i <= 29; i++) {
        if (i === 16) clock.advance(60_000);
        assert.equal((await attempt(`wrong-${i}`)).status, 401);
      }
      clock.advance(60_000);
      // The 30th failure locks, and the answer stays the same: it does not say the user exists.
      const locking = await attempt('wrong-30');
      assert.equal(locking.status, 401);
      assert.match(locking.text, incorrect);
      assert.deepEqual(await lockouts(), [60]);
      const right = await attempt(PASSWORD);
      assert.equal(right.status, 401, 'locked: the password is not even checked');
      assert.match(right.text, incorrect);
      assert.equal(web.jar.has(sessionCookieName(server.config)), false);
      clock.advance(60_000);
      assert.equal((await attempt('wrong-31')).status, 401);
      assert.deepEqual(await lockouts(), [60, 120]);
      assert.equal((await attempt(PASSWORD)).status, 401, 'locked again, for 2 minutes');
      clock.advance(120_000);
      assert.equal((await attempt(PASSWORD)).status, 303, 'after the wait the right password works');
      // Repeats within a minute are one row with their count: write the counts.
      await server.deps.ctx.memory.failures.settle();
      const failures = await auditRows(server.deps, 'signin.failure');
      assert.equal(eventCount(failures.filter((r) => r.target_id === ids.erin)), 31);
      const locked = await auditRows(server.deps, 'signin.locked');
      assert.equal(eventCount(locked.filter((r) => r.target_id === ids.erin)), 2);
      // Unknown users get the same answer and no lockout row.
      const ghost = await web.post('/signin', {
        _csrf: csrf,
        step: 'password',
        user_name: 'ghost',
        password: 'x',
      });
      assert.equal(ghost.status, 401);
      assert.match(ghost.text, incorrect);
    });

    it('disabling a user ends their session, tokens and pending approvals', async () => {
      const reg = await registerDeviceClient(server.url);
      const web = await signedIn(server.url, 'dave', PASSWORD);
      const a = await startDevice(reg);
      await decideDevice(web, a.userCode);
      const tokens = await poll(reg, a.deviceCode);
      const b = await startDevice(reg);
      await decideDevice(web, b.userCode);
      await disableUser(server.deps.ctx, ids.dave ?? '', 'test');
      assert.equal(await resolveAccessToken(server.deps.ctx, String(tokens.json.accessToken)), null);
      const refresh = await postJson(server.url, '/token', {
        ...reg,
        grantType: 'refresh_token',
        refreshToken: tokens.json.refreshToken,
      });
      assert.equal(refresh.headers.get('x-amzn-errortype'), 'InvalidGrantException');
      const late = await poll(reg, b.deviceCode);
      assert.equal(late.status, 400);
      assert.notEqual(late.status, 200);
      const page = await web.get('/device');
      assert.equal(page.status, 303, 'the portal session is over');
      const again = new FormClient(server.url);
      assert.equal((await again.signIn('dave', PASSWORD)).status, 401);
    });

    it('secrets never reach the log', async () => {
      const text = server.logs.join('\n');
      assert.ok(!text.includes(PASSWORD));
      const clients = await server.deps.ctx.store.db.selectFrom('oidc_clients').select('id').execute();
      assert.ok(clients.length > 0);
      const reg = await registerDeviceClient(server.url);
      const d = await startDevice(reg);
      const all = server.logs.join('\n');
      assert.ok(!all.includes(reg.clientSecret));
      assert.ok(!all.includes(d.deviceCode));
    });
  });
}

describe('slow_down across replicas (postgres)', () => {
  let a: TestServer;
  let b: RunningServer;
  before(async () => {
    a = await startTestServer({ store: 'postgres' });
    const config = loadConfig(
      {
        host: '127.0.0.1',
        port: '0',
        dataDir: a.config.dataDir,
        databaseUrl: a.config.databaseUrl,
        logLevel: 'silent',
      },
      {},
    );
    b = await startServer(config, { logger: createLogger('silent') });
  });
  after(async () => {
    await b?.close();
    await a?.stop();
  });

  it('a client polling one replica and then another too fast is told to slow down', async () => {
    const reg = await registerDeviceClient(a.url);
    const start = await postJson(a.url, '/device_authorization', { ...reg, startUrl: a.config.startUrl });
    const body = { ...reg, grantType: DEVICE_GRANT, deviceCode: start.json.deviceCode };
    const first = await postJson(a.url, '/token', body);
    assert.equal(first.headers.get('x-amzn-errortype'), 'AuthorizationPendingException');
    await a.deps.ctx.memory.pollTracker.flush();
    const second = await postJson(b.url, '/token', body);
    assert.equal(
      second.headers.get('x-amzn-errortype'),
      'SlowDownException',
      'replica B saw replica A’s poll',
    );
    await b.deps.ctx.memory.pollTracker.flush();
    const row = await a.deps.ctx.store.db
      .selectFrom('device_grants')
      .select(['interval_s', 'last_poll_at'])
      .where('client_id', '=', reg.clientId)
      .executeTakeFirstOrThrow();
    assert.equal(row.interval_s, 10, 'the grown interval is in the store');
    const third = await postJson(a.url, '/token', body);
    assert.equal(third.headers.get('x-amzn-errortype'), 'SlowDownException');
  });
});

describe('RegisterClient floods (sqlite)', () => {
  let server: TestServer;
  const clock = new ManualClock(Date.now());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(async () => server?.stop());

  it('more than 120 registrations a minute from one address are told to slow down', async () => {
    const body = { clientName: 'flood', clientType: 'public' };
    for (let i = 0; i < 119; i++)
      assert.equal((await postJson(server.url, '/client/register', body)).status, 200);
    assert.equal(
      (await postJson(server.url, '/client/register', body)).status,
      200,
      'the 120th is still served',
    );
    const refused = await postJson(server.url, '/client/register', body);
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('x-amzn-errortype'), 'SlowDownException');
    const count = await server.deps.ctx.store.db.selectFrom('oidc_clients').select('id').execute();
    assert.equal(count.length, 120, 'the refused registration stored nothing');
    clock.advance(60_000);
    assert.equal((await postJson(server.url, '/client/register', body)).status, 200);
  });
});

describe('request logs (sqlite)', () => {
  it('do not carry the user code of a device verification link', async () => {
    const server = await startTestServer();
    try {
      const reg = await registerDeviceClient(server.url);
      const start = await postJson(server.url, '/device_authorization', {
        ...reg,
        startUrl: server.config.startUrl,
      });
      const userCode = String(start.json.userCode);
      await fetch(String(start.json.verificationUriComplete), { redirect: 'manual' });
      const lines = server.logs.filter((l) => l.includes('/device?'));
      assert.ok(lines.length > 0);
      assert.ok(!server.logs.join('\n').includes(`user_code=${userCode}`));
    } finally {
      await server.stop();
    }
  });
});
