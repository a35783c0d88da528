/**
 * Drift, on SQLite and PostgreSQL: after an administrator changes the organization with boto3
 * (identitystore, sso-admin and organizations), `idcenter apply --dry-run` names each change, who made it and
 * through which service, and what apply will do; `idcenter apply` sets the file's state back,
 * after which the dry run has nothing to say. A change the file does not pin (a status) is named
 * and kept.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_ORG, BOTO3_ADMIN_CLIENTS, changeAsAdministrator, startAdminServer } from '../helpers/admin.ts';
import { idcenter } from '../helpers/apply.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const BOTO3_DRIFT = `${BOTO3_ADMIN_CLIENTS}def group_id(name):
    return ids.get_group_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'displayName', 'AttributeValue': name}})['GroupId']
def ps_arn(name):
    for arn in sso.list_permission_sets(InstanceArn=inst, MaxResults=100)['PermissionSets']:
        if sso.describe_permission_set(InstanceArn=inst, PermissionSetArn=arn)['PermissionSet']['Name'] == name:
            return arn
ids.update_user(IdentityStoreId=store, UserId=user_id('bob'), Operations=[{'AttributePath': 'displayName', 'AttributeValue': 'Robert'}])
m = ids.get_group_membership_id(IdentityStoreId=store, GroupId=group_id('Developers'), MemberId={'UserId': user_id('carol')})['MembershipId']
ids.delete_group_membership(IdentityStoreId=store, MembershipId=m)
ids.create_user(IdentityStoreId=store, UserName='gina', DisplayName='Gina')
sso.update_permission_set(InstanceArn=inst, PermissionSetArn=ps_arn('Developer'), SessionDuration='PT3H')
sso.delete_account_assignment(InstanceArn=inst, TargetId=wl, TargetType='AWS_ACCOUNT', PermissionSetArn=ps_arn('NotDirectory'),
    PrincipalType='USER', PrincipalId=user_id('dave'))
org = boto3.client('organizations', **kw)
root = org.list_roots()['Roots'][0]['Id']
parent = org.list_parents(ChildId=wl)['Parents'][0]['Id']
org.move_account(AccountId=wl, SourceParentId=parent, DestinationParentId=root)
`;

const WHEN = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';

for (const kind of STORE_KINDS) {
  describe(`apply --dry-run shows drift (${kind})`, () => {
    let server: TestServer;
    let file: string;
    let db: string[];
    before(async () => {
      server = await startAdminServer(kind);
      file = path.join(server.config.dataDir, 'org.yaml');
      fs.writeFileSync(file, ADMIN_ORG);
      db = ['--database-url', server.config.databaseUrl];
    });
    after(async () => server?.stop());

    it('names every change made through identitystore and sso-admin, who made it, and what apply does', async () => {
      const clean = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.equal(clean.stdout, 'No changes.\nDry run: nothing was written.\n');

      await changeAsAdministrator(server, BOTO3_DRIFT);

      const dry = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.equal(dry.code, 0, dry.stderr);
      const out = dry.stdout;
      const line = (text: string) => new RegExp(`^! changed outside the file: ${text}$`, 'm');
      assert.match(out, /^~ update user bob \(displayName Robert → Bob\)$/m);
      assert.match(
        out,
        line(
          `user bob updated \\(DisplayName\\) by user:alice via identitystore at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(
        out,
        line(
          `user carol in group Developers removed by user:alice via identitystore at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(
        out,
        line(
          `permission set Developer updated \\(sessionDuration\\) by user:alice via sso-admin at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(
        out,
        line(
          `assignment of NotDirectory in 222222222222 to user dave deleted by user:alice via sso-admin at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(
        out,
        line(`user gina created by user:alice via identitystore at ${WHEN} \\(kept; --prune deletes it\\)`),
      );
      assert.match(
        out,
        line(
          `account 222222222222 moved \\(/Workloads → /\\) by user:alice via organizations at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(out, /Changed outside the file since the last apply \(6 changes, from the audit log\):/);

      // apply sets the file's state back; then the dry run is clean again but for the kept user.
      const applied = await idcenter(['apply', '-f', file, ...db]);
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(applied.stdout, /^Applied: 2 created, 3 updated, 0 deleted/m);
      const store = server.deps.ctx.store.db;
      const bob = await store
        .selectFrom('users')
        .select('display_name')
        .where('user_name', '=', 'bob')
        .executeTakeFirstOrThrow();
      assert.equal(bob.display_name, 'Bob');
      const dev = await store
        .selectFrom('permission_sets')
        .select('session_duration')
        .where('name', '=', 'Developer')
        .executeTakeFirstOrThrow();
      assert.equal(dev.session_duration, 'PT1H');
      const carolInDevelopers = await store
        .selectFrom('group_memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .innerJoin('groups as g', 'g.id', 'm.group_id')
        .select('m.id')
        .where('u.user_name', '=', 'carol')
        .where('g.display_name', '=', 'Developers')
        .execute();
      assert.equal(carolInDevelopers.length, 1);
      const daveAssignments = await store
        .selectFrom('account_assignments as a')
        .innerJoin('users as u', 'u.id', 'a.principal_id')
        .innerJoin('permission_sets as p', 'p.id', 'a.permission_set_id')
        .select('a.id')
        .where('u.user_name', '=', 'dave')
        .where('p.name', '=', 'NotDirectory')
        .execute();
      assert.equal(daveAssignments.length, 1);

      const after = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.match(after.stdout, /^No changes\.\n/);
      assert.doesNotMatch(after.stdout, /changed outside the file/);
      assert.match(after.stdout, /--prune would delete:\n {2}- delete user gina\n/);
    });

    it('names a status set by hand that the file does not pin, and keeps it', async () => {
      const off = await idcenter(['user', 'disable', 'frank', ...db]);
      assert.equal(off.code, 0, off.stderr);
      const dry = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.match(dry.stdout, /^No changes\.\n/);
      assert.match(
        dry.stdout,
        new RegExp(
          `^! changed outside the file: user frank disabled by cli:user at ${WHEN} \\(kept; the file does not set it\\)$`,
          'm',
        ),
      );
    });
  });
}
