/**
 * Active Directory, for real: a Samba AD domain controller provisioned by this file (once, it
 * is slow) with users, nested groups, a disabled user and a user whose password has expired.
 * On both stores: the sync brings users by objectGUID, nested groups by the in-chain matching
 * rule and the disabled user as disabled; a directory user signs in by a bind; AD's password
 * states are clear messages on the sign-in page (expired, 532; must change at next logon, 773;
 * locked out by the domain's lockout policy after failed binds, 775); disabling the user in AD
 * and syncing refuses their role credentials.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { GetRoleCredentialsCommand, SSOClient } from '@aws-sdk/client-sso';
import { Client } from 'ldapts';
import { syncDirectory } from '../../src/app/directory/sync.ts';
import { applyText } from '../helpers/apply.ts';
import { auditRows, deviceFlowAccessToken, FormClient } from '../helpers/oidc.ts';
import {
  AD_ADMIN_DN,
  AD_ADMIN_PASSWORD,
  GROUPS_OU,
  PEOPLE_OU,
  type SambaDc,
  startSambaDc,
} from '../helpers/samba.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ENV_NAME = 'IDCENTER_TEST_AD_PASSWORD';
const LOCKOUT_THRESHOLD = 5;

/** A simple bind as a user of People over LDAPS: 'ok', or the directory's diagnostic message. */
async function bindAs(dc: SambaDc, name: string, password: string): Promise<string> {
  const client = new Client({ url: dc.url, tlsOptions: { ca: fs.readFileSync(dc.caFile) } });
  try {
    await client.bind(dc.userDn(name), password);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.unbind().catch(() => {});
  }
}
const ACCOUNT = '111111111111';

function orgFile(dc: SambaDc, assign: boolean) {
  return `identitySource:
  type: activeDirectory
  urls: ["${dc.url}"]
  caFile: ${dc.caFile}
  bindDn: "${AD_ADMIN_DN}"
  bindPasswordEnv: ${ENV_NAME}
  users: { baseDn: "${PEOPLE_OU}" }
  groups: { baseDn: "${GROUPS_OU}" }
  timeout: 5s
users:
  - { userName: breakglass, displayName: Break Glass, givenName: Break, familyName: Glass, password: "local-admin-pass-1" }
accounts:
  - { id: "${ACCOUNT}", name: Production, email: prod@example.com }
permissionSets:
  - { name: Admin }
assignments:
${assign ? `  - { group: admins, permissionSet: Admin, accounts: ["${ACCOUNT}"] }` : '  []'}
`;
}

describe('Active Directory (Samba AD DC)', () => {
  let dc: SambaDc;
  before(async () => {
    process.env[ENV_NAME] = AD_ADMIN_PASSWORD;
    dc = await startSambaDc();
    const user = (name: string, password: string, extra: string[] = [], faketime?: string) =>
      dc.tool(
        ['user', 'create', name, password, `--userou=OU=People`, `--mail-address=${name}@idc.test`, ...extra],
        {
          ...(faketime ? { faketime } : {}),
        },
      );
    user('alice', 'Alice-Pass-123!');
    user('bob', 'Bob-Pass-123!');
    user('dan', 'Dan-Pass-123!');
    dc.tool(['user', 'disable', 'dan']);
    // Created 50 days ago: past the default maximum password age of 42 days.
    user('erin', 'Erin-Pass-123!', [], '-50d');
    // pwdLastSet 0: AD answers a bind with "data 773".
    user('mona', 'Mona-Pass-123!', ['--must-change-at-next-login']);
    // The domain locks an account out after 5 bad passwords; nick gets them, by binds of their own.
    user('nick', 'Nick-Pass-123!');
    dc.tool([
      'domain',
      'passwordsettings',
      'set',
      `--account-lockout-threshold=${LOCKOUT_THRESHOLD}`,
      '--account-lockout-duration=60',
      '--reset-account-lockout-after=60',
    ]);
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) {
      const refused = await bindAs(dc, 'nick', 'Not-Nick-Pass-1');
      assert.match(refused, /data (52e|775)/);
    }
    assert.match(await bindAs(dc, 'nick', 'Nick-Pass-123!'), /data 775/, 'AD locked nick out');
    dc.tool(['group', 'add', 'devs', '--groupou=OU=Groups']);
    dc.tool(['group', 'add', 'admins', '--groupou=OU=Groups']);
    dc.tool(['group', 'addmembers', 'devs', 'alice,erin']);
    dc.tool(['group', 'addmembers', 'admins', 'devs,bob']);
  });
  after(async () => {
    await dc?.stop();
  });

  for (const kind of STORE_KINDS) {
    describe(kind, () => {
      let server: TestServer;
      before(async () => {
        server = await startTestServer({
          store: kind,
          seed: async (deps) => {
            await applyText(deps.ctx, orgFile(dc, false));
          },
        });
      });
      after(async () => server?.stop());

      it('syncs users by objectGUID, nested groups by the in-chain rule, and a disabled user as disabled', async () => {
        const r = await syncDirectory(server.deps.ctx, { full: true });
        assert.deepEqual([...r.created].sort(), ['alice', 'bob', 'dan', 'erin', 'mona', 'nick']);
        const rows = await server.deps.ctx.store.db
          .selectFrom('users')
          .select(['user_name', 'status', 'external_id', 'email', 'source'])
          .where('source', '=', 'directory')
          .orderBy('user_name')
          .execute();
        assert.deepEqual(
          rows.map((u) => [u.user_name, u.status]),
          [
            ['alice', 'ENABLED'],
            ['bob', 'ENABLED'],
            ['dan', 'DISABLED'],
            ['erin', 'ENABLED'],
            ['mona', 'ENABLED'],
            ['nick', 'ENABLED'],
          ],
        );
        for (const u of rows)
          assert.match(u.external_id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(rows[0]?.email, 'alice@idc.test');
        const groupsOf = async (name: string) =>
          (
            await server.deps.ctx.store.db
              .selectFrom('group_memberships')
              .innerJoin('users', 'users.id', 'group_memberships.user_id')
              .innerJoin('groups', 'groups.id', 'group_memberships.group_id')
              .where('users.user_name', '=', name)
              .select('groups.display_name')
              .execute()
          )
            .map((g) => g.display_name)
            .sort();
        assert.deepEqual(await groupsOf('alice'), ['admins', 'devs']);
        assert.deepEqual(await groupsOf('bob'), ['admins']);
        await applyText(server.deps.ctx, orgFile(dc, true));
        // An incremental sync with nothing changed changes nothing.
        const again = await syncDirectory(server.deps.ctx, {});
        assert.equal(again.mode, 'incremental');
        assert.equal(again.created.length + again.updated.length + again.disabled.length, 0);
      });

      it('signs a directory user in by a bind, and says so when AD reports the password expired', async () => {
        assert.equal((await new FormClient(server.url).signIn('alice', 'Alice-Pass-123!')).status, 303);
        const wrong = await new FormClient(server.url).signIn('alice', 'Not-Her-Pass-1');
        assert.equal(wrong.status, 401);
        assert.match(wrong.text, /The user name or password is incorrect/);
        const expired = await new FormClient(server.url).signIn('erin', 'Erin-Pass-123!');
        assert.equal(expired.status, 401);
        assert.match(expired.text, /Your password has expired; change it in your directory/);
        assert.equal((await new FormClient(server.url).signIn('dan', 'Dan-Pass-123!')).status, 401);
      });

      it('says so when AD wants the password changed at next logon (773) or has locked the account out (775)', async () => {
        const mustChange = await new FormClient(server.url).signIn('mona', 'Mona-Pass-123!');
        assert.equal(mustChange.status, 401);
        assert.match(
          mustChange.text,
          /Your password must be changed before you can sign in; change it in your directory\./,
        );
        // The right password, refused because the domain locked the account.
        const locked = await new FormClient(server.url).signIn('nick', 'Nick-Pass-123!');
        assert.equal(locked.status, 401);
        assert.match(
          locked.text,
          /Your directory account is locked out; ask your directory administrator to unlock it\./,
        );
        const failures = await auditRows(server.deps, 'signin.failure');
        for (const reason of ['must_change_password', 'locked_out'])
          assert.ok(
            failures.some((f) => (f.detail ?? '').includes(reason)),
            `${reason}: ${failures.map((f) => f.detail).join('\n')}`,
          );
      });

      it('refuses role credentials once the user is disabled in AD and synced', async () => {
        const web = new FormClient(server.url);
        assert.equal((await web.signIn('alice', 'Alice-Pass-123!')).status, 303);
        const accessToken = await deviceFlowAccessToken(web, server.url, server.config.startUrl);
        const sso = new SSOClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
        const role = { accessToken, accountId: ACCOUNT, roleName: 'Admin' };
        assert.ok((await sso.send(new GetRoleCredentialsCommand(role))).roleCredentials?.accessKeyId);

        dc.tool(['user', 'disable', 'alice']);
        try {
          const r = await syncDirectory(server.deps.ctx, {});
          assert.deepEqual(r.disabled, [{ userName: 'alice', why: 'disabled in the directory' }]);
          await assert.rejects(sso.send(new GetRoleCredentialsCommand(role)), {
            name: 'UnauthorizedException',
          });
          assert.equal((await new FormClient(server.url).signIn('alice', 'Alice-Pass-123!')).status, 401);
        } finally {
          dc.tool(['user', 'enable', 'alice']);
        }
        assert.deepEqual((await syncDirectory(server.deps.ctx, {})).enabled, ['alice']);
      });
    });
  }
});
