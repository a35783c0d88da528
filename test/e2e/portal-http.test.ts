/**
 * The access portal over HTTP, on SQLite and PostgreSQL: who sees which accounts, who gets
 * which credentials, CSRF on every state-changing request, bad input, and signing sessions
 * out from the profile page. The browser-side behaviour is in portal-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveAccessToken } from '../../src/app/auth/tokens.ts';
import { checkRoleCredentials } from '../../src/app/credentials/service.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { sessionCookieName } from '../../src/web/session.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { requestCredentials, type SignedIn, signIn } from './portal-fixtures.ts';

const PROD = '111111111111';
const DEV = '222222222222';
const SECRET = '333333333333';

for (const kind of STORE_KINDS) {
  describe(`access portal over HTTP (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    const clock = new ManualClock();

    before(async () => {
      server = await startTestServer({
        store: kind,
        clock,
        seed: async (deps) => {
          org = await seedOrg(deps.ctx, {
            users: [{ userName: 'alice', groups: ['Developers'] }, { userName: 'bob' }],
            groups: [{ name: 'Developers' }],
            accounts: [
              { id: PROD, name: 'Production' },
              { id: DEV, name: 'Development' },
              { id: SECRET, name: 'Secret vault' },
            ],
            permissionSets: [{ name: 'ReadOnly', sessionHours: 4 }, { name: 'AdministratorAccess' }],
            assignments: [
              { group: 'Developers', permissionSet: 'ReadOnly', accounts: [PROD, DEV] },
              { user: 'alice', permissionSet: 'AdministratorAccess', accounts: [DEV] },
              { user: 'bob', permissionSet: 'AdministratorAccess', accounts: [SECRET] },
            ],
          });
        },
      });
    });
    after(async () => server.stop());

    const alice = () => signIn(server.deps, org.users.alice!);
    const bob = () => signIn(server.deps, org.users.bob!);

    async function issuedCount(): Promise<number> {
      const rows = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select('id')
        .where('action', '=', 'credentials.issue')
        .execute();
      return rows.length;
    }

    async function sessionRevokedAt(sessionId: string): Promise<number | null> {
      const row = await server.deps.ctx.store.db
        .selectFrom('portal_sessions')
        .select('revoked_at')
        .where('id', '=', sessionId)
        .executeTakeFirstOrThrow();
      return row.revoked_at;
    }

    function postForm(path: string, who: { cookie: string } | null, fields: Record<string, string>) {
      return fetch(`${server.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(who ? { cookie: who.cookie } : {}),
        },
        body: new URLSearchParams(fields).toString(),
      });
    }

    it('sends signed-out people to sign-in and answers 401 on the JSON routes', async () => {
      const start = await fetch(`${server.url}/start`, { redirect: 'manual' });
      assert.equal(start.status, 303);
      assert.equal(start.headers.get('location'), '/signin');
      const profile = await fetch(`${server.url}/profile`, { redirect: 'manual' });
      assert.equal(profile.status, 303);
      assert.match(profile.headers.get('location') ?? '', /^\/signin\?return=%2Fprofile$/);
      const data = await fetch(`${server.url}/start/access.json`);
      assert.equal(data.status, 401);
      assert.match((await data.json()).message, /not signed in/);
      const creds = await requestCredentials(server.url, null, { accountId: PROD, roleName: 'ReadOnly' });
      assert.equal(creds.status, 401);
      const garbage = await fetch(`${server.url}/start`, {
        redirect: 'manual',
        headers: { cookie: `${sessionCookieName(server.config)}=not-a-real-session-token-at-all` },
      });
      assert.equal(garbage.status, 303);
    });

    it('lists exactly the accounts and roles the person has, directly and through groups, by name', async () => {
      const who = await alice();
      const res = await fetch(`${server.url}/start/access.json`, { headers: { cookie: who.cookie } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = await res.json();
      assert.deepEqual(body, {
        accounts: [
          {
            accountId: DEV,
            accountName: 'Development',
            emailAddress: `aws+${DEV}@example.com`,
            roles: ['AdministratorAccess', 'ReadOnly'],
            console: false,
          },
          {
            accountId: PROD,
            accountName: 'Production',
            emailAddress: `aws+${PROD}@example.com`,
            roles: ['ReadOnly'],
            console: false,
          },
        ],
      });
      const theirs = await fetch(`${server.url}/start/access.json`, {
        headers: { cookie: (await bob()).cookie },
      });
      assert.deepEqual(
        (await theirs.json()).accounts.map((a: { accountId: string }) => a.accountId),
        [SECRET],
      );
    });

    it('serves the start page with the strict headers and this session’s CSRF token', async () => {
      const who = await alice();
      const res = await fetch(`${server.url}/start`, { headers: { cookie: who.cookie } });
      assert.equal(res.status, 200);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const page = await res.text();
      assert.ok(page.includes(`data-csrf="${who.csrf}"`));
      assert.ok(page.includes(server.config.startUrl));
      // The script and styles are fingerprinted files cached for a year.
      const script = /<script type="module" src="(\/static\/portal\.[0-9a-f]{10}\.js)"><\/script>/.exec(page);
      assert.ok(script, 'fingerprinted portal.js');
      const js = await fetch(`${server.url}${script[1]}`);
      assert.equal(js.status, 200);
      assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
      const source = await js.text();
      assert.doesNotMatch(
        source,
        /\.(inner|outer)HTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      );
      // The display-text rule is the server's own module, imported under its fingerprinted name.
      const imported = /from '\.\/(display-text\.[0-9a-f]{10}\.js)'/.exec(source);
      assert.ok(imported, 'portal.js imports the fingerprinted display-text.js');
      const rule = await fetch(`${server.url}/static/${imported[1]}`);
      assert.equal(rule.status, 200);
      assert.equal(rule.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(await rule.text(), /export function readable/);
    });

    it('vends credentials for an assigned account and role, audited as from the portal', async () => {
      const who = await alice();
      const res = await requestCredentials(server.url, who, { accountId: PROD, roleName: 'ReadOnly' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const c = await res.json();
      assert.match(c.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
      assert.equal(c.secretAccessKey.length, 40);
      assert.ok(c.sessionToken.length > 100);
      assert.equal(c.expiration, clock.now() + 4 * 3600_000);
      const check = await checkRoleCredentials(
        server.deps.credentials,
        clock.now(),
        c.accessKeyId,
        c.sessionToken,
      );
      assert.ok(check.ok);
      assert.equal(check.ok && check.secretAccessKey, c.secretAccessKey);
      assert.equal(check.ok && check.claims.accountId, PROD);
      assert.equal(check.ok && check.claims.sessionId, who.sessionId);
      const event = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'credentials.issue')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(event.actor, `user:${org.users.alice}`);
      const detail = JSON.parse(event.detail ?? '{}');
      assert.equal(detail.channel, 'portal');
      assert.equal(detail.accessKeyId, c.accessKeyId);
      assert.equal(detail.sessionId, who.sessionId);
      assert.ok(!JSON.stringify(event).includes(c.secretAccessKey));
    });

    it('refuses an account or role the person is not assigned, however the request is made', async () => {
      const who = await alice();
      const before = await issuedCount();
      const attempts = [
        { accountId: SECRET, roleName: 'AdministratorAccess' }, // bob's account
        { accountId: PROD, roleName: 'AdministratorAccess' }, // a role alice has, but in another account
        { accountId: DEV, roleName: 'NoSuchRole' },
        { accountId: '999999999999', roleName: 'ReadOnly' }, // no such account
        { accountId: PROD, roleName: 'readonly' }, // names are exact
      ];
      for (const body of attempts) {
        const res = await requestCredentials(server.url, who, body);
        assert.equal(res.status, 403, JSON.stringify(body));
        assert.deepEqual(await res.json(), { message: 'No access' });
      }
      assert.equal(await issuedCount(), before, 'nothing was minted');
    });

    it('rejects malformed requests with a clear message and mints nothing', async () => {
      const who = await alice();
      const before = await issuedCount();
      const cases: Array<[unknown, Record<string, string>, number, RegExp]> = [
        ['{"accountId":', {}, 400, /not valid JSON/],
        ['[1,2]', {}, 400, /JSON object/],
        [{ accountId: PROD }, {}, 400, /roleName/],
        [{ accountId: 111111111111, roleName: 'ReadOnly' }, {}, 400, /accountId/],
        [{ accountId: '11111111111a', roleName: 'ReadOnly' }, {}, 400, /accountId/],
        [{ accountId: PROD, roleName: 'R'.repeat(33) }, {}, 400, /roleName/],
        [{ accountId: PROD, roleName: '<script>' }, {}, 400, /roleName/],
        [{ accountId: PROD, roleName: 'ReadOnly', pad: 'x'.repeat(5000) }, {}, 400, /too large/],
        [
          'accountId=111111111111&roleName=ReadOnly',
          { 'content-type': 'application/x-www-form-urlencoded' },
          400,
          /JSON/,
        ],
        ['', {}, 400, /empty/],
      ];
      for (const [body, headers, status, message] of cases) {
        const res = await requestCredentials(server.url, who, body, headers);
        assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
        assert.match((await res.json()).message, message);
      }
      const huge = await requestCredentials(server.url, who, 'x'.repeat(2 * 1024 * 1024));
      assert.equal(huge.status, 413);
      assert.match((await huge.json()).message, /too large/);
      assert.equal(await issuedCount(), before);
    });

    it('refuses a missing, foreign, stale or cross-site CSRF token', async () => {
      const me = await alice();
      const other = await bob();
      const before = await issuedCount();
      const body = { accountId: PROD, roleName: 'ReadOnly' };
      const missing = await requestCredentials(server.url, { cookie: me.cookie, csrf: '' }, body);
      assert.equal(missing.status, 403);
      const foreign = await requestCredentials(server.url, { cookie: me.cookie, csrf: other.csrf }, body);
      assert.equal(foreign.status, 403);
      assert.match((await foreign.json()).message, /did not come from your current portal page/);
      // A token from an earlier session of the same person stops working when that session ends.
      const old = await alice();
      await postForm('/profile/sessions/revoke', old, { _csrf: old.csrf, session: old.sessionId });
      const stale = await requestCredentials(server.url, { cookie: me.cookie, csrf: old.csrf }, body);
      assert.equal(stale.status, 403);
      const crossSite = await requestCredentials(server.url, me, body, { 'sec-fetch-site': 'cross-site' });
      assert.equal(crossSite.status, 403);
      assert.equal(await issuedCount(), before);
      // And the profile's forms: a foreign token signs nothing out.
      const victim = await alice();
      const res = await postForm('/profile/sessions/revoke-all', victim, { _csrf: other.csrf });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /This form has expired/);
      const res2 = await postForm('/profile/sessions/revoke', victim, { session: victim.sessionId });
      assert.equal(res2.status, 403);
      assert.equal(await sessionRevokedAt(victim.sessionId), null);
    });

    it('shows the profile with details and live sessions, each escaped', async () => {
      const who = await alice();
      const res = await fetch(`${server.url}/profile`, { headers: { cookie: who.cookie } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const text = await res.text();
      assert.match(text, /<bdi>alice<\/bdi>/);
      assert.ok(text.includes(`data-session="${who.sessionId}"`));
      assert.match(text, /This browser/);
      assert.match(text, /Sign out everywhere/);
      assert.match(text, /href="\/mfa\/enroll"/);

      // With a confirmed authenticator: it is listed (label as text) with a way to remove it.
      await server.deps.ctx.store.db
        .insertInto('mfa_devices')
        .values({
          id: 'mfa-test-device',
          user_id: org.users.bob!,
          kind: 'TOTP',
          label: '<i>Phone</i>',
          secret_sealed: 'not-used-here',
          confirmed_at: clock.now(),
          last_step: 0,
          created_at: clock.now(),
        })
        .execute();
      const withDevice = await (
        await fetch(`${server.url}/profile`, { headers: { cookie: (await bob()).cookie } })
      ).text();
      assert.match(withDevice, /<bdi>&lt;i&gt;Phone&lt;\/i&gt;<\/bdi>/);
      assert.match(withDevice, /Authenticator app \(TOTP\)/);
      assert.match(withDevice, /<a class="button secondary small" href="\/mfa">Remove/);
      assert.doesNotMatch(withDevice, /href="\/mfa\/enroll"/);
    });

    it('signs one session out: it, its CLI sign-ins and its credentials stop, audited', async () => {
      const me = await alice();
      const laptop = await alice();
      // A CLI login made through the laptop session: a token family under it.
      const cli = await issueBearerToken(server.deps.ctx, { userId: org.users.alice! });
      await server.deps.ctx.store.db
        .updateTable('token_families')
        .set({ session_id: laptop.sessionId })
        .where('id', '=', cli.familyId)
        .execute();
      await server.deps.ctx.store.db
        .updateTable('portal_sessions')
        .set({ revoked_at: clock.now() })
        .where('id', '=', cli.sessionId)
        .execute();
      const issued = await (
        await requestCredentials(server.url, laptop, { accountId: DEV, roleName: 'AdministratorAccess' })
      ).json();
      clock.advance(1000);

      const res = await postForm('/profile/sessions/revoke', me, {
        _csrf: me.csrf,
        session: laptop.sessionId,
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/profile?done=signed-out');
      assert.notEqual(await sessionRevokedAt(laptop.sessionId), null);
      assert.equal(await sessionRevokedAt(me.sessionId), null, 'the session that asked stays');
      assert.equal(await resolveAccessToken(server.deps.ctx, cli.accessToken), null);
      const check = await checkRoleCredentials(
        server.deps.credentials,
        clock.now(),
        issued.accessKeyId,
        issued.sessionToken,
      );
      assert.deepEqual(check, { ok: false, reason: 'revoked' });
      const revocations = await server.deps.ctx.store.db
        .selectFrom('revocations')
        .select(['kind', 'subject'])
        .where('subject', 'in', [laptop.sessionId, cli.familyId])
        .execute();
      assert.deepEqual(revocations.map((r) => r.kind).sort(), ['family', 'session']);
      const audit = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'session.revoke')
        .where('target_id', '=', laptop.sessionId)
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor, `user:${org.users.alice}`);
      assert.equal(JSON.parse(audit.detail ?? '{}').tokenFamilies, 1);
      // The laptop's cookie no longer opens the portal.
      const back = await fetch(`${server.url}/start`, {
        headers: { cookie: laptop.cookie },
        redirect: 'manual',
      });
      assert.equal(back.status, 303);
    });

    it('cannot sign out someone else’s session, and says so without changing anything', async () => {
      const me = await alice();
      const theirs: SignedIn = await bob();
      const res = await postForm('/profile/sessions/revoke', me, {
        _csrf: me.csrf,
        session: theirs.sessionId,
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/profile?done=not-found');
      assert.equal(await sessionRevokedAt(theirs.sessionId), null);
      const bad = await postForm('/profile/sessions/revoke', me, { _csrf: me.csrf, session: "1' OR '1'='1" });
      assert.equal(bad.status, 400);
    });

    it('refuses a form body over 64 KiB with a page, signing nothing out', async () => {
      const me = await alice();
      const res = await postForm('/profile/sessions/revoke-all', me, {
        _csrf: me.csrf,
        pad: 'x'.repeat(70 * 1024),
      });
      assert.equal(res.status, 413);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /The request is too large\./);
      assert.equal(await sessionRevokedAt(me.sessionId), null);
    });

    it('signs out everywhere: every session and CLI sign-in of the person ends, nobody else’s', async () => {
      const a1 = await alice();
      const a2 = await alice();
      const b1 = await bob();
      const cli = await issueBearerToken(server.deps.ctx, { userId: org.users.alice! });
      const res = await postForm('/profile/sessions/revoke-all', a1, { _csrf: a1.csrf });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/signin');
      assert.match(
        res.headers.get('set-cookie') ?? '',
        new RegExp(`${sessionCookieName(server.config)}=;.*Max-Age=0`),
      );
      for (const s of [a1, a2]) assert.notEqual(await sessionRevokedAt(s.sessionId), null);
      assert.equal(await sessionRevokedAt(b1.sessionId), null);
      assert.equal(await resolveAccessToken(server.deps.ctx, cli.accessToken), null);
      const live = await server.deps.ctx.store.db
        .selectFrom('portal_sessions')
        .select('id')
        .where('user_id', '=', org.users.alice!)
        .where('revoked_at', 'is', null)
        .execute();
      assert.deepEqual(live, []);
    });
  });
}
