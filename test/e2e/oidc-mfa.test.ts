/**
 * TOTP MFA through the pages, on SQLite and PostgreSQL: enrolment from the portal, sign-in with a
 * code (no replay, lockout, also against a burst of parallel codes), removal, the instance-wide requirement (enrol at next sign-in) and
 * administrator recovery with `idcenter user reset-mfa`.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { verifySecondFactor } from '../../src/app/auth/mfa.ts';
import { countFailure, throttleKey } from '../../src/app/auth/throttles.ts';
import { runResetMfa } from '../../src/cli/commands/auth-admin-run.ts';
import { TOTP_LOCKOUT } from '../../src/domain/auth/lockout.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { auditRows, csrfOf, FormClient, hiddenOf, seedUser, totpNow } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const PASSWORD = 'mfa-test-password-1';

function secretOf(text: string): string {
  const m = /data-testid="totp-secret">([A-Z2-7 ]+)</.exec(text);
  if (!m?.[1]) throw new Error('no secret on the page');
  return m[1];
}

async function passwordStep(web: FormClient, userName: string) {
  const page = await web.get('/signin');
  return web.post('/signin', {
    _csrf: csrfOf(page.text),
    step: 'password',
    user_name: userName,
    password: PASSWORD,
    return: '/device',
  });
}

for (const kind of STORE_KINDS) {
  describe(`TOTP MFA (${kind})`, () => {
    let server: TestServer;
    const clock = new ManualClock(Date.now());
    let gina = '';

    before(async () => {
      server = await startTestServer({
        store: kind,
        clock,
        seed: async (deps) => {
          await seedUser(deps, { userName: 'alice', password: PASSWORD });
          await seedUser(deps, { userName: 'frank', password: PASSWORD });
          gina = await seedUser(deps, { userName: 'gina', password: PASSWORD });
        },
      });
    });
    after(async () => server?.stop());

    it('enrol from the portal, then every sign-in asks for a fresh code', async () => {
      const web = new FormClient(server.url);
      assert.equal((await passwordStep(web, 'alice')).location, '/device');
      const status = await web.get('/mfa');
      assert.match(status.text, /No authenticator app is set up/);
      const enrol = await web.get('/mfa/enroll');
      assert.equal(enrol.status, 200);
      assert.match(enrol.text, /<img class="qr" src="data:image\/svg\+xml;base64,/);
      const secret = secretOf(enrol.text);
      const fields = { _csrf: csrfOf(enrol.text), device_id: hiddenOf(enrol.text, 'device_id') };
      assert.equal((await web.post('/mfa/enroll', { ...fields, code: '000000' })).status, 400);
      const code = totpNow(secret, clock.now());
      const ok = await web.post('/mfa/enroll', { ...fields, code });
      assert.equal(ok.location, '/mfa?done=enrolled');
      assert.match((await web.get('/mfa')).text, /Authenticator app added/);
      assert.equal((await auditRows(server.deps, 'mfa.enroll')).length, 1);
      const row = await server.deps.ctx.store.db
        .selectFrom('mfa_devices')
        .selectAll()
        .executeTakeFirstOrThrow();
      assert.ok(!row.secret_sealed.includes(secret.replace(/ /g, '')), 'the secret is sealed at rest');

      const next = new FormClient(server.url);
      const step = await passwordStep(next, 'alice');
      assert.equal(step.location, '/signin/mfa?return=%2Fdevice');
      assert.equal((await next.get('/device')).status, 303, 'a password alone is not a session');
      const mfaPage = await next.get(step.location ?? '');
      const csrf = csrfOf(mfaPage.text);
      const replay = await next.post('/signin/mfa', { _csrf: csrf, code, return: '/device' });
      assert.equal(replay.status, 401, 'the enrolment code cannot be used again');
      clock.advance(30_000);
      const fresh = totpNow(secret, clock.now());
      const done = await next.post('/signin/mfa', { _csrf: csrf, code: fresh, return: '/device' });
      assert.equal(done.location, '/device');
      assert.equal((await next.get('/device')).status, 200);
      const again = await next.post('/signin/mfa', { _csrf: csrf, code: fresh, return: '/device' });
      assert.equal(again.status, 303, 'no pending sign-in is left');
      assert.equal(again.location, '/signin?return=%2Fdevice');

      // Removal needs a current code.
      const status2 = await next.get('/mfa');
      assert.equal(
        (await next.post('/mfa/remove', { _csrf: csrfOf(status2.text), code: '123456' })).status,
        400,
      );
      clock.advance(30_000);
      const removed = await next.post('/mfa/remove', {
        _csrf: csrfOf(status2.text),
        code: totpNow(secret, clock.now()),
      });
      assert.equal(removed.location, '/mfa?done=removed');
      assert.equal((await auditRows(server.deps, 'mfa.remove')).length, 1);
      assert.equal((await passwordStep(new FormClient(server.url), 'alice')).location, '/device');
    });

    /** `userName` enrols a TOTP device, then signs in again in a new browser up to the code step. */
    async function atCodeStep(userName: string) {
      const web = new FormClient(server.url);
      await passwordStep(web, userName);
      const enrol = await web.get('/mfa/enroll');
      const secret = secretOf(enrol.text);
      await web.post('/mfa/enroll', {
        _csrf: csrfOf(enrol.text),
        device_id: hiddenOf(enrol.text, 'device_id'),
        code: totpNow(secret, clock.now()),
      });
      clock.advance(30_000);
      const next = new FormClient(server.url);
      const step = await passwordStep(next, userName);
      const csrf = csrfOf((await next.get(step.location ?? '')).text);
      return { next, csrf, secret };
    }

    it('30 wrong codes lock the second factor', async () => {
      const { next, csrf, secret } = await atCodeStep('frank');
      for (let i = 0; i < 29; i++) {
        assert.equal((await next.post('/signin/mfa', { _csrf: csrf, code: '000000' })).status, 401);
      }
      assert.equal((await next.post('/signin/mfa', { _csrf: csrf, code: '000000' })).status, 429);
      const right = await next.post('/signin/mfa', { _csrf: csrf, code: totpNow(secret, clock.now()) });
      assert.equal(right.status, 429);
      assert.ok((await auditRows(server.deps, 'signin.lockout')).length >= 1);
    });

    it('of a burst of parallel codes after 29 wrong ones, one is checked', async () => {
      const { next, csrf, secret } = await atCodeStep('gina');
      for (let i = 0; i < 29; i++) {
        await countFailure(server.deps.ctx, throttleKey.totp(gina), TOTP_LOCKOUT);
      }
      // In-process, so that the codes really arrive together.
      const burst = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          verifySecondFactor(server.deps.ctx, gina, String(100000 + i), { sourceIp: '192.0.2.9' }),
        ),
      );
      assert.deepEqual(
        burst.map((r) => r.kind),
        Array.from({ length: 12 }, () => 'blocked'),
      );
      const mine = async (action: string) =>
        (await auditRows(server.deps, action)).filter((r) => r.target_id === gina).length;
      assert.equal(await mine('mfa.failure'), 1, 'one code was checked');
      assert.equal(await mine('signin.locked'), 11, 'the others were refused unchecked');
      const right = await next.post('/signin/mfa', { _csrf: csrf, code: totpNow(secret, clock.now()) });
      assert.equal(right.status, 429);
    });
  });
}

describe('MFA required for everyone (sqlite)', () => {
  let server: TestServer;
  const clock = new ManualClock(Date.now());
  before(async () => {
    server = await startTestServer({
      clock,
      settings: { requireMfa: 'true' },
      seed: async (deps) => {
        await seedUser(deps, { userName: 'bob', password: PASSWORD });
      },
    });
  });
  after(async () => server?.stop());

  const enrolAtSignin = async () => {
    const web = new FormClient(server.url);
    const step = await passwordStep(web, 'bob');
    assert.equal(step.location, '/signin/mfa/setup?return=%2Fdevice');
    assert.equal((await web.get('/device')).status, 303, 'no session before enrolment');
    const setup = await web.get(step.location ?? '');
    assert.match(setup.text, /requires multi-factor authentication/);
    const secret = secretOf(setup.text);
    const done = await web.post('/signin/mfa/setup', {
      _csrf: csrfOf(setup.text),
      device_id: hiddenOf(setup.text, 'device_id'),
      code: totpNow(secret, clock.now()),
      return: '/device',
    });
    assert.equal(done.location, '/device');
    return { web, secret };
  };

  it('a user without a device enrols at sign-in, cannot remove it, and an administrator can reset it', async () => {
    const { web, secret } = await enrolAtSignin();
    const status = await web.get('/mfa');
    assert.match(status.text, /requires MFA/);
    clock.advance(30_000);
    const refused = await web.post('/mfa/remove', {
      _csrf: csrfOf(status.text),
      code: totpNow(secret, clock.now()),
    });
    assert.equal(refused.status, 400);
    assert.ok(await server.deps.ctx.store.db.selectFrom('mfa_devices').select('id').executeTakeFirst());

    const next = new FormClient(server.url);
    assert.equal((await passwordStep(next, 'bob')).location, '/signin/mfa?return=%2Fdevice');

    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += chunk;
        cb();
      },
    });
    await runResetMfa('BOB', { databaseUrl: server.config.databaseUrl }, sink);
    assert.match(out, /Removed the MFA device of bob/);
    assert.equal((await auditRows(server.deps, 'mfa.reset')).length, 1);
    await assert.rejects(
      runResetMfa('nobody', { databaseUrl: server.config.databaseUrl }, sink),
      /no user named/,
    );
    clock.advance(30_000);
    await enrolAtSignin();
  });
});
