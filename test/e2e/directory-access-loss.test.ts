/**
 * A directory user who leaves a group, or whose group is deleted from the directory, loses the
 * role credentials of what that group alone gave, and keeps the others (issue 21), on both
 * stores against a real OpenLDAP: credentials are taken and used through the AWS SDK (SSO
 * GetRoleCredentials, STS GetCallerIdentity) against the server that ran the sync, which revokes
 * by (account, permission set), never the user's every credential — unless the directory
 * disables the user.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetRoleCredentialsCommand, SSOClient } from '@aws-sdk/client-sso';

import { syncDirectory } from '../../src/app/directory/sync.ts';
import { applyText } from '../helpers/apply.ts';
import { issueBearerToken } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  groupDn,
  groupLdif,
  ldapSourceYaml,
  personLdif,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
  userDn,
} from '../helpers/slapd.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { type RoleCredentials, whoAmI } from '../helpers/sts.ts';

const ENV_NAME = 'IDCENTER_TEST_ACCESS_LOSS_LDAP_PASSWORD';
const DEV = '111111111111';
const OPS = '222222222222';

function orgFile(slapd: Slapd, assign: boolean) {
  return `${ldapSourceYaml(slapd, ENV_NAME)}accounts:
  - { id: "${DEV}", name: Development, email: dev@example.com }
  - { id: "${OPS}", name: Operations, email: ops@example.com }
permissionSets:
  - { name: Admin }
  - { name: ReadOnly }
assignments:
${
  assign
    ? `  - { group: devs, permissionSet: Admin, accounts: ["${DEV}"] }
  - { group: ops, permissionSet: Admin, accounts: ["${OPS}"] }
  - { group: readers, permissionSet: ReadOnly, accounts: ["${DEV}", "${OPS}"] }
  - { group: auditors, permissionSet: ReadOnly, accounts: ["${DEV}"] }`
    : '  []'
}
`;
}

/** Remove `member` from the group `cn` in the directory. */
function leave(slapd: Slapd, cn: string, member: string): void {
  slapd.modify(`dn: ${groupDn(cn)}\nchangetype: modify\ndelete: member\nmember: ${member}\n\n`);
}

for (const kind of STORE_KINDS) {
  describe(`directory group changes revoke only lost access (${kind})`, () => {
    let slapd: Slapd;
    let server: TestServer;
    let sso: SSOClient;

    /** Role credentials of `userName` through the SDK's SSO client. */
    const credentials = async (userName: string, accountId: string, roleName: string) => {
      const user = await server.deps.ctx.store.db
        .selectFrom('users')
        .select('id')
        .where('user_name_lower', '=', userName)
        .executeTakeFirstOrThrow();
      const { accessToken } = await issueBearerToken(server.deps.ctx, { userId: user.id });
      const r = await sso.send(new GetRoleCredentialsCommand({ accessToken, accountId, roleName }));
      const c = r.roleCredentials;
      assert.ok(c?.accessKeyId && c.secretAccessKey && c.sessionToken);
      return {
        token: accessToken,
        creds: {
          accessKeyId: c.accessKeyId,
          secretAccessKey: c.secretAccessKey,
          sessionToken: c.sessionToken,
        } satisfies RoleCredentials,
      };
    };
    /** A sync by the server itself, as on its interval: it refuses what it revoked at once. */
    const sync = async () => {
      const r = await server.directorySync.runOnce(true);
      assert.ok(typeof r === 'object', String(r));
      return r;
    };
    const revocationKinds = async () =>
      (await server.deps.ctx.store.db.selectFrom('revocations').select('kind').execute()).map((r) => r.kind);

    before(async () => {
      process.env[ENV_NAME] = SERVICE_PASSWORD;
      slapd = await startSlapd();
      slapd.add(personLdif('alice', 'alice-pass-1') + personLdif('bob', 'bob-pass-1'));
      slapd.add(
        [
          groupLdif('devs', [userDn('alice'), userDn('bob')]),
          groupLdif('ops', [userDn('alice'), userDn('bob')]),
          groupLdif('readers', [userDn('alice')]),
          groupLdif('auditors', [userDn('alice'), userDn('bob')]),
        ].join(''),
      );
      server = await startTestServer({
        store: kind,
        seed: async (deps) => {
          await applyText(deps.ctx, orgFile(slapd, false));
          await syncDirectory(deps.ctx, { full: true });
          await applyText(deps.ctx, orgFile(slapd, true));
        },
      });
      sso = new SSOClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
    });
    after(async () => {
      sso?.destroy();
      await server?.stop();
      await slapd?.stop();
    });

    it('a user who leaves one of two groups keeps the credentials the other gives, and loses the rest', async () => {
      const dev = await credentials('alice', DEV, 'Admin');
      const ops = await credentials('alice', OPS, 'Admin');
      const opsRead = await credentials('alice', OPS, 'ReadOnly');
      assert.equal(await whoAmI(server.url, dev.creds), DEV);
      assert.equal(await whoAmI(server.url, ops.creds), OPS);

      leave(slapd, 'ops', userDn('alice'));
      const r = await sync();
      assert.equal(r.membershipsRemoved, 1);

      assert.notEqual(await whoAmI(server.url, ops.creds), OPS, 'the credentials ops gave are refused');
      await assert.rejects(
        sso.send(
          new GetRoleCredentialsCommand({ accessToken: ops.token, accountId: OPS, roleName: 'Admin' }),
        ),
        { name: 'ForbiddenException' },
      );
      assert.equal(await whoAmI(server.url, dev.creds), DEV, 'the credentials devs gives still work');
      assert.equal(
        await whoAmI(server.url, opsRead.creds),
        OPS,
        'so do those of readers in the same account',
      );
      const again = await credentials('alice', DEV, 'Admin');
      assert.equal(await whoAmI(server.url, again.creds), DEV);
      assert.deepEqual(await revocationKinds(), ['access'], 'one pair revoked, not the user');
    });

    it('leaving a group whose access another group still gives revokes nothing', async () => {
      // auditors gives ReadOnly in DEV; so does readers, which alice keeps.
      const read = await credentials('alice', DEV, 'ReadOnly');
      const before = (await revocationKinds()).length;
      leave(slapd, 'auditors', userDn('alice'));
      const r = await sync();
      assert.equal(r.membershipsRemoved, 1);
      assert.equal(await whoAmI(server.url, read.creds), DEV);
      assert.equal((await revocationKinds()).length, before);
    });

    it('a group deleted from the directory stops what it alone gave its members', async () => {
      const aliceDev = await credentials('alice', DEV, 'Admin');
      const bobDev = await credentials('bob', DEV, 'Admin');
      const bobRead = await credentials('bob', DEV, 'ReadOnly');
      const aliceRead = await credentials('alice', DEV, 'ReadOnly');
      // devs goes; bob keeps auditors (ReadOnly in DEV), alice keeps readers.
      const admin = await slapd.admin();
      try {
        await admin.del(groupDn('devs'));
      } finally {
        await admin.unbind();
      }
      const r = await sync();
      assert.deepEqual(r.groupsDeleted, ['devs']);
      assert.notEqual(await whoAmI(server.url, aliceDev.creds), DEV);
      assert.notEqual(await whoAmI(server.url, bobDev.creds), DEV);
      assert.equal(await whoAmI(server.url, bobRead.creds), DEV);
      assert.equal(await whoAmI(server.url, aliceRead.creds), DEV);
      assert.ok(!(await revocationKinds()).includes('user'), 'no user lost every credential');
    });

    it('a user disabled in the directory loses every role credential, refused at once by the server that synced', async () => {
      const read = await credentials('bob', DEV, 'ReadOnly');
      const ops = await credentials('bob', OPS, 'Admin');
      assert.equal(await whoAmI(server.url, read.creds), DEV);
      slapd.modify(`dn: ${userDn('bob')}\nchangetype: modify\nreplace: employeeType\nemployeeType: TRUE\n\n`);
      const r = await sync();
      assert.deepEqual(r.disabled, [{ userName: 'bob', why: 'disabled in the directory' }]);
      assert.notEqual(await whoAmI(server.url, read.creds), DEV);
      assert.notEqual(await whoAmI(server.url, ops.creds), OPS);
      assert.ok((await revocationKinds()).includes('user'));
    });
  });
}
