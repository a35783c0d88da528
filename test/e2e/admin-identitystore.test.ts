/**
 * identitystore end to end, judged by boto3 (every operation, its answers and errors) and the
 * JS SDK (concurrent updates, access taken away by a removed membership), on SQLite and
 * PostgreSQL. The users the organization file made are the users the API lists; changes made
 * through the API are audited with the caller and raise the store generation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateGroupCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteGroupMembershipCommand,
  DeleteUserCommand,
  DescribeGroupCommand,
  DescribeUserCommand,
  GetGroupIdCommand,
  GetGroupMembershipIdCommand,
  GetUserIdCommand,
  UpdateGroupCommand,
  UpdateUserCommand,
} from '@aws-sdk/client-identitystore';
import {
  ADMIN_ORG,
  boto3,
  identityStoreClient,
  identityStoreId,
  outcome,
  roleCredentials,
  startAdminServer,
  WORKLOAD,
} from '../helpers/admin.ts';
import { applyText } from '../helpers/apply.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { whoAmI } from '../helpers/sts.ts';

/** Every operation once, and the errors a script would meet; prints one JSON object of results. */
const BOTO3_TOUR = `
import json, sys, boto3, botocore.exceptions
url, key, secret, token, store = sys.argv[1:6]
c = boto3.client('identitystore', region_name='us-east-1', endpoint_url=url, aws_access_key_id=key,
                 aws_secret_access_key=secret, aws_session_token=token)
out = {}
def err(f):
    try:
        f()
        return 'ok'
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code'] + ('/' + e.response.get('ResourceType', '') if e.response.get('ResourceType') else '')
name = {'GivenName': 'Grace', 'FamilyName': 'Hopper', 'MiddleName': 'B', 'Formatted': 'Grace B. Hopper'}
uid = c.create_user(IdentityStoreId=store, UserName='grace', DisplayName='Grace Hopper', Name=name,
    NickName='Amazing Grace', Emails=[{'Value': 'grace@example.com', 'Type': 'work', 'Primary': True}],
    PhoneNumbers=[{'Value': '+1 555 0100', 'Type': 'work'}], Title='Rear Admiral', Locale='en-US')['UserId']
u = c.describe_user(IdentityStoreId=store, UserId=uid)
out['described'] = {k: u[k] for k in ['UserName', 'DisplayName', 'Name', 'NickName', 'Emails', 'PhoneNumbers', 'Title', 'Locale', 'UserStatus']}
out['duplicate'] = err(lambda: c.create_user(IdentityStoreId=store, UserName='GRACE', DisplayName='x', Name=name))
out['tooLong'] = err(lambda: c.create_user(IdentityStoreId=store, UserName='x' * 129, DisplayName='x', Name=name))
out['badPattern'] = err(lambda: c.create_user(IdentityStoreId=store, UserName='has space', DisplayName='x', Name=name))
out['reserved'] = err(lambda: c.create_user(IdentityStoreId=store, UserName='Administrator', DisplayName='x', Name=name))
out['badStore'] = err(lambda: c.list_users(IdentityStoreId='d-0000000000'))
c.update_user(IdentityStoreId=store, UserId=uid, Operations=[
    {'AttributePath': 'displayName', 'AttributeValue': 'Grace M. Hopper'},
    {'AttributePath': 'name.givenName', 'AttributeValue': 'Grace M.'},
    {'AttributePath': 'nickName'}])
u = c.describe_user(IdentityStoreId=store, UserId=uid)
out['updated'] = {'DisplayName': u['DisplayName'], 'GivenName': u['Name']['GivenName'], 'NickName': u.get('NickName')}
out['badPath'] = err(lambda: c.update_user(IdentityStoreId=store, UserId=uid, Operations=[{'AttributePath': 'shoeSize', 'AttributeValue': '7'}]))
out['removeRequired'] = err(lambda: c.update_user(IdentityStoreId=store, UserId=uid, Operations=[{'AttributePath': 'userName'}]))
out['byName'] = c.get_user_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'userName', 'AttributeValue': 'GRACE'}})['UserId'] == uid
out['byEmail'] = c.get_user_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'emails.value', 'AttributeValue': 'grace@example.com'}})['UserId'] == uid
c.update_user(IdentityStoreId=store, UserId=uid, Operations=[{'AttributePath': 'externalIds', 'AttributeValue': [{'Issuer': 'https://scim.example.com', 'Id': 'g-1'}]}])
out['byExternalId'] = c.get_user_id(IdentityStoreId=store, AlternateIdentifier={'ExternalId': {'Issuer': 'https://scim.example.com', 'Id': 'g-1'}})['UserId'] == uid
out['noSuchName'] = err(lambda: c.get_user_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'userName', 'AttributeValue': 'nobody'}}))
out['filtered'] = [x['UserName'] for x in c.list_users(IdentityStoreId=store, Filters=[{'AttributePath': 'UserName', 'AttributeValue': 'alice'}])['Users']]
out['filteredExternalIds'] = [x.get('ExternalIds') for x in c.list_users(IdentityStoreId=store, Filters=[{'AttributePath': 'UserName', 'AttributeValue': 'grace'}])['Users']]
names, tokens, kw, listedExternalIds = [], [], {}, {}
while True:
    page = c.list_users(IdentityStoreId=store, MaxResults=2, **kw)
    names += [x['UserName'] for x in page['Users']]
    listedExternalIds.update({x['UserName']: x['ExternalIds'] for x in page['Users'] if 'ExternalIds' in x})
    if 'NextToken' not in page: break
    tokens.append(page['NextToken'])
    kw = {'NextToken': page['NextToken']}
out['paged'] = sorted(names)
out['pages'] = len(tokens) + 1
out['listedExternalIds'] = listedExternalIds
out['paginator'] = sorted(x['UserName'] for p in c.get_paginator('list_users').paginate(IdentityStoreId=store, PaginationConfig={'PageSize': 4}) for x in p['Users'])
t = tokens[0]
out['forgedToken'] = err(lambda: c.list_users(IdentityStoreId=store, MaxResults=2, NextToken=t[:-3] + ('AAA' if t[-3:] != 'AAA' else 'BBB')))
out['otherQueryToken'] = err(lambda: c.list_users(IdentityStoreId=store, MaxResults=2, NextToken=t, Filters=[{'AttributePath': 'UserName', 'AttributeValue': 'alice'}]))
out['otherOperationToken'] = err(lambda: c.list_groups(IdentityStoreId=store, NextToken=t))

gid = c.create_group(IdentityStoreId=store, DisplayName='Pilots', Description='Who flies')['GroupId']
out['groupDuplicate'] = err(lambda: c.create_group(IdentityStoreId=store, DisplayName='pilots'))
c.update_group(IdentityStoreId=store, GroupId=gid, Operations=[{'AttributePath': 'description', 'AttributeValue': 'Who flies planes'}])
g = c.describe_group(IdentityStoreId=store, GroupId=gid)
out['group'] = {'DisplayName': g['DisplayName'], 'Description': g['Description']}
out['groupByName'] = c.get_group_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'displayName', 'AttributeValue': 'Pilots'}})['GroupId'] == gid
out['groups'] = sorted(x['DisplayName'] for x in c.list_groups(IdentityStoreId=store)['Groups'])
mid = c.create_group_membership(IdentityStoreId=store, GroupId=gid, MemberId={'UserId': uid})['MembershipId']
out['membershipDuplicate'] = err(lambda: c.create_group_membership(IdentityStoreId=store, GroupId=gid, MemberId={'UserId': uid}))
out['membershipNoUser'] = err(lambda: c.create_group_membership(IdentityStoreId=store, GroupId=gid, MemberId={'UserId': '0000000000-00000000-0000-0000-0000-000000000000'}))
m = c.describe_group_membership(IdentityStoreId=store, MembershipId=mid)
out['membership'] = m['GroupId'] == gid and m['MemberId'] == {'UserId': uid}
out['membershipId'] = c.get_group_membership_id(IdentityStoreId=store, GroupId=gid, MemberId={'UserId': uid})['MembershipId'] == mid
out['isMember'] = [r['MembershipExists'] for r in c.is_member_in_groups(IdentityStoreId=store, MemberId={'UserId': uid}, GroupIds=[gid, '0000000000-00000000-0000-0000-0000-000000000000'])['Results']]
out['listed'] = [x['MembershipId'] for x in c.list_group_memberships(IdentityStoreId=store, GroupId=gid)['GroupMemberships']] == [mid]
out['listedForMember'] = [x['GroupId'] for x in c.list_group_memberships_for_member(IdentityStoreId=store, MemberId={'UserId': uid})['GroupMemberships']] == [gid]
out['deleteGroupWithMembers'] = err(lambda: c.delete_group(IdentityStoreId=store, GroupId=gid))
c.delete_group_membership(IdentityStoreId=store, MembershipId=mid)
out['membershipGone'] = err(lambda: c.describe_group_membership(IdentityStoreId=store, MembershipId=mid))
c.delete_group(IdentityStoreId=store, GroupId=gid)
out['groupGone'] = err(lambda: c.describe_group(IdentityStoreId=store, GroupId=gid))
c.delete_user(IdentityStoreId=store, UserId=uid)
out['userGone'] = err(lambda: c.describe_user(IdentityStoreId=store, UserId=uid))
out['deleteAgain'] = err(lambda: c.delete_user(IdentityStoreId=store, UserId=uid))
print(json.dumps(out))
`;

for (const kind of STORE_KINDS) {
  describe(`identitystore (${kind})`, () => {
    let server: TestServer;
    let storeId: string;
    before(async () => {
      server = await startAdminServer(kind);
      storeId = await identityStoreId(server);
    });
    after(async () => server?.stop());

    it('boto3 drives every operation, with the answers and errors of the model', async () => {
      const c = await roleCredentials(server, 'alice', 'Administrator');
      const generation = await server.deps.ctx.store.generation();
      const out = JSON.parse(await boto3(server, c, BOTO3_TOUR, [storeId]));
      assert.deepEqual(out.described, {
        UserName: 'grace',
        DisplayName: 'Grace Hopper',
        Name: { GivenName: 'Grace', FamilyName: 'Hopper', MiddleName: 'B', Formatted: 'Grace B. Hopper' },
        NickName: 'Amazing Grace',
        Emails: [{ Value: 'grace@example.com', Type: 'work', Primary: true }],
        PhoneNumbers: [{ Value: '+1 555 0100', Type: 'work' }],
        Title: 'Rear Admiral',
        Locale: 'en-US',
        UserStatus: 'ENABLED',
      });
      assert.equal(out.duplicate, 'ConflictException');
      assert.equal(out.tooLong, 'ValidationException');
      assert.equal(out.badPattern, 'ValidationException');
      assert.equal(out.reserved, 'ValidationException');
      assert.equal(out.badStore, 'ResourceNotFoundException/IDENTITY_STORE');
      assert.deepEqual(out.updated, {
        DisplayName: 'Grace M. Hopper',
        GivenName: 'Grace M.',
        NickName: null,
      });
      assert.equal(out.badPath, 'ValidationException');
      assert.equal(out.removeRequired, 'ValidationException');
      assert.equal(out.byName, true);
      assert.equal(out.byEmail, true);
      assert.equal(out.byExternalId, true);
      assert.equal(out.noSuchName, 'ResourceNotFoundException/USER');
      assert.deepEqual(out.filtered, ['alice']);
      const everyone = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
      assert.deepEqual(out.paged, everyone);
      assert.equal(out.pages, 4);
      // A user's external ids come with them in a list, filtered or page by page.
      const graceIds = [{ Issuer: 'https://scim.example.com', Id: 'g-1' }];
      assert.deepEqual(out.filteredExternalIds, [graceIds]);
      assert.deepEqual(out.listedExternalIds, { grace: graceIds });
      assert.deepEqual(out.paginator, everyone);
      assert.equal(out.forgedToken, 'ValidationException');
      assert.equal(out.otherQueryToken, 'ValidationException');
      assert.equal(out.otherOperationToken, 'ValidationException');
      assert.equal(out.groupDuplicate, 'ConflictException');
      assert.deepEqual(out.group, { DisplayName: 'Pilots', Description: 'Who flies planes' });
      assert.equal(out.groupByName, true);
      assert.deepEqual(out.groups, ['Developers', 'Pilots']);
      assert.equal(out.membershipDuplicate, 'ConflictException');
      assert.equal(out.membershipNoUser, 'ResourceNotFoundException/USER');
      assert.equal(out.membership, true);
      assert.equal(out.membershipId, true);
      assert.deepEqual(out.isMember, [true, false]);
      assert.equal(out.listed, true);
      assert.equal(out.listedForMember, true);
      assert.equal(out.deleteGroupWithMembers, 'ConflictException');
      assert.equal(out.membershipGone, 'ResourceNotFoundException/GROUP_MEMBERSHIP');
      assert.equal(out.groupGone, 'ResourceNotFoundException/GROUP');
      assert.equal(out.userGone, 'ResourceNotFoundException/USER');
      assert.equal(out.deleteAgain, 'ResourceNotFoundException/USER');
      assert.ok((await server.deps.ctx.store.generation()) > generation, 'the store generation moved');
      const alice = await server.deps.ctx.store.db
        .selectFrom('users')
        .select('id')
        .where('user_name_lower', '=', 'alice')
        .executeTakeFirstOrThrow();
      const actions = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select(['action'])
        .where('actor', '=', `user:${alice.id}`)
        .orderBy('id')
        .execute();
      const seen = new Set(actions.map((a) => a.action));
      for (const a of [
        'user.create',
        'user.update',
        'user.delete',
        'group.create',
        'group.update',
        'group.delete',
        'membership.create',
        'membership.delete',
      ]) {
        assert.ok(seen.has(a as never), `${a} audited with the caller`);
      }
    });

    it('concurrent updates to one user lose none of them', async () => {
      const client = identityStoreClient(server.url, await roleCredentials(server, 'alice', 'Administrator'));
      try {
        const { UserId } = await client.send(
          new GetUserIdCommand({
            IdentityStoreId: storeId,
            AlternateIdentifier: { UniqueAttribute: { AttributePath: 'userName', AttributeValue: 'bob' } },
          }),
        );
        const attributes = [
          'title',
          'nickName',
          'userType',
          'locale',
          'timezone',
          'preferredLanguage',
          'profileUrl',
          'website',
        ];
        await Promise.all(
          attributes.map((path) =>
            client.send(
              new UpdateUserCommand({
                IdentityStoreId: storeId,
                UserId,
                Operations: [{ AttributePath: path, AttributeValue: `value of ${path}` }],
              }),
            ),
          ),
        );
        const bob = (await client.send(
          new DescribeUserCommand({ IdentityStoreId: storeId, UserId }),
        )) as unknown as Record<string, unknown>;
        for (const path of attributes) {
          const member = path.charAt(0).toUpperCase() + path.slice(1);
          assert.equal(bob[member], `value of ${path}`, member);
        }
        assert.equal(bob.DisplayName, 'Bob');
      } finally {
        client.destroy();
      }
    });

    it('API changes racing an apply all land, and neither side answers an error', async () => {
      const client = identityStoreClient(server.url, await roleCredentials(server, 'alice', 'Administrator'));
      try {
        // A user the file does not declare (the file manages every attribute of its own users).
        const { UserId } = await client.send(
          new CreateUserCommand({ IdentityStoreId: storeId, UserName: 'ivan', DisplayName: 'Ivan' }),
        );
        // The file changes a display name the API leaves alone; the API sets attributes of a user
        // the file does not manage, while apply runs.
        const attributes = ['title', 'nickName', 'userType', 'locale', 'timezone', 'website'];
        const [applied] = await Promise.all([
          applyText(server.deps.ctx, ADMIN_ORG.replace('displayName: Frank,', 'displayName: Franklin,')),
          ...attributes.map((path) =>
            client.send(
              new UpdateUserCommand({
                IdentityStoreId: storeId,
                UserId,
                Operations: [{ AttributePath: path, AttributeValue: `raced ${path}` }],
              }),
            ),
          ),
        ]);
        assert.equal(applied.changed, true);
        const ivan = (await client.send(
          new DescribeUserCommand({ IdentityStoreId: storeId, UserId }),
        )) as unknown as Record<string, unknown>;
        for (const path of attributes) {
          const member = path.charAt(0).toUpperCase() + path.slice(1);
          assert.equal(ivan[member], `raced ${path}`, member);
        }
        await client.send(new DeleteUserCommand({ IdentityStoreId: storeId, UserId }));
        const frank = await server.deps.ctx.store.db
          .selectFrom('users')
          .select('display_name')
          .where('user_name', '=', 'frank')
          .executeTakeFirstOrThrow();
        assert.equal(frank.display_name, 'Franklin');
      } finally {
        client.destroy();
      }
    });

    it("UpdateGroup keeps a group's external ids; one already another group's is a ConflictException", async () => {
      const client = identityStoreClient(server.url, await roleCredentials(server, 'alice', 'Administrator'));
      const externalId = { Issuer: 'https://scim.example.com', Id: 'g-shared' };
      const externalIds = [externalId];
      try {
        const first = await client.send(
          new CreateGroupCommand({ IdentityStoreId: storeId, DisplayName: 'First' }),
        );
        const second = await client.send(
          new CreateGroupCommand({ IdentityStoreId: storeId, DisplayName: 'Second' }),
        );
        const setIds = (GroupId: string) =>
          client.send(
            new UpdateGroupCommand({
              IdentityStoreId: storeId,
              GroupId,
              Operations: [{ AttributePath: 'externalIds', AttributeValue: externalIds }],
            }),
          );
        assert.equal(await outcome(setIds(first.GroupId ?? '')), 'ok');
        assert.equal(await outcome(setIds(second.GroupId ?? '')), 'ConflictException');
        const found = await client.send(
          new GetGroupIdCommand({
            IdentityStoreId: storeId,
            AlternateIdentifier: { ExternalId: externalId },
          }),
        );
        assert.equal(found.GroupId, first.GroupId);
        const described = await client.send(
          new DescribeGroupCommand({ IdentityStoreId: storeId, GroupId: second.GroupId }),
        );
        assert.equal(described.ExternalIds, undefined);
        for (const g of [first, second])
          await client.send(new DeleteGroupCommand({ IdentityStoreId: storeId, GroupId: g.GroupId }));
      } finally {
        client.destroy();
      }
    });

    it('a membership deleted through the API stops the role credentials it gave', async () => {
      const carol = await roleCredentials(server, 'carol', 'Developer', WORKLOAD);
      assert.equal(await whoAmI(server.url, carol), WORKLOAD);
      const client = identityStoreClient(server.url, await roleCredentials(server, 'alice', 'Administrator'));
      try {
        const by = (AttributePath: string, AttributeValue: string) => ({
          IdentityStoreId: storeId,
          AlternateIdentifier: { UniqueAttribute: { AttributePath, AttributeValue } },
        });
        const { GroupId } = await client.send(new GetGroupIdCommand(by('displayName', 'Developers')));
        const { UserId } = await client.send(new GetUserIdCommand(by('userName', 'carol')));
        const { MembershipId } = await client.send(
          new GetGroupMembershipIdCommand({
            IdentityStoreId: storeId,
            GroupId,
            MemberId: { UserId: UserId as string },
          }),
        );
        await client.send(new DeleteGroupMembershipCommand({ IdentityStoreId: storeId, MembershipId }));
      } finally {
        client.destroy();
      }
      assert.notEqual(await whoAmI(server.url, carol), WORKLOAD);
    });
  });
}
