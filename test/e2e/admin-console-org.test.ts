/**
 * The admin console's groups, accounts and OUs, permission sets, assignments, sessions and audit
 * log over HTTP, on SQLite and PostgreSQL: who reaches an account and how, membership and
 * assignment changes with their CSRF checks, refusals and audit rows, ending a session, and the
 * audit log's filters and paging.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditRows } from '../helpers/oidc.ts';
import type { SeededOrg } from '../helpers/seed.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  assertPagesBothWays,
  ConsoleClient,
  consolePages,
  DEV,
  firstCells,
  PROD,
  startConsoleServer,
} from './admin-console-fixtures.ts';
import { HOSTILE, signIn } from './portal-fixtures.ts';

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const BULK = Array.from({ length: 60 }, (_, i) => ({
  id: `3000000000${String(i).padStart(2, '0')}`,
  name: `Bulk ${String(i).padStart(2, '0')}`,
}));
const TEAMS = Array.from({ length: 60 }, (_, i) => ({ name: `team${String(i).padStart(2, '0')}` }));
/** Permission sets assigned in one account, more than a page of them. */
const ROLES = Array.from({ length: 55 }, (_, i) => ({ name: `Role${String(i).padStart(2, '0')}` }));
/** The members of the group Crowd, more than a page. */
const CROWD = Array.from({ length: 60 }, (_, i) => ({
  userName: `crowd${String(i).padStart(2, '0')}`,
  groups: ['Crowd'],
}));

/** The text of markup as a reader sees it: tags dropped, entities decoded, spaces collapsed. */
const ENTITIES: Record<string, string> = {
  '&#39;': "'",
  '&quot;': '"',
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
};
const flat = (s: string) =>
  s
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#39|quot|lt|gt|amp);/g, (e) => ENTITIES[e] ?? e)
    .replace(/\s+/g, ' ')
    .trim();

for (const kind of STORE_KINDS) {
  describe(`admin console: groups, organization and activity (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let admin: ConsoleClient;
    const db = () => server.deps.ctx.store.db;

    before(async () => {
      ({ server, org, admin } = await startConsoleServer({
        store: kind,
        extra: {
          users: [{ userName: 'erin', displayName: 'Erin', groups: ['Ops'] }, ...CROWD],
          groups: [...TEAMS, { name: 'Ops' }, { name: HOSTILE.img }, { name: 'Synced' }, { name: 'Crowd' }],
          accounts: BULK,
          permissionSets: [{ name: 'Wide' }, ...ROLES],
          assignments: [
            ...ROLES.map((r) => ({ user: 'erin', permissionSet: r.name, accounts: [BULK[59]?.id ?? ''] })),
            { group: HOSTILE.img, permissionSet: 'ReadOnly', accounts: [DEV] },
            { group: 'Crowd', permissionSet: 'Wide', accounts: BULK.map((a) => a.id) },
          ],
        },
        also: async (deps, org) => {
          await deps.ctx.store.db
            .updateTable('groups')
            .set({ source: 'directory' })
            .where('id', '=', org.groups.Synced ?? '')
            .execute();
        },
      }));
    });
    after(async () => server.stop());

    const memberships = async (groupId: string) =>
      (
        await db().selectFrom('group_memberships').select('user_id').where('group_id', '=', groupId).execute()
      ).map((r) => r.user_id);

    const assignmentCount = async () =>
      Number(
        (
          await db()
            .selectFrom('account_assignments')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('answers 403 on every page to a person who is not an administrator, with the strict CSP on every page', async () => {
      const bob = await ConsoleClient.as(server.url, server.deps, org.users.bob ?? '');
      for (const path of consolePages(org)) {
        const mine = await admin.get(path);
        assert.equal(mine.status, 200, path);
        assert.match(mine.headers.get('content-security-policy') ?? '', /default-src 'none'/, path);
        const theirs = await bob.get(path);
        assert.equal(theirs.status, 403, path);
        const anonymous = await new ConsoleClient(server.url, null).get(path);
        assert.equal(anonymous.status, 303, path);
      }
    });

    it('lists groups by name, paged by key on and back, and finds them by prefix', async () => {
      const pages = await assertPagesBothWays(admin, '/admin/groups?q=team', (body) =>
        firstCells(body, 'groups'),
      );
      assert.equal(pages.length, 2);
      assert.deepEqual(
        pages.flat(),
        TEAMS.map((t) => t.name),
      );
      assert.deepEqual(firstCells(await (await admin.get('/admin/groups?q=DEV')).text(), 'groups'), [
        'Developers',
      ]);
    });

    it('pages a group’s members, a permission set’s assignments and an account’s permission sets on and back', async () => {
      const members = await assertPagesBothWays(admin, `/admin/groups/${org.groups.Crowd}`, (body) =>
        firstCells(body, 'members'),
      );
      assert.deepEqual(
        members.map((p) => p.length),
        [50, 10],
      );
      assert.deepEqual(
        members.flat(),
        CROWD.map((u) => u.userName),
      );
      const assignments = await assertPagesBothWays(
        admin,
        `/admin/permission-sets/${org.permissionSets.Wide}`,
        (body) => firstCells(body, 'ps-assignments'),
      );
      assert.deepEqual(
        assignments.map((p) => p.length),
        [50, 10],
      );
      assert.deepEqual(
        assignments.flat().sort(),
        BULK.map((a) => a.name),
      );
      assert.equal((await admin.get(`/admin/groups/${org.groups.Crowd}?after=a&before=b`)).status, 400);
      const sets = await assertPagesBothWays(admin, `/admin/accounts/${BULK[59]?.id}`, (body) =>
        [...body.matchAll(/<div class="ps-block" data-permission-set="([^"]+)">/g)].map((m) => m[1] ?? ''),
      );
      assert.deepEqual(
        sets.map((p) => p.length),
        [50, 6],
      );
      assert.deepEqual(sets.flat(), [...ROLES.map((r) => r.name), 'Wide']);
    });

    it('adds and removes a member, refusing a missing CSRF token, an unknown user and another group’s membership', async () => {
      const ops = org.groups.Ops ?? '';
      const path = `/admin/groups/${ops}/members`;
      assert.equal((await admin.post(path, { userName: 'bob' }, null)).status, 403);
      const unknown = await admin.post(path, { userName: 'nobody' });
      assert.equal(unknown.status, 400);
      assert.match(await unknown.text(), /no user named “nobody”/);
      assert.deepEqual(await memberships(ops), [org.users.erin]);

      const added = await admin.post(path, { userName: 'BOB' });
      assert.equal(added.status, 303);
      assert.deepEqual((await memberships(ops)).sort(), [org.users.bob, org.users.erin].sort());
      const twice = await admin.post(path, { userName: 'bob' });
      assert.equal(twice.status, 409);

      const page = await (await admin.get(`/admin/groups/${ops}`)).text();
      assert.match(page, /Members \(2\)/);
      const bobsMembership = (
        await db()
          .selectFrom('group_memberships')
          .select('id')
          .where('group_id', '=', ops)
          .where('user_id', '=', org.users.bob ?? '')
          .executeTakeFirstOrThrow()
      ).id;
      const elsewhere = await admin.post(`/admin/groups/${org.groups.Developers}/members/remove`, {
        membership: bobsMembership,
      });
      assert.equal(elsewhere.status, 400);
      assert.equal((await memberships(ops)).length, 2);
      const removed = await admin.post(`/admin/groups/${ops}/members/remove`, { membership: bobsMembership });
      assert.equal(removed.status, 303);
      assert.deepEqual(await memberships(ops), [org.users.erin]);
      const audit = (await auditRows(server.deps, ['membership.create', 'membership.delete'])).map(
        ({ action, actor }) => ({ action, actor }),
      );
      assert.deepEqual(audit, [
        { action: 'membership.create', actor: `user:${org.users.root}` },
        { action: 'membership.delete', actor: `user:${org.users.root}` },
      ]);
    });

    it('refuses membership changes to a directory group', async () => {
      const res = await admin.post(`/admin/groups/${org.groups.Synced}/members`, { userName: 'bob' });
      assert.equal(res.status, 409);
      assert.match(await res.text(), /comes from the directory/);
      assert.deepEqual(await memberships(org.groups.Synced ?? ''), []);
    });

    const groupNamed = async (name: string) =>
      db()
        .selectFrom('groups')
        .select(['id', 'description'])
        .where('display_name', '=', name)
        .executeTakeFirst();

    it('creates a group and deletes it as DeleteGroup does: never one with members, assignments or from the directory', async () => {
      const created = await admin.post('/admin/groups', {
        name: HOSTILE.quotes,
        description: HOSTILE.script,
      });
      assert.equal(created.status, 303);
      const group = await groupNamed(HOSTILE.quotes);
      assert.equal(group?.description, HOSTILE.script);
      const page = await (await admin.get(created.headers.get('location') ?? '')).text();
      assert.match(page, /The group was created/);
      assert.doesNotMatch(page, /<script>window|<b>bold/);
      assert.ok(flat(page).includes(HOSTILE.quotes));
      assert.match(page, /Delete group/);
      const again = await admin.post('/admin/groups', { name: HOSTILE.quotes.toUpperCase() });
      assert.equal(again.status, 409);
      assert.match(await again.text(), /exists already/);

      // With members (Developers), assignments (the hostile group), or the directory's: refused.
      const refusals: Array<[string, RegExp]> = [
        [org.groups.Developers ?? '', /has members/],
        [org.groups[HOSTILE.img] ?? '', /account assignments/],
        [org.groups.Synced ?? '', /comes from the directory, which decides whether it exists/],
      ];
      for (const [id, message] of refusals) {
        const res = await admin.post(`/admin/groups/${id}/delete`, {});
        assert.equal(res.status, 409, id);
        assert.match(await res.text(), message);
        assert.ok(await db().selectFrom('groups').select('id').where('id', '=', id).executeTakeFirst());
      }
      assert.doesNotMatch(
        await (await admin.get(`/admin/groups/${org.groups.Developers}`)).text(),
        /Delete group</,
      );

      const deleted = await admin.post(`/admin/groups/${group?.id}/delete`, {});
      assert.equal(deleted.status, 303);
      assert.equal(await groupNamed(HOSTILE.quotes), undefined);
      assert.match(
        await (await admin.get(deleted.headers.get('location') ?? '')).text(),
        /The group was deleted/,
      );
      const audit = await auditRows(server.deps, ['group.create', 'group.delete']);
      assert.deepEqual(
        audit.map((a) => [a.action, a.actor, JSON.parse(a.detail ?? '{}').via]),
        [
          ['group.create', `user:${org.users.root}`, 'admin-console'],
          ['group.delete', `user:${org.users.root}`, 'admin-console'],
        ],
      );
    });

    it('creates a permission set and deletes it as DeletePermissionSet does: never one still assigned', async () => {
      const created = await admin.post('/admin/permission-sets', {
        name: 'Auditors',
        description: HOSTILE.quotes,
        sessionDuration: 'PT4H',
        relayState: 'https://console.aws.amazon.com/cloudtrail/',
      });
      assert.equal(created.status, 303);
      const row = await db()
        .selectFrom('permission_sets')
        .selectAll()
        .where('name', '=', 'Auditors')
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        [row.description, row.session_duration, row.session_seconds, row.relay_state],
        [HOSTILE.quotes, 'PT4H', 14400, 'https://console.aws.amazon.com/cloudtrail/'],
      );
      const page = await (await admin.get(created.headers.get('location') ?? '')).text();
      assert.match(page, /The permission set was created/);
      assert.doesNotMatch(page, /<b>bold/);
      assert.ok(flat(page).includes(HOSTILE.quotes));
      assert.match(page, /Delete permission set/);
      assert.equal((await admin.post('/admin/permission-sets', { name: 'auditors' })).status, 409);

      const assigned = await admin.post(`/admin/permission-sets/${org.permissionSets.ReadOnly}/delete`, {});
      assert.equal(assigned.status, 409);
      assert.match(await assigned.text(), /still provisioned/);
      assert.ok(
        await db()
          .selectFrom('permission_sets')
          .select('id')
          .where('id', '=', org.permissionSets.ReadOnly ?? '')
          .executeTakeFirst(),
      );
      assert.doesNotMatch(
        await (await admin.get(`/admin/permission-sets/${org.permissionSets.ReadOnly}`)).text(),
        /Delete permission set</,
      );

      const deleted = await admin.post(`/admin/permission-sets/${row.id}/delete`, {});
      assert.equal(deleted.status, 303);
      assert.equal(
        await db().selectFrom('permission_sets').select('id').where('id', '=', row.id).executeTakeFirst(),
        undefined,
      );
      const audit = (await auditRows(server.deps, ['permission_set.create', 'permission_set.delete'])).map(
        ({ action, actor }) => ({ action, actor }),
      );
      assert.deepEqual(audit, [
        { action: 'permission_set.create', actor: `user:${org.users.root}` },
        { action: 'permission_set.delete', actor: `user:${org.users.root}` },
      ]);
    });

    it('shows who can access an account and how: per permission set, users directly and groups with their members', async () => {
      const page = await (await admin.get(`/admin/accounts/${DEV}`)).text();
      const blocks = [
        ...page.matchAll(/<div class="ps-block" data-permission-set="([^"]+)">([\s\S]*?)<\/div>/g),
      ].map((m) => [m[1], flat(m[2] ?? '')]);
      assert.equal(blocks.length, 1);
      const [name, block] = blocks[0] ?? [];
      assert.equal(name, 'ReadOnly');
      assert.match(block ?? '', /user alice Enabled directly/);
      assert.match(block ?? '', /group Developers \(1 member\) Remove group Developers's ReadOnly alice/);
      // The hostile group name is text.
      assert.doesNotMatch(page, /<img src=x/);
      assert.match(page, /&quot;&gt;&lt;img src=x onerror=/);
    });

    it('lists accounts and OUs, finds an account by name or id, and refuses an OU id that cannot be', async () => {
      assert.deepEqual(firstCells(await (await admin.get('/admin/accounts?q=prod')).text(), 'accounts'), [
        'Production',
      ]);
      assert.deepEqual(
        firstCells(await (await admin.get('/admin/accounts?q=2222-2222')).text(), 'accounts'),
        ['Development'],
      );
      const root = await (await admin.get('/admin/accounts?ou=root')).text();
      assert.deepEqual(firstCells(root, 'accounts'), [
        'Production',
        'Development',
        ...BULK.slice(0, 48).map((a) => a.name),
      ]);
      const badOu = await admin.get('/admin/accounts?ou=%3Cscript%3E');
      assert.equal(badOu.status, 400);
      assert.match(await badOu.text(), /an OU id that cannot exist/);
      assert.equal((await admin.get('/admin/accounts/999999999999')).status, 404);
      const pages = await assertPagesBothWays(admin, '/admin/accounts?q=bulk', (body) =>
        firstCells(body, 'accounts'),
      );
      assert.equal(pages.length, 2);
      assert.deepEqual(
        pages.flat(),
        BULK.map((a) => a.name),
      );
    });

    it('creates and deletes an assignment from an account page, refusing bad input without a change', async () => {
      const count = await assignmentCount();
      const ps = org.permissionSets.ReadOnly ?? '';
      const refusals: Array<[Record<string, string>, number]> = [
        [{ accountId: PROD, permissionSetId: ps, principalType: 'USER', principal: 'nobody' }, 400],
        [{ accountId: '12345', permissionSetId: ps, principalType: 'USER', principal: 'erin' }, 400],
        [{ accountId: '999999999999', permissionSetId: ps, principalType: 'USER', principal: 'erin' }, 400],
        [
          {
            accountId: PROD,
            permissionSetId: 'ps-0000000000000000',
            principalType: 'USER',
            principal: 'erin',
          },
          400,
        ],
        [{ accountId: PROD, permissionSetId: ps, principalType: 'ROLE', principal: 'erin' }, 400],
        [
          {
            accountId: PROD,
            permissionSetId: ps,
            principalType: 'USER',
            principal: 'er\u202Ein'.repeat(300),
          },
          400,
        ],
      ];
      for (const [fields, status] of refusals) {
        const res = await admin.post('/admin/assignments', fields);
        assert.equal(res.status, status, JSON.stringify(fields));
      }
      assert.equal((await admin.post('/admin/assignments', refusals[0]?.[0] ?? {}, null)).status, 403);
      assert.equal(await assignmentCount(), count);

      const made = await admin.post('/admin/assignments', {
        accountId: PROD,
        permissionSetId: ps,
        principalType: 'GROUP',
        principal: 'ops',
        from: 'account',
      });
      assert.equal(made.status, 303);
      assert.equal(made.headers.get('location'), `/admin/accounts/${PROD}?done=assigned`);
      assert.equal(await assignmentCount(), count + 1);
      const page = flat(await (await admin.get(`/admin/accounts/${PROD}`)).text());
      assert.match(page, /group Ops \(1 member\) Remove group Ops's ReadOnly erin/);

      const gone = await admin.post('/admin/assignments/delete', {
        accountId: PROD,
        permissionSetId: ps,
        principalType: 'GROUP',
        principalId: org.groups.Ops ?? '',
        from: 'permission-set',
      });
      assert.equal(gone.status, 303);
      assert.equal(gone.headers.get('location'), `/admin/permission-sets/${ps}?done=unassigned`);
      assert.equal(await assignmentCount(), count);
      const audit = await auditRows(server.deps, ['assignment.create', 'assignment.delete']);
      assert.deepEqual(
        audit.map((a) => [a.action, a.actor, JSON.parse(a.detail ?? '{}').via]),
        [
          ['assignment.create', `user:${org.users.root}`, 'admin-console'],
          ['assignment.delete', `user:${org.users.root}`, 'admin-console'],
        ],
      );
    });

    it('answers bad input to every form with a 400 page, and changes nothing', async () => {
      const counts = async () => {
        const out: Record<string, number> = {};
        for (const table of [
          'users',
          'groups',
          'group_memberships',
          'account_assignments',
          'permission_sets',
          'audit_events',
          'revocations',
          'ous',
          'ps_managed_policies',
          'ps_customer_policies',
        ] as const) {
          out[table] = Number(
            (
              await db()
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        }
        out.liveSessions = Number(
          (
            await db()
              .selectFrom('portal_sessions')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('revoked_at', 'is', null)
              .executeTakeFirstOrThrow()
          ).n,
        );
        return out;
      };
      const before = await counts();
      const nobody = '00000000-0000-4000-8000-000000000000';
      const dev = org.groups.Developers ?? '';
      const ps = org.permissionSets.ReadOnly ?? '';
      const long = 'x'.repeat(2000);
      const cases: Array<[string, Record<string, string>]> = [
        ['/admin/users', { userName: 'a\u0000b', displayName: 'A' }],
        ['/admin/users', { userName: 'ab', displayName: 'A\u0085B' }],
        ['/admin/users', { userName: 'ab', displayName: long }],
        ...['disable', 'enable', 'reset-mfa', 'sign-out'].map((a): [string, Record<string, string>] => [
          `/admin/users/${nobody}/${a}`,
          {},
        ]),
        [`/admin/groups/${dev}/members`, { userName: 'bo\u001bb' }],
        [`/admin/groups/${dev}/members`, { userName: long }],
        [`/admin/groups/${dev}/members`, { userName: 'nobody' }],
        [`/admin/groups/${nobody}/members`, { userName: 'bob' }],
        [`/admin/groups/${dev}/members/remove`, { membership: nobody }],
        [`/admin/groups/${dev}/members/remove`, { membership: '<script>' }],
        [`/admin/groups/${nobody}/members/remove`, { membership: nobody }],
        [
          '/admin/assignments',
          { accountId: PROD, permissionSetId: ps, principalType: 'USER', principal: 'bo\tb' },
        ],
        [
          '/admin/assignments',
          { accountId: PROD, permissionSetId: ps, principalType: 'GROUP', principal: 'nobody' },
        ],
        [
          '/admin/assignments',
          { accountId: PROD, permissionSetId: `${ps}x`, principalType: 'USER', principal: 'bob' },
        ],
        [
          '/admin/assignments/delete',
          { accountId: PROD, permissionSetId: ps, principalType: 'USER', principalId: nobody },
        ],
        [
          '/admin/assignments/delete',
          { accountId: '1234', permissionSetId: ps, principalType: 'USER', principalId: org.users.bob ?? '' },
        ],
        ['/admin/groups', { name: 'a\u0000b' }],
        ['/admin/groups', { name: long }],
        ['/admin/groups', { name: '  ' }],
        ['/admin/groups', { name: 'Fine', description: 'x\u0085y' }],
        [`/admin/groups/${nobody}/delete`, {}],
        [`/admin/groups/${'<script>'}/delete`, {}],
        ['/admin/permission-sets', { name: 'has space' }],
        ['/admin/permission-sets', { name: 'x'.repeat(33) }],
        ['/admin/permission-sets', { name: 'Fine', sessionDuration: 'PT13H' }],
        ['/admin/permission-sets', { name: 'Fine', sessionDuration: 'four hours' }],
        ['/admin/permission-sets', { name: 'Fine', relayState: '<javascript:>' }],
        ['/admin/permission-sets', { name: 'Fine', description: 'tab\u0007' }],
        ['/admin/permission-sets/ps-0000000000000000/delete', {}],
        ['/admin/permission-sets/not-one/delete', {}],
        ['/admin/sessions/end', { session: 'not-a-session' }],
        ['/admin/sessions/end', { session: nobody }],
        [`/admin/permission-sets/${ps}/edit`, { sessionDuration: 'PT13H' }],
        [`/admin/permission-sets/${ps}/edit`, { sessionDuration: 'PT1H', relayState: '<javascript:>' }],
        [`/admin/permission-sets/${ps}/edit`, { sessionDuration: 'PT1H', psDescription: 'tab\u0007' }],
        [`/admin/permission-sets/${ps}/edit`, { sessionDuration: '' }],
        ['/admin/permission-sets/ps-0000000000000000/edit', { sessionDuration: 'PT2H' }],
        ['/admin/permission-sets/not-one/edit', { sessionDuration: 'PT2H' }],
        [`/admin/permission-sets/${ps}/managed-policies`, { arn: 'arn:aws:iam::123456789012:policy/Mine' }],
        [`/admin/permission-sets/${ps}/managed-policies`, { arn: long }],
        [
          `/admin/permission-sets/${ps}/managed-policies/detach`,
          { arn: 'arn:aws:iam::aws:policy/PowerUserAccess' },
        ],
        ['/admin/permission-sets/ps-0000000000000000/managed-policies', { arn: READ_ONLY }],
        [`/admin/permission-sets/${ps}/customer-policies`, { name: 'has space' }],
        [`/admin/permission-sets/${ps}/customer-policies`, { name: 'Fine', path: 'no-slashes' }],
        [`/admin/permission-sets/${ps}/customer-policies/detach`, { name: 'NotThere', path: '/' }],
        [`/admin/permission-sets/${ps}/boundary`, { kind: 'both', arn: READ_ONLY }],
        [`/admin/permission-sets/${ps}/boundary`, { kind: 'managed', arn: 'nope' }],
        [`/admin/permission-sets/${ps}/boundary`, { kind: 'customer', name: 'a b' }],
        ['/admin/ous', { parent: 'root', name: 'a/b' }],
        ['/admin/ous', { parent: 'root', name: 'x'.repeat(129) }],
        ['/admin/ous', { parent: 'root', name: '  ' }],
        ['/admin/ous', { parent: '<script>', name: 'Fine' }],
        ['/admin/ous', { parent: 'ou-zzzz-zzzzzzzz', name: 'Fine' }],
        ['/admin/ous/ou-zzzz-zzzzzzzz/rename', { name: 'Fine' }],
        ['/admin/ous/root/rename', { name: 'Fine' }],
        ['/admin/ous/ou-zzzz-zzzzzzzz/delete', {}],
        ['/admin/ous/root/delete', {}],
        ['/admin/accounts/999999999999/move', { to: 'root' }],
        ['/admin/accounts/12345/move', { to: 'root' }],
        [`/admin/accounts/${PROD}/move`, { to: '<script>' }],
        [`/admin/accounts/${PROD}/move`, { to: 'ou-zzzz-zzzzzzzz' }],
      ];
      for (const [path, fields] of cases) {
        const res = await admin.post(path, fields);
        assert.equal(res.status, 400, `${path} ${JSON.stringify(fields)}`);
        const body = await res.text();
        assert.match(body, /<h1>Bad request<\/h1>/, path);
        assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      }
      // An inline policy IAM would refuse comes back in the editor, with what is wrong.
      const policy = await admin.post(`/admin/permission-sets/${ps}/inline-policy`, {
        policy: '{"Statement": 7, "x": "</textarea><b>bold"}',
      });
      assert.equal(policy.status, 400);
      const editor = await policy.text();
      assert.match(editor, /role="alert" id="policy-error">The inline policy is not valid: /);
      assert.match(editor, /&lt;\/textarea&gt;&lt;b&gt;bold/);
      assert.doesNotMatch(editor, /<b>bold/);
      // A move to where the account is already is a conflict, and changes nothing either.
      const already = await admin.post(`/admin/accounts/${PROD}/move`, { to: 'root' });
      assert.equal(already.status, 409);
      assert.match(await already.text(), /already present in the specified destination/);
      // A field given twice is refused too, rather than one of them picked.
      const twice = await fetch(`${server.url}/admin/groups/${dev}/members`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: admin.who?.cookie ?? '' },
        body: `_csrf=${admin.who?.csrf}&userName=bob&userName=erin`,
      });
      assert.equal(twice.status, 400);
      assert.deepEqual(await counts(), before);
    });

    it('keeps a description of several lines through an edit of something else, and sets one', async () => {
      const wide = org.permissionSets.Wide ?? '';
      await db()
        .updateTable('permission_sets')
        .set({ description: 'Line one\nLine two ' })
        .where('id', '=', wide)
        .execute();
      const page = await (await admin.get(`/admin/permission-sets/${wide}`)).text();
      assert.match(
        page,
        /<textarea id="ps-description" name="psDescription"[^>]*>Line one\nLine two <\/textarea>/,
      );
      // As a browser sends the form back: the textarea's lines as CRLF, the duration changed.
      const edited = await admin.post(`/admin/permission-sets/${wide}/edit`, {
        psDescription: 'Line one\r\nLine two ',
        sessionDuration: 'PT2H',
        relayState: '',
      });
      assert.equal(edited.status, 303);
      const row = async () =>
        db()
          .selectFrom('permission_sets')
          .select(['description', 'session_duration'])
          .where('id', '=', wide)
          .executeTakeFirstOrThrow();
      assert.deepEqual(await row(), { description: 'Line one\nLine two ', session_duration: 'PT2H' });
      const [audit] = (await auditRows(server.deps, 'permission_set.update', wide)).slice(-1);
      assert.deepEqual(JSON.parse(audit?.detail ?? '{}').changed, ['sessionDuration']);
      await admin.post(`/admin/permission-sets/${wide}/edit`, {
        psDescription: 'First\r\nSecond',
        sessionDuration: 'PT2H',
      });
      assert.deepEqual(await row(), { description: 'First\nSecond', session_duration: 'PT2H' });
    });

    it('saves an inline policy near IAM’s size limit through the form, as a browser sends it, its lines as LF', async () => {
      const wide = org.permissionSets.Wide ?? '';
      const statements: object[] = [];
      const compact = () => JSON.stringify({ Version: '2012-10-17', Statement: statements }).length;
      for (let i = 0; compact() < 10_000; i++)
        statements.push({
          Sid: `S${i}`,
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: [`arn:aws:s3:::bucket-${i}/*`],
        });
      const typed = JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 4).replace(
        /\n/g,
        '\r\n',
      );
      const res = await admin.post(`/admin/permission-sets/${wide}/inline-policy`, { policy: typed });
      assert.equal(res.status, 303);
      const stored = await db()
        .selectFrom('permission_sets')
        .select('inline_policy')
        .where('id', '=', wide)
        .executeTakeFirstOrThrow();
      assert.equal(stored.inline_policy, typed.replace(/\r\n/g, '\n'));
    });

    it('shows a permission set’s definition and where it is assigned', async () => {
      const page = flat(
        await (await admin.get(`/admin/permission-sets/${org.permissionSets.ReadOnly}`)).text(),
      );
      assert.match(page, /Session duration PT1H/);
      assert.match(page, /user bob/);
      assert.equal((await admin.get('/admin/permission-sets/ps-0000000000000000')).status, 404);
    });

    it('lists live sessions and ends one, with what it issued', async () => {
      const victim = await signIn(server.deps, org.users.erin ?? '');
      const list = await (await admin.get(`/admin/sessions?user=${org.users.erin}`)).text();
      assert.match(list, new RegExp(`value="${victim.sessionId}"`));
      const badUser = await admin.get('/admin/sessions?user=%3Cx%3E');
      assert.equal(badUser.status, 400);
      assert.match(await badUser.text(), /a user id that cannot exist/);
      assert.equal(
        (await admin.post('/admin/sessions/end', { session: victim.sessionId }, 'nope')).status,
        403,
      );
      const unknown = await admin.post('/admin/sessions/end', {
        session: '00000000-0000-4000-8000-000000000000',
      });
      assert.equal(unknown.status, 400);
      const live = await fetch(`${server.url}/start`, {
        redirect: 'manual',
        headers: { cookie: victim.cookie },
      });
      assert.equal(live.status, 200);
      const ended = await admin.post('/admin/sessions/end', { session: victim.sessionId });
      assert.equal(ended.status, 303);
      const after = await fetch(`${server.url}/start`, {
        redirect: 'manual',
        headers: { cookie: victim.cookie },
      });
      assert.equal(after.status, 303);
      const row = await db()
        .selectFrom('audit_events')
        .select('actor')
        .where('action', '=', 'session.revoke')
        .where('target_id', '=', victim.sessionId)
        .executeTakeFirstOrThrow();
      assert.equal(row.actor, `user:${org.users.root}`);
    });

    it('pages live sessions newest first, on and back, sessions started in the same millisecond included', async () => {
      const crowd = org.users.crowd01 ?? '';
      const started: string[] = [];
      for (let i = 0; i < 60; i++) started.push((await signIn(server.deps, crowd)).sessionId);
      const pages = await assertPagesBothWays(admin, `/admin/sessions?user=${crowd}`, (body) =>
        [...body.matchAll(/name="session" value="([^"]+)"/g)].map((m) => m[1] ?? ''),
      );
      assert.deepEqual(
        pages.map((p) => p.length),
        [50, 10],
      );
      assert.deepEqual([...pages.flat()].sort(), [...started].sort());
      for (const key of ['abc', '12.x', `1.${'0'.repeat(36)}x`]) {
        assert.equal((await admin.get(`/admin/sessions?after=${key}`)).status, 400, key);
        assert.equal((await admin.get(`/admin/sessions?before=${key}`)).status, 400, key);
      }
    });

    it('filters the audit log by actor, action prefix, target and time, paged by event id', async () => {
      const base = server.deps.ctx.clock.now();
      await db()
        .insertInto('audit_events')
        .values(
          Array.from({ length: 70 }, (_, i) => ({
            at: base + i,
            actor: 'cli:apply',
            action: 'account.update',
            target_type: 'ACCOUNT',
            target_id: i % 2 === 0 ? PROD : DEV,
            detail: null,
            source_ip: null,
            request_id: null,
          })),
        )
        .execute();
      const rows = async (query: string) => {
        const all: string[] = [];
        let path: string | undefined = `/admin/audit?${query}`;
        while (path) {
          const res = await admin.get(path);
          assert.equal(res.status, 200, path);
          const body = await res.text();
          const table = /<table[^>]*id="audit"[\s\S]*?<\/table>/.exec(body)?.[0] ?? '';
          all.push(...[...table.matchAll(/<tr>\s*<td[\s\S]*?<\/tr>/g)].map((m) => flat(m[0])));
          path = /rel="next" href="([^"]+)"/.exec(body)?.[1]?.replace(/&amp;/g, '&');
        }
        return all;
      };
      const byTarget = await rows(`actor=cli%3Aapply&action=account.&target=${PROD}`);
      assert.equal(byTarget.length, 35);
      assert.ok(byTarget.every((r) => r.includes('account.update') && r.includes(PROD)));
      assert.equal((await rows('actor=cli%3Aapply')).length, 70);
      // Newest first, on to older pages and back to newer ones across the page boundary.
      const pages = await assertPagesBothWays(admin, '/admin/audit?actor=cli%3Aapply', (body) =>
        [
          ...(/<table[^>]*id="audit"[\s\S]*?<\/table>/.exec(body)?.[0] ?? '').matchAll(
            /<tr>\s*<td[\s\S]*?<\/tr>/g,
          ),
        ].map((m) => flat(m[0])),
      );
      assert.deepEqual(
        pages.map((p) => p.length),
        [50, 20],
      );
      const root = await rows('actor=root&action=membership.');
      assert.equal(root.length, 2);
      assert.ok(root.every((r) => r.includes('root')));
      assert.equal((await rows('actor=cli%3Aapply&from=2000-01-01&to=2000-01-02')).length, 0);
      for (const bad of [
        'yesterday',
        '2026-13-01',
        '2026-04-31',
        '2026-12-07T24:30',
        '2026-12-07T10:30:00',
      ]) {
        const badTime = await admin.get(`/admin/audit?from=${encodeURIComponent(bad)}`);
        assert.equal(badTime.status, 400, bad);
        assert.match(await badTime.text(), /must be a date/);
      }
      assert.equal((await admin.get('/admin/audit?from=2026-12-07T10%3A30&to=2026-12-08')).status, 200);
      assert.equal((await admin.get('/admin/audit?before=abc')).status, 400);
      assert.equal((await admin.get('/admin/audit?after=abc')).status, 400);
    });
  });
}
