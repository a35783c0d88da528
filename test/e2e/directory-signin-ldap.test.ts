/**
 * Signing in as a directory user, against a real OpenLDAP over LDAPS, on both stores: through
 * the portal's forms and through the device flow of the AWS SDK; the password is checked by a
 * bind and never stored; LDAP-special and Unicode characters in a user name cannot change the
 * search; a wrong password counts towards the lockout; a user disabled in the directory loses
 * their role credentials at the next sync; a directory that cannot be reached or is not trusted
 * gets directory users a clear message while local users still sign in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetRoleCredentialsCommand, SSOClient } from '@aws-sdk/client-sso';
import { loadIdentitySource } from '../../src/app/directory/settings.ts';
import { syncDirectory, takeSyncLease } from '../../src/app/directory/sync.ts';
import { applyText } from '../helpers/apply.ts';
import { scrapeMetrics } from '../helpers/metrics.ts';
import { auditRows, deviceFlowAccessToken, FormClient } from '../helpers/oidc.ts';
import { startTestServer, TEST_METRICS_TOKEN, type TestServer } from '../helpers/server.ts';
import {
  groupLdif,
  ldapSourceYaml,
  personLdif,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
  userDn,
} from '../helpers/slapd.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ENV_NAME = 'IDCENTER_TEST_SIGNIN_LDAP_PASSWORD';
const ACCOUNT = '111111111111';
const ZOE = 'zoë*(ünï)';
/** The "Who am I?" extended operation: the DN a connection is bound as. */
const WHO_AM_I = '1.3.6.1.4.1.4203.1.11.3';

function orgFile(slapd: Slapd, o: { url?: string; urls?: string[]; caFile?: string; assign?: boolean } = {}) {
  return `${ldapSourceYaml(slapd, ENV_NAME, { urls: o.urls ?? [o.url ?? slapd.ldapsUrl], caFile: o.caFile })}users:
  - { userName: breakglass, displayName: Break Glass, givenName: Break, familyName: Glass, password: "local-admin-pass-1" }
accounts:
  - { id: "${ACCOUNT}", name: Production, email: prod@example.com }
permissionSets:
  - { name: Admin }
assignments:
${o.assign === false ? '  []' : `  - { group: admins, permissionSet: Admin, accounts: ["${ACCOUNT}"] }\n  - { user: breakglass, permissionSet: Admin, accounts: ["${ACCOUNT}"] }`}
`;
}

for (const kind of STORE_KINDS) {
  describe(`directory users sign in (${kind})`, () => {
    let slapd: Slapd;
    let server: TestServer;
    before(async () => {
      process.env[ENV_NAME] = SERVICE_PASSWORD;
      slapd = await startSlapd();
      slapd.add(
        personLdif('alice', 'alice-directory-pass', {
          given: 'Alice',
          sn: 'Liddell',
          display: 'Alice Liddell',
        }) +
          personLdif(ZOE, 'zoë-pässwörd-1', { display: 'Zoë Ünï' }) +
          personLdif('zo', 'zo-pass-1'),
      );
      slapd.add(groupLdif('admins', [userDn('alice'), userDn(ZOE)]));
      server = await startTestServer({
        store: kind,
        seed: async (deps) => {
          await applyText(deps.ctx, orgFile(slapd, { assign: false }));
          await syncDirectory(deps.ctx, { full: true });
          await applyText(deps.ctx, orgFile(slapd));
        },
      });
    });
    after(async () => {
      await server?.stop();
      await slapd?.stop();
    });

    it('signs a directory user in to the portal by a bind, storing no password', async () => {
      const web = new FormClient(server.url);
      const res = await web.signIn('alice', 'alice-directory-pass');
      assert.equal(res.status, 303, res.text);
      assert.equal(res.location, '/start');
      const row = await server.deps.ctx.store.db
        .selectFrom('users')
        .select(['password_hash', 'source'])
        .where('user_name_lower', '=', 'alice')
        .executeTakeFirstOrThrow();
      assert.equal(row.password_hash, null);
      assert.equal(row.source, 'directory');
      const profile = await web.get('/profile');
      assert.equal(profile.status, 200);
      for (const shown of [
        'Alice Liddell',
        'alice@idc.test',
        'Alice Liddell',
        'uid=alice,ou=people,dc=idc,dc=test',
      ]) {
        assert.ok(profile.text.includes(shown), shown);
      }
      assert.match(profile.text, /your organization&#39;s directory|your organization's directory/);
    });

    it('refuses a wrong password with the usual answer, counted for the lockout', async () => {
      const web = new FormClient(server.url);
      const res = await web.signIn('alice', 'not-her-password');
      assert.equal(res.status, 401);
      assert.match(res.text, /The user name or password is incorrect/);
      const failures = await auditRows(server.deps, 'signin.failure');
      assert.ok(failures.some((f) => /"reason":"bad_password"/.test(f.detail ?? '')));
      const throttle = await server.deps.ctx.store.db
        .selectFrom('throttles')
        .select('key')
        .where('key', 'like', 'pw:%')
        .execute();
      assert.equal(throttle.length, 1);
    });

    it('takes LDAP-special and Unicode characters in a user name as a name, never as filter text', async () => {
      const zoe = new FormClient(server.url);
      const ok = await zoe.signIn(ZOE, 'zoë-pässwörd-1');
      assert.equal(ok.status, 303, ok.text);
      // zo's password with a name that, spliced into a filter, would match zo or anyone.
      for (const attempt of ['zo*', '*', 'zo)(uid=*', 'zo*(ünï)', `${ZOE}\u0000`]) {
        const web = new FormClient(server.url);
        const res = await web.signIn(attempt, 'zo-pass-1');
        assert.notEqual(res.status, 303, attempt);
      }
      const zoeWrong = await new FormClient(server.url).signIn(ZOE, 'zo-pass-1');
      assert.equal(zoeWrong.status, 401);
    });

    it('lets a directory user take role credentials through the device flow, until the directory disables them', async () => {
      const web = new FormClient(server.url);
      assert.equal((await web.signIn('alice', 'alice-directory-pass')).status, 303);
      const accessToken = await deviceFlowAccessToken(web, server.url, server.config.startUrl);
      const sso = new SSOClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
      const role = { accessToken, accountId: ACCOUNT, roleName: 'Admin' };
      const creds = await sso.send(new GetRoleCredentialsCommand(role));
      assert.ok(creds.roleCredentials?.accessKeyId);

      slapd.modify(
        `dn: ${userDn('alice')}\nchangetype: modify\nreplace: employeeType\nemployeeType: TRUE\n\n`,
      );
      const r = await syncDirectory(server.deps.ctx, {});
      assert.deepEqual(r.disabled, [{ userName: 'alice', why: 'disabled in the directory' }]);
      await assert.rejects(sso.send(new GetRoleCredentialsCommand(role)), { name: 'UnauthorizedException' });
      const again = await new FormClient(server.url).signIn('alice', 'alice-directory-pass');
      assert.equal(again.status, 401);
      slapd.modify(`dn: ${userDn('alice')}\nchangetype: modify\ndelete: employeeType\n\n`);
      await syncDirectory(server.deps.ctx, {});
    });

    it('the server syncs when its interval is due, one replica at a time, and counts it in /metrics', async () => {
      // …and an entry whose name a local user holds: left out, and the log says why.
      slapd.add(personLdif('erin', 'erin-pass-1') + personLdif('breakglass', 'directory-pass-1'));
      // The seed's sync just ran: not due for syncInterval (15 minutes by default).
      assert.equal(await server.directorySync.runOnce(), 'not_due');
      // Another replica holds the lease: this one skips.
      assert.equal(await takeSyncLease(server.deps.ctx, 'another-replica', 60_000), true);
      assert.equal(await server.directorySync.runOnce(true), 'skipped');
      await server.deps.ctx.store.db
        .updateTable('directory_sync')
        .set({ lease_owner: null, lease_until: null })
        .execute();
      const result = await server.directorySync.runOnce(true);
      assert.ok(typeof result === 'object' && result.created.includes('erin'), JSON.stringify(result));
      const metric = await scrapeMetrics(server.url, TEST_METRICS_TOKEN);
      assert.equal(metric('idcenter_directory_syncs_total{result="done"}'), 1);
      assert.equal(metric('idcenter_directory_syncs_total{result="skipped"}'), 1);
      assert.ok(metric('idcenter_directory_sync_changes_total{change="created"}') >= 1);
      assert.ok(metric('idcenter_directory_last_sync_success_timestamp_seconds') > 0);
      assert.ok(server.logs.some((l) => l.includes('directory sync finished')));
      const leftOut = server.logs.find((l) => l.includes('directory sync left entries out'));
      assert.match(
        leftOut ?? '',
        /uid=breakglass,ou=people,dc=idc,dc=test: user name \\"breakglass\\" belongs to a local user here/,
      );
      assert.match(leftOut ?? '', /"level":40/);
    });

    it('tells directory users the directory cannot be reached, and local users still sign in', async () => {
      for (const broken of [{ url: 'ldaps://127.0.0.1:1' }, { caFile: slapd.otherCaFile }]) {
        await applyText(server.deps.ctx, orgFile(slapd, broken));
        const res = await new FormClient(server.url).signIn('alice', 'alice-directory-pass');
        assert.equal(res.status, 503, JSON.stringify(broken));
        assert.match(res.text, /directory, which cannot be reached right now/);
        const local = await new FormClient(server.url).signIn('breakglass', 'local-admin-pass-1');
        assert.equal(local.status, 303);
      }
      const unavailable = await auditRows(server.deps, 'signin.failure');
      assert.ok(unavailable.some((f) => /directory_unavailable/.test(f.detail ?? '')));
      assert.ok(!server.logs.some((l) => l.includes('alice-directory-pass')), 'the password is never logged');
      await applyText(server.deps.ctx, orgFile(slapd));
      assert.equal((await new FormClient(server.url).signIn('alice', 'alice-directory-pass')).status, 303);
    });

    it('signs in again after the directory restarted, and a wrong password on a pooled connection is still refused', async () => {
      const signIn = (name: string, password: string) => new FormClient(server.url).signIn(name, password);
      assert.equal((await signIn('zo', 'zo-pass-1')).status, 303);
      const wrong = await signIn('zo', 'not-zo-pass');
      assert.equal(wrong.status, 401, 'refused on the pooled connection');
      assert.match(wrong.text, /The user name or password is incorrect/);
      // The person's bind never stays on the connection the pool keeps for finding people.
      const settings = await loadIdentitySource(server.deps.ctx.store.db);
      assert.ok(settings.kind !== 'builtIn');
      const pool = server.deps.ctx.memory.directoryConnections;
      const whoami = () =>
        pool.withConnection(
          settings,
          SERVICE_PASSWORD,
          async (conn) => (await conn.client.exop(WHO_AM_I)).value,
        );
      assert.equal(await whoami(), `dn:${SERVICE_DN}`);

      await slapd.restart();
      assert.equal((await signIn('zo', 'zo-pass-1')).status, 303, 'the dead pooled connection is replaced');
      assert.equal(await whoami(), `dn:${SERVICE_DN}`);
      await slapd.restart();
      // A connection that died while idle is never reused: ldapts would reconnect it anonymously.
      assert.equal(await whoami(), `dn:${SERVICE_DN}`);
      await slapd.restart();
      assert.equal((await signIn('zo', 'not-zo-pass')).status, 401);
      assert.equal((await signIn('zo', 'zo-pass-1')).status, 303);
      // A first URL that does not answer sends the pool's new connections to the next one.
      await applyText(server.deps.ctx, orgFile(slapd, { urls: ['ldaps://127.0.0.1:1', slapd.ldapsUrl] }));
      assert.equal((await signIn('zo', 'zo-pass-1')).status, 303);
      assert.equal((await signIn('zo', 'not-zo-pass')).status, 401);
      await applyText(server.deps.ctx, orgFile(slapd));
    });
  });
}
