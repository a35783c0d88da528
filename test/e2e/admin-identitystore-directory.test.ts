/**
 * identitystore refuses what the directory owns, judged by boto3 on SQLite and PostgreSQL: a
 * directory user's update and deletion, a directory group's update and deletion, and its members
 * added or removed, each answer ValidationException saying the directory owns it, and change
 * nothing. The same calls on this server's own users and groups go through, and a directory user
 * may join a local group. (The console keeps the same rule: admin-console-users/org tests.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { boto3, identityStoreId, roleCredentials, startAdminServer } from '../helpers/admin.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

/** Each call on the directory's user and group, then the same on local ones; one JSON object. */
const BOTO3_DIRECTORY = `
import json, sys, boto3, botocore.exceptions
url, key, secret, token, store, carol, developers, membership, dave = sys.argv[1:10]
c = boto3.client('identitystore', region_name='us-east-1', endpoint_url=url, aws_access_key_id=key,
                 aws_secret_access_key=secret, aws_session_token=token)
out = {}
def err(f):
    try:
        f()
        return {'code': 'ok'}
    except botocore.exceptions.ClientError as e:
        return {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
                'status': e.response['ResponseMetadata']['HTTPStatusCode']}
out['updateUser'] = err(lambda: c.update_user(IdentityStoreId=store, UserId=carol,
    Operations=[{'AttributePath': 'displayName', 'AttributeValue': 'Not Carol'}]))
out['deleteUser'] = err(lambda: c.delete_user(IdentityStoreId=store, UserId=carol))
out['updateGroup'] = err(lambda: c.update_group(IdentityStoreId=store, GroupId=developers,
    Operations=[{'AttributePath': 'description', 'AttributeValue': 'renamed here'}]))
out['deleteGroup'] = err(lambda: c.delete_group(IdentityStoreId=store, GroupId=developers))
out['addMember'] = err(lambda: c.create_group_membership(IdentityStoreId=store, GroupId=developers,
    MemberId={'UserId': dave}))
out['removeMember'] = err(lambda: c.delete_group_membership(IdentityStoreId=store, MembershipId=membership))
out['carolAfter'] = c.describe_user(IdentityStoreId=store, UserId=carol)['DisplayName']
out['groupAfter'] = c.describe_group(IdentityStoreId=store, GroupId=developers).get('Description')
out['membersAfter'] = [m['MemberId']['UserId'] for m in
    c.list_group_memberships(IdentityStoreId=store, GroupId=developers)['GroupMemberships']]
# This server's own: the same calls go through, and a directory user may join a local group.
local = c.create_group(IdentityStoreId=store, DisplayName='Local')['GroupId']
out['localUpdateUser'] = err(lambda: c.update_user(IdentityStoreId=store, UserId=dave,
    Operations=[{'AttributePath': 'displayName', 'AttributeValue': 'David'}]))
out['localUpdateGroup'] = err(lambda: c.update_group(IdentityStoreId=store, GroupId=local,
    Operations=[{'AttributePath': 'description', 'AttributeValue': 'ours'}]))
mid = c.create_group_membership(IdentityStoreId=store, GroupId=local, MemberId={'UserId': carol})['MembershipId']
out['localRemoveMember'] = err(lambda: c.delete_group_membership(IdentityStoreId=store, MembershipId=mid))
out['localDeleteGroup'] = err(lambda: c.delete_group(IdentityStoreId=store, GroupId=local))
print(json.dumps(out))
`;

for (const kind of STORE_KINDS) {
  describe(`identitystore and the directory's users and groups (${kind})`, () => {
    let server: TestServer;
    let storeId: string;
    const ids = { carol: '', dave: '', developers: '', membership: '' };
    before(async () => {
      server = await startAdminServer(kind);
      storeId = await identityStoreId(server);
      // carol and Developers as a directory sync leaves them (the console tests seed them so too).
      const db = server.deps.ctx.store.db;
      const user = (name: string) =>
        db.selectFrom('users').select('id').where('user_name_lower', '=', name).executeTakeFirstOrThrow();
      ids.carol = (await user('carol')).id;
      ids.dave = (await user('dave')).id;
      ids.developers = (
        await db
          .selectFrom('groups')
          .select('id')
          .where('display_name_lower', '=', 'developers')
          .executeTakeFirstOrThrow()
      ).id;
      ids.membership = (
        await db
          .selectFrom('group_memberships')
          .select('id')
          .where('group_id', '=', ids.developers)
          .where('user_id', '=', ids.carol)
          .executeTakeFirstOrThrow()
      ).id;
      await db
        .updateTable('users')
        .set({ source: 'directory', directory_dn: 'CN=Carol,DC=corp' })
        .where('id', '=', ids.carol)
        .execute();
      await db.updateTable('groups').set({ source: 'directory' }).where('id', '=', ids.developers).execute();
    });
    after(async () => server?.stop());

    it('refuses each change the directory owns with ValidationException, and changes nothing', async () => {
      const c = await roleCredentials(server, 'alice', 'Administrator');
      const generation = await server.deps.ctx.store.generation();
      const out = JSON.parse(
        await boto3(server, c, BOTO3_DIRECTORY, [
          storeId,
          ids.carol,
          ids.developers,
          ids.membership,
          ids.dave,
        ]),
      );
      const refusals: Record<string, RegExp> = {
        updateUser: /user comes from the directory, which owns their attributes: change them there/,
        deleteUser: /user comes from the directory, which decides whether they exist/,
        updateGroup: /group comes from the directory, which owns its name and description/,
        deleteGroup: /group comes from the directory, which decides whether it exists: delete it there/,
        addMember: /group comes from the directory, which decides its members: change them there/,
        removeMember: /group comes from the directory, which decides its members: change them there/,
      };
      for (const [call, message] of Object.entries(refusals)) {
        assert.equal(out[call].code, 'ValidationException', `${call}: ${JSON.stringify(out[call])}`);
        assert.equal(out[call].status, 400, call);
        assert.match(out[call].message, message, call);
      }
      assert.equal(out.carolAfter, 'Carol');
      assert.equal(out.groupAfter, null, 'no description was set');
      assert.deepEqual(out.membersAfter, [ids.carol]);
      for (const call of ['localUpdateUser', 'localUpdateGroup', 'localRemoveMember', 'localDeleteGroup'])
        assert.equal(out[call].code, 'ok', `${call}: ${JSON.stringify(out[call])}`);
      // The refusals wrote no audit row; the local changes did.
      const actions = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select(['action', 'target_id'])
        .where('at', '>=', 0)
        .where('target_id', 'in', [ids.carol, ids.developers, ids.membership])
        .where('action', 'in', [
          'user.update',
          'user.delete',
          'group.update',
          'group.delete',
          'membership.delete',
        ])
        .execute();
      assert.deepEqual(actions, []);
      assert.ok((await server.deps.ctx.store.generation()) > generation, 'the local changes were written');
    });
  });
}
