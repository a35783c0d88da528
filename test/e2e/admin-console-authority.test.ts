/**
 * The admin console allows what the administrator's permission sets allow through the admin
 * APIs, on SQLite and PostgreSQL: a read-only administrator (ReadOnlyAccess) reads every page and
 * changes nothing, and an explicit deny in an otherwise all-powerful permission set holds (one
 * on a tag key or value too, read from the console's form as the API reads its request). An
 * administrator allowed to tag only with team=blue is offered the tag form and may save that tag
 * alone (issue 20).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SeededOrg } from '../helpers/seed.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  ConsoleClient,
  consolePages,
  DEV,
  makeAdministrators,
  startConsoleServer,
} from './admin-console-fixtures.ts';

for (const kind of STORE_KINDS) {
  describe(`admin console authority (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let reader: ConsoleClient;
    let scoped: ConsoleClient;
    let tagger: ConsoleClient;
    const db = () => server.deps.ctx.store.db;

    before(async () => {
      ({ server, org } = await startConsoleServer({
        store: kind,
        extra: {
          users: [
            { userName: 'scoped', displayName: 'Scoped Admin' },
            { userName: 'tagger', displayName: 'Blue Tagger' },
          ],
          permissionSets: [
            { name: 'AllButAlice' },
            { name: 'Target' },
            { name: 'BlueTags' },
            { name: 'Tagged' },
          ],
          assignments: [
            { user: 'scoped', permissionSet: 'AllButAlice', accounts: [DEV] },
            { user: 'tagger', permissionSet: 'BlueTags', accounts: [DEV] },
          ],
        },
        also: async (deps, org) => {
          // Reads everything; tags only with team=blue, and removes only the key team.
          await makeAdministrators(
            deps,
            org.permissionSets.BlueTags ?? '',
            'arn:aws:iam::aws:policy/ReadOnlyAccess',
            {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'sso:TagResource',
                  Resource: '*',
                  Condition: { StringEquals: { 'aws:RequestTag/team': 'blue' } },
                },
                {
                  Effect: 'Allow',
                  Action: 'sso:UntagResource',
                  Resource: '*',
                  Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } },
                },
              ],
            },
          );
          await makeAdministrators(
            deps,
            org.permissionSets.AllButAlice ?? '',
            'arn:aws:iam::aws:policy/AdministratorAccess',
            {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Deny',
                  Action: 'identitystore:UpdateUser',
                  Resource: `arn:aws:identitystore:::user/${org.users.alice}`,
                },
                {
                  Effect: 'Deny',
                  Action: 'sso:PutInlinePolicyToPermissionSet',
                  Resource: `arn:aws:sso:::permissionSet/*/${org.permissionSets.ReadOnly}`,
                },
                { Effect: 'Deny', Action: 'organizations:DeleteOrganizationalUnit', Resource: '*' },
                {
                  Effect: 'Deny',
                  Action: ['sso:TagResource', 'sso:UntagResource'],
                  Resource: '*',
                  Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['owner'] } },
                },
                {
                  Effect: 'Deny',
                  Action: 'sso:TagResource',
                  Resource: '*',
                  Condition: { StringEquals: { 'aws:RequestTag/env': 'prod' } },
                },
              ],
            },
          );
        },
      }));
      reader = await ConsoleClient.as(server.url, server.deps, org.users.reader ?? '');
      scoped = await ConsoleClient.as(server.url, server.deps, org.users.scoped ?? '');
      tagger = await ConsoleClient.as(server.url, server.deps, org.users.tagger ?? '');
    });
    after(async () => server.stop());

    const tagsOf = async (permissionSetId: string) =>
      (
        await db()
          .selectFrom('ps_tags')
          .select(['key', 'value'])
          .where('permission_set_id', '=', permissionSetId)
          .orderBy('key')
          .execute()
      ).map((t) => `${t.key}=${t.value}`);

    const statusOf = async (userId: string) =>
      (await db().selectFrom('users').select('status').where('id', '=', userId).executeTakeFirstOrThrow())
        .status;

    it('lets a read-only administrator read every page, without the controls that change things', async () => {
      for (const path of consolePages(org)) {
        assert.equal((await reader.get(path)).status, 200, path);
      }
      const page = await (await reader.get(`/admin/users/${org.users.alice}`)).text();
      assert.doesNotMatch(page, /Disable user/);
      assert.match(page, /you can look, not change/);
      assert.equal((await reader.get('/admin/users/new')).status, 403);
      assert.doesNotMatch(await (await reader.get('/admin/users')).text(), /Create user/);
      assert.doesNotMatch(page, /Edit attributes/);
      assert.doesNotMatch(await (await reader.get('/admin/groups')).text(), /Create a group/);
      assert.doesNotMatch(
        await (await reader.get('/admin/permission-sets')).text(),
        /Create a permission set/,
      );
      assert.doesNotMatch(
        await (await reader.get(`/admin/permission-sets/${org.permissionSets.ReadOnly}`)).text(),
        /Delete the permission set/,
      );
    });

    it('refuses every change of a read-only administrator, naming the action, and changes nothing', async () => {
      const refusals: Array<[string, Record<string, string>, string]> = [
        [`/admin/users/${org.users.alice}/disable`, {}, 'identitystore:UpdateUser'],
        [`/admin/users/${org.users.alice}/sign-out`, {}, 'identitystore:UpdateUser'],
        [
          `/admin/users/${org.users.alice}/password`,
          { password: 'a long passphrase' },
          'identitystore:UpdateUser',
        ],
        [
          `/admin/users/${org.users.alice}/attributes`,
          { displayName: 'Mallory' },
          'identitystore:UpdateUser',
        ],
        ['/admin/users', { userName: 'mallory', displayName: 'Mallory' }, 'identitystore:CreateUser'],
        ['/admin/groups', { name: 'Mallory' }, 'identitystore:CreateGroup'],
        [`/admin/groups/${org.groups.Developers}/delete`, {}, 'identitystore:DeleteGroup'],
        ['/admin/permission-sets', { name: 'Mallory' }, 'sso:CreatePermissionSet'],
        [`/admin/permission-sets/${org.permissionSets.ReadOnly}/delete`, {}, 'sso:DeletePermissionSet'],
        [
          `/admin/groups/${org.groups.Developers}/members`,
          { userName: 'bob' },
          'identitystore:CreateGroupMembership',
        ],
        [
          '/admin/assignments',
          {
            accountId: DEV,
            permissionSetId: org.permissionSets.AdminConsole ?? '',
            principalType: 'USER',
            principal: 'reader',
          },
          'sso:CreateAccountAssignment',
        ],
      ];
      const auditBefore = await db()
        .selectFrom('audit_events')
        .select('id')
        .orderBy('id', 'desc')
        .limit(1)
        .execute();
      for (const [path, fields, action] of refusals) {
        const res = await reader.post(path, fields);
        assert.equal(res.status, 403, path);
        assert.match(await res.text(), new RegExp(action.replace('.', '\\.')), path);
      }
      assert.equal(await statusOf(org.users.alice ?? ''), 'ENABLED');
      const made = await db()
        .selectFrom('users')
        .select('id')
        .where('user_name_lower', '=', 'mallory')
        .execute();
      assert.deepEqual(made, []);
      assert.equal(
        (
          await db()
            .selectFrom('users')
            .select('display_name')
            .where('id', '=', org.users.alice ?? '')
            .executeTakeFirstOrThrow()
        ).display_name,
        'Alice Doe',
      );
      assert.deepEqual(
        await db().selectFrom('groups').select('id').where('display_name', '=', 'Mallory').execute(),
        [],
      );
      assert.deepEqual(
        await db().selectFrom('permission_sets').select('id').where('name', '=', 'Mallory').execute(),
        [],
      );
      const escalated = await db()
        .selectFrom('account_assignments')
        .select('id')
        .where('principal_id', '=', org.users.reader ?? '')
        .where('permission_set_id', '=', org.permissionSets.AdminConsole ?? '')
        .execute();
      assert.deepEqual(escalated, []);
      // Each refusal is audited, as the admin APIs audit theirs; nothing else was written.
      const since = await db()
        .selectFrom('audit_events')
        .select(['action', 'actor', 'target_id'])
        .where('id', '>', auditBefore[0]?.id ?? 0)
        .orderBy('id')
        .execute();
      assert.deepEqual(
        since.map((e) => [e.action, e.actor, e.target_id]),
        [
          'UpdateUser',
          'UpdateUser',
          'UpdateUser',
          'UpdateUser',
          'CreateUser',
          'CreateGroup',
          'DeleteGroup',
          'CreatePermissionSet',
          'DeletePermissionSet',
          'CreateGroupMembership',
          'CreateAccountAssignment',
        ].map((op) => ['admin.access_denied', `user:${org.users.reader}`, op]),
      );
    });

    it('holds an explicit deny: an administrator denied UpdateUser on alice disables bob but not alice', async () => {
      const denied = await scoped.post(`/admin/users/${org.users.alice}/disable`, {});
      assert.equal(denied.status, 403);
      assert.match(await denied.text(), /identitystore:UpdateUser/);
      assert.equal(await statusOf(org.users.alice ?? ''), 'ENABLED');
      const page = await (await scoped.get(`/admin/users/${org.users.alice}`)).text();
      assert.doesNotMatch(page, /Disable user/);
      const allowed = await scoped.post(`/admin/users/${org.users.bob}/disable`, {});
      assert.equal(allowed.status, 303);
      assert.equal(await statusOf(org.users.bob ?? ''), 'DISABLED');
    });

    it('holds an explicit deny on one permission set’s inline policy and on deleting OUs, allowing the rest', async () => {
      const policy = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: '*' }],
      });
      const inline = async (id: string) =>
        (
          await db()
            .selectFrom('permission_sets')
            .select('inline_policy')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).inline_policy;
      const readOnly = org.permissionSets.ReadOnly ?? '';
      const target = org.permissionSets.Target ?? '';
      const denied = await scoped.post(`/admin/permission-sets/${readOnly}/inline-policy`, { policy });
      assert.equal(denied.status, 403);
      assert.match(await denied.text(), /sso:PutInlinePolicyToPermissionSet/);
      assert.equal(await inline(readOnly), null);
      assert.doesNotMatch(
        await (await scoped.get(`/admin/permission-sets/${readOnly}`)).text(),
        /Save the inline policy/,
      );
      assert.match(
        await (await scoped.get(`/admin/permission-sets/${target}`)).text(),
        /Save the inline policy/,
      );
      assert.equal(
        (await scoped.post(`/admin/permission-sets/${target}/inline-policy`, { policy })).status,
        303,
      );
      assert.equal(await inline(target), policy);

      const created = await scoped.post('/admin/ous', { parent: 'root', name: 'Scoped' });
      assert.equal(created.status, 303);
      const ou = new URL(created.headers.get('location') ?? '', server.url).searchParams.get('ou') ?? '';
      const page = await (await scoped.get(`/admin/accounts?ou=${ou}`)).text();
      assert.match(page, /Rename/);
      assert.doesNotMatch(page, /Delete OU/);
      const refused = await scoped.post(`/admin/ous/${ou}/delete`, {});
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /organizations:DeleteOrganizationalUnit/);
      assert.ok(await db().selectFrom('ous').select('id').where('id', '=', ou).executeTakeFirst());
    });

    it('holds a deny on a tag key (aws:TagKeys) and a tag value (aws:RequestTag), tagging with the others', async () => {
      const target = org.permissionSets.Target ?? '';
      const tags = () => tagsOf(target);
      for (const fields of [
        { key: 'owner', value: 'alice' },
        { key: 'env', value: 'prod' },
      ]) {
        const res = await scoped.post(`/admin/permission-sets/${target}/tags`, fields);
        assert.equal(res.status, 403, fields.key);
        assert.match(await res.text(), /sso:TagResource/);
      }
      assert.deepEqual(await tags(), []);
      for (const fields of [
        { key: 'env', value: 'dev' },
        { key: 'team', value: 'blue' },
      ]) {
        assert.equal((await scoped.post(`/admin/permission-sets/${target}/tags`, fields)).status, 303);
      }
      assert.deepEqual(await tags(), ['env=dev', 'team=blue']);
      // The page offers the form; the key it may not remove is refused as UntagResource.
      assert.match(await (await scoped.get(`/admin/permission-sets/${target}`)).text(), /Save the tag/);
      await db()
        .insertInto('ps_tags')
        .values({ permission_set_id: target, key: 'owner', value: 'x' })
        .execute();
      const untag = await scoped.post(`/admin/permission-sets/${target}/tags/delete`, { key: 'owner' });
      assert.equal(untag.status, 403);
      assert.match(await untag.text(), /sso:UntagResource/);
      assert.equal(
        (await scoped.post(`/admin/permission-sets/${target}/tags/delete`, { key: 'team' })).status,
        303,
      );
      assert.deepEqual(await tags(), ['env=dev', 'owner=x']);
    });

    it('offers the tag form to an administrator allowed to tag with team=blue only; saves that tag, refuses team=red (issue 20)', async () => {
      const tagged = org.permissionSets.Tagged ?? '';
      const page = async () => (await tagger.get(`/admin/permission-sets/${tagged}`)).text();
      const before = await page();
      assert.match(before, /Add or change a tag/);
      assert.match(before, /Save the tag/);
      // A read-only administrator is still offered neither.
      assert.doesNotMatch(
        await (await reader.get(`/admin/permission-sets/${tagged}`)).text(),
        /Add or change a tag|Save the tag/,
      );

      const saved = await tagger.post(`/admin/permission-sets/${tagged}/tags`, {
        key: 'team',
        value: 'blue',
      });
      assert.equal(saved.status, 303);
      assert.deepEqual(await tagsOf(tagged), ['team=blue']);
      const shown = await (await tagger.get(saved.headers.get('location') ?? '')).text();
      assert.match(shown, /The tag was saved/);
      assert.match(
        shown,
        /<td data-label="Key"[^>]*>(?:<bdi>)?team(?:<\/bdi>)?<\/td>\s*<td data-label="Value"[^>]*>(?:<bdi>)?blue/,
      );

      for (const fields of [
        { key: 'team', value: 'red' },
        { key: 'owner', value: 'blue' },
      ]) {
        const refused = await tagger.post(`/admin/permission-sets/${tagged}/tags`, fields);
        assert.equal(refused.status, 403, JSON.stringify(fields));
        assert.match(await refused.text(), /sso:TagResource/);
      }
      assert.deepEqual(await tagsOf(tagged), ['team=blue']);

      // Remove buttons too (UntagResource allowed for the key team only): removing owner is refused.
      await db()
        .insertInto('ps_tags')
        .values({ permission_set_id: tagged, key: 'owner', value: 'x' })
        .execute();
      assert.match(await page(), /Remove<span class="visually-hidden"> tag team/);
      const untag = await tagger.post(`/admin/permission-sets/${tagged}/tags/delete`, { key: 'owner' });
      assert.equal(untag.status, 403);
      assert.match(await untag.text(), /sso:UntagResource/);
      assert.equal(
        (await tagger.post(`/admin/permission-sets/${tagged}/tags/delete`, { key: 'team' })).status,
        303,
      );
      assert.deepEqual(await tagsOf(tagged), ['owner=x']);
    });
  });
}
