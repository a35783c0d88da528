/**
 * The admin console's users over HTTP, on SQLite and PostgreSQL: who may open it, search and
 * paging by key, a user's page with what they reach (each of its two lists paged while the other
 * stays on its page, issue 20), and every change (create, disable, enable, reset MFA, sign out
 * everywhere) with its CSRF check, its refusals of bad input, and its audit row naming the
 * administrator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verify } from '@node-rs/argon2';
import { auditRow, auditRows } from '../helpers/oidc.ts';
import type { SeededOrg } from '../helpers/seed.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  assertPagesBothWays,
  ConsoleClient,
  DEV,
  firstCells,
  PROD,
  startConsoleServer,
} from './admin-console-fixtures.ts';
import { HOSTILE, signIn } from './portal-fixtures.ts';

/** Groups a user is in and accounts they reach, more than a page of each. */
const CLUBS = Array.from({ length: 55 }, (_, i) => ({ name: `club${String(i).padStart(2, '0')}` }));
const FAR = Array.from({ length: 55 }, (_, i) => ({
  id: `4000000000${String(i).padStart(2, '0')}`,
  name: `Far ${String(i).padStart(2, '0')}`,
}));

const MANY = 120;
const manyUsers = Array.from({ length: MANY }, (_, i) => ({
  userName: `user${String(i).padStart(3, '0')}`,
  displayName: `Many ${i}`,
  email: `many${i}@corp.example`,
}));

for (const kind of STORE_KINDS) {
  describe(`admin console: users (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let admin: ConsoleClient;

    before(async () => {
      ({ server, org, admin } = await startConsoleServer({
        store: kind,
        extra: {
          users: [
            ...manyUsers,
            { userName: 'mallory', displayName: HOSTILE.script, email: 'zed@evil.example' },
            { userName: 'carol', displayName: 'Zoe Carol', email: 'carol.x@corp.example' },
            { userName: 'joiner', groups: CLUBS.map((c) => c.name) },
          ],
          groups: CLUBS,
          accounts: FAR,
          assignments: [
            { user: 'joiner', permissionSet: 'ReadOnly', accounts: FAR.map((a) => a.id) },
            { group: 'club00', permissionSet: 'ReadOnly', accounts: [FAR[0]?.id ?? ''] },
          ],
        },
        also: async (deps, org) => {
          await deps.ctx.store.db
            .updateTable('users')
            .set({ source: 'directory', directory_dn: 'CN=Carol,DC=corp' })
            .where('id', '=', org.users.carol ?? '')
            .execute();
        },
      }));
    });
    after(async () => server.stop());

    const statusOf = async (userName: string) =>
      (
        await server.deps.ctx.store.db
          .selectFrom('users')
          .select('status')
          .where('user_name_lower', '=', userName)
          .executeTakeFirstOrThrow()
      ).status;

    const userRow = (userName: string) =>
      server.deps.ctx.store.db
        .selectFrom('users')
        .select(['status', 'display_name', 'given_name', 'family_name', 'email', 'updated_by'])
        .where('user_name_lower', '=', userName)
        .executeTakeFirstOrThrow();

    const userCount = async () =>
      Number(
        (
          await server.deps.ctx.store.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('sends a browser without a session to sign-in, coming back to the page asked for', async () => {
      const res = await new ConsoleClient(server.url, null).get('/admin/users?q=al');
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/signin?return=%2Fadmin%2Fusers%3Fq%3Dal');
      const root = await new ConsoleClient(server.url, null).get('/admin');
      assert.equal(root.status, 303);
    });

    it('answers 403 to a signed-in person who is not an administrator, and their forms change nothing', async () => {
      const bob = await ConsoleClient.as(server.url, server.deps, org.users.bob ?? '');
      const page = await bob.get('/admin/users');
      assert.equal(page.status, 403);
      assert.match(await page.text(), /Administrators only/);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const post = await bob.post(`/admin/users/${org.users.alice}/disable`, {});
      assert.equal(post.status, 403);
      assert.equal(await statusOf('alice'), 'ENABLED');
    });

    it('links the profile page of an administrator, and only theirs, to the console', async () => {
      assert.match(await (await admin.get('/profile')).text(), /href="\/admin">Open the admin console/);
      const bob = await ConsoleClient.as(server.url, server.deps, org.users.bob ?? '');
      assert.doesNotMatch(await (await bob.get('/profile')).text(), /admin console/);
    });

    it('serves every page with the strict CSP and no caching', async () => {
      for (const path of [
        '/admin/users',
        `/admin/users/${org.users.alice}`,
        '/admin/users/new',
        '/admin/users/nope',
      ]) {
        const res = await admin.get(path);
        assert.ok([200, 404].includes(res.status), `${path}: ${res.status}`);
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'none'/, path);
        assert.doesNotMatch(csp, /unsafe-inline/, path);
        assert.equal(res.headers.get('cache-control'), 'no-store', path);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      }
    });

    it('pages through 120 users by key, on and back: every user once, in order, across page boundaries', async () => {
      const pages = await assertPagesBothWays(admin, '/admin/users?q=user', (body) =>
        firstCells(body, 'users'),
      );
      assert.equal(pages.length, 3);
      assert.deepEqual(
        pages.flat(),
        manyUsers.map((u) => u.userName),
      );
      assert.equal((await admin.get('/admin/users?after=user010&before=user060')).status, 400);
    });

    it('finds users by the start of their user name, display name or e-mail, case aside', async () => {
      const names = async (q: string) =>
        firstCells(await (await admin.get(`/admin/users?q=${encodeURIComponent(q)}`)).text(), 'users');
      assert.deepEqual(await names('ALI'), ['alice']);
      assert.deepEqual(await names('zoe'), ['carol']);
      assert.deepEqual(await names('carol.x@'), ['carol']);
      assert.deepEqual(await names('user11'), [
        'user110',
        'user111',
        'user112',
        'user113',
        'user114',
        'user115',
        'user116',
        'user117',
        'user118',
        'user119',
      ]);
      // Wildcards are text: `%` and `_` match only themselves.
      assert.deepEqual(await names('%'), []);
      assert.deepEqual(await names('user_1'), []);
    });

    it('shows a hostile display name as text', async () => {
      const res = await admin.get('/admin/users?q=mallory');
      const body = await res.text();
      assert.doesNotMatch(body, /<script>window/);
      assert.match(body, /&lt;script&gt;window\.__pwned=1&lt;\/script&gt;Prod/);
      const detail = await (await admin.get(`/admin/users/${org.users.mallory}`)).text();
      assert.doesNotMatch(detail, /<script>window/);
    });

    it('shows what a user reaches, directly and through which group', async () => {
      const body = await (await admin.get(`/admin/users/${org.users.alice}`)).text();
      const reach = /<table[^>]*id="reach"[\s\S]*?<\/table>/.exec(body)?.[0] ?? '';
      const rows = [...reach.matchAll(/<tr>(\s*<td[\s\S]*?)<\/tr>/g)].map((m) =>
        (m[1] ?? '')
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
      );
      // By account id, then permission set.
      assert.deepEqual(rows, [
        `Production ${PROD} ReadOnly group Developers`,
        `Development ${DEV} ReadOnly assigned directly, group Developers`,
      ]);
      assert.match(body, /Developers/);
    });

    /** The names in the list of a user's groups. */
    const groupNames = (body: string) =>
      [
        ...(/<ul class="plain" id="user-groups">([\s\S]*?)<\/ul>/.exec(body)?.[1] ?? '').matchAll(
          /<a [^>]*>(?:<bdi>)?([^<]*)/g,
        ),
      ].map((m) => m[1] ?? '');

    it('pages a user’s groups and what they reach, each on and back', async () => {
      const path = `/admin/users/${org.users.joiner}`;
      const groups = await assertPagesBothWays(admin, path, groupNames, {
        next: 'groups-after',
        prev: 'groups-before',
        label: 'Pages of groups',
      });
      assert.deepEqual(
        groups.map((p) => p.length),
        [50, 5],
      );
      assert.deepEqual(
        groups.flat(),
        CLUBS.map((c) => c.name),
      );
      const reach = await assertPagesBothWays(admin, path, (body) => firstCells(body, 'reach'), {
        next: 'after',
        prev: 'before',
        label: 'Pages of what the user reaches',
      });
      assert.deepEqual(
        reach.map((p) => p.length),
        [50, 5],
      );
      assert.deepEqual(
        reach.flat(),
        FAR.map((a) => a.name),
      );
      // Reached two ways, the account is one row naming both.
      const first = await (await admin.get(path)).text();
      assert.match(
        first,
        /Far 00<\/bdi><\/a> <span class="mono muted">400000000000<\/span><\/td>\s*<td[^>]*>[\s\S]*?<td data-label="Through">assigned directly, group <a [^>]*><bdi>club00/,
      );
      assert.equal((await admin.get(`${path}?groups-after=a&groups-before=b`)).status, 400);
    });

    it('keeps each list of a user’s page on its page while the other is paged, whichever key it was reached by (issue 20)', async () => {
      const path = `/admin/users/${org.users.joiner}`;
      /** The key of what joiner reaches in FAR[i] (account id, then permission set name). */
      const far = (i: number) => `${FAR[i]?.id}.readonly`;
      // What the user reaches on and back, the groups staying on their second page (groups-after).
      const reach = await assertPagesBothWays(
        admin,
        `${path}?groups-after=club49`,
        (body) => {
          assert.deepEqual(
            groupNames(body),
            CLUBS.slice(50).map((c) => c.name),
          );
          return firstCells(body, 'reach');
        },
        { next: 'after', prev: 'before', label: 'Pages of what the user reaches' },
      );
      assert.deepEqual(
        reach.flat(),
        FAR.map((a) => a.name),
      );
      // The groups on and back, what the user reaches staying on a page reached with before.
      const groups = await assertPagesBothWays(
        admin,
        `${path}?before=${far(52)}`,
        (body) => {
          assert.deepEqual(
            firstCells(body, 'reach'),
            FAR.slice(2, 52).map((a) => a.name),
          );
          return groupNames(body);
        },
        { next: 'groups-after', prev: 'groups-before', label: 'Pages of groups' },
      );
      assert.deepEqual(
        groups.flat(),
        CLUBS.map((c) => c.name),
      );
      // Each list's links carry the other's key exactly as the page was asked for with it.
      const page = await (await admin.get(`${path}?after=${far(1)}&groups-before=club52`)).text();
      assert.deepEqual(
        groupNames(page),
        CLUBS.slice(2, 52).map((c) => c.name),
      );
      assert.deepEqual(
        firstCells(page, 'reach'),
        FAR.slice(2, 52).map((a) => a.name),
      );
      const links = (label: string) =>
        [
          ...(
            new RegExp(`<nav class="pager" aria-label="${label}">[\\s\\S]*?</nav>`).exec(page)?.[0] ?? ''
          ).matchAll(/href="([^"]*)"/g),
        ].map((m) => (m[1] ?? '').replace(/&amp;/g, '&').replace(path, ''));
      assert.deepEqual(links('Pages of groups'), [
        `?after=${far(1)}`,
        `?after=${far(1)}&groups-before=club02`,
        `?after=${far(1)}&groups-after=club51`,
      ]);
      assert.deepEqual(links('Pages of what the user reaches'), [
        '?groups-before=club52',
        `?groups-before=club52&before=${far(2)}`,
        `?groups-before=club52&after=${far(51)}`,
      ]);
      // Two keys for one list are still refused, for either list.
      for (const query of [
        '?groups-after=club01&groups-before=club09',
        `?after=${far(1)}&before=${far(9)}&groups-after=club01`,
      ]) {
        const res = await admin.get(`${path}${query}`);
        assert.equal(res.status, 400, query);
        assert.match(await res.text(), /two page keys/);
      }
    });

    it('comes back to the pages both lists of a user’s page were on after a change there (issue 20)', async () => {
      const path = `/admin/users/${org.users.joiner}`;
      const at = `${path}?after=${FAR[1]?.id}.readonly&groups-before=club52`;
      const page = await (await admin.get(at)).text();
      // Every form of the page that changes the user carries both lists' keys, as asked for.
      const forms = new Map(
        [...page.matchAll(/<form method="post" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)]
          .filter((m) => m[1]?.startsWith(`${path}/`))
          .map((m) => [
            (m[1] ?? '').slice(path.length + 1),
            Object.fromEntries(
              [...(m[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((f) => [
                f[1],
                f[2],
              ]),
            ),
          ]),
      );
      assert.deepEqual([...forms.keys()], ['disable', 'sign-out', 'reset-mfa', 'password', 'attributes']);
      for (const [action, fields] of forms) {
        assert.equal(fields.after, `${FAR[1]?.id}.readonly`, action);
        assert.equal(fields['groups-before'], 'club52', action);
        assert.equal(fields.before, undefined, action);
        assert.equal(fields['groups-after'], undefined, action);
      }
      const { _csrf: _, ...keys } = (forms.get('attributes') ?? {}) as Record<string, string>;
      const displayName = async () =>
        (
          await server.deps.ctx.store.db
            .selectFrom('users')
            .select('display_name')
            .where('id', '=', org.users.joiner ?? '')
            .executeTakeFirstOrThrow()
        ).display_name;
      const was = await displayName();

      // A form with two keys for one list changes nothing.
      const twoKeys = await admin.post(`${path}/attributes`, {
        ...keys,
        'groups-after': 'club60',
        displayName: 'Joiner Again',
      });
      assert.equal(twoKeys.status, 400);
      assert.match(await twoKeys.text(), /two page keys; nothing was changed/);
      assert.equal(await displayName(), was);

      const saved = await admin.post(`${path}/attributes`, { ...keys, displayName: 'Joiner Again' });
      assert.equal(saved.status, 303);
      assert.equal(saved.headers.get('location'), `${at}&done=edited`);
      assert.equal(await displayName(), 'Joiner Again');
      const back = await (await admin.get(saved.headers.get('location') ?? '')).text();
      assert.match(back, /The attributes were saved/);
      assert.deepEqual(
        groupNames(back),
        CLUBS.slice(2, 52).map((c) => c.name),
      );
      assert.deepEqual(
        firstCells(back, 'reach'),
        FAR.slice(2, 52).map((a) => a.name),
      );
      // The buttons come back there too.
      const mfa = await admin.post(`${path}/reset-mfa`, keys);
      assert.equal(mfa.status, 303);
      assert.equal(mfa.headers.get('location'), `${at}&done=mfa-reset`);
    });

    it('refuses a form without the CSRF token, or with a wrong one, and changes nothing', async () => {
      const forms: Array<[string, Record<string, string>]> = [
        [`/admin/users/${org.users.alice}/disable`, {}],
        [`/admin/users/${org.users.alice}/attributes`, { displayName: 'Forged' }],
        ['/admin/groups', { name: 'Forged' }],
        ['/admin/permission-sets', { name: 'Forged' }],
        [`/admin/permission-sets/${org.permissionSets.ReadOnly}/delete`, {}],
      ];
      const before = await userRow('alice');
      for (const [path, fields] of forms) {
        for (const csrf of [null, 'wrong-token', `${admin.who?.csrf}x`]) {
          const res = await admin.post(path, fields, csrf);
          assert.equal(res.status, 403, path);
          assert.match(await res.text(), /nothing was changed/);
        }
      }
      assert.deepEqual(await userRow('alice'), before);
      const db = server.deps.ctx.store.db;
      assert.deepEqual(
        await db.selectFrom('groups').select('id').where('display_name', '=', 'Forged').execute(),
        [],
      );
      assert.deepEqual(
        await db.selectFrom('permission_sets').select('id').where('name', '=', 'Forged').execute(),
        [],
      );
    });

    it('disables a user: their session ends at once, audited with the administrator', async () => {
      const victim = await signIn(server.deps, org.users.user000 ?? '');
      const before = await fetch(`${server.url}/start`, {
        redirect: 'manual',
        headers: { cookie: victim.cookie },
      });
      assert.equal(before.status, 200);
      const res = await admin.post(`/admin/users/${org.users.user000}/disable`, {});
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), `/admin/users/${org.users.user000}?done=disabled`);
      assert.equal(await statusOf('user000'), 'DISABLED');
      const afterwards = await fetch(`${server.url}/start`, {
        redirect: 'manual',
        headers: { cookie: victim.cookie },
      });
      assert.equal(afterwards.status, 303);
      const audit = await auditRows(server.deps, 'user.disable', org.users.user000 ?? '');
      assert.deepEqual(
        audit.map((e) => [e.actor, JSON.parse(e.detail ?? '{}').via, e.source_ip]),
        [[`user:${org.users.root}`, 'admin-console', '127.0.0.1']],
      );
      const page = await (await admin.get(`/admin/users/${org.users.user000}?done=disabled`)).text();
      assert.match(page, /The user is disabled/);
      assert.match(page, /Enable user/);
      const again = await admin.post(`/admin/users/${org.users.user000}/enable`, {});
      assert.equal(again.status, 303);
      assert.equal(await statusOf('user000'), 'ENABLED');
    });

    it('signs a user out everywhere and resets their MFA, each audited with the administrator', async () => {
      const victim = await signIn(server.deps, org.users.user001 ?? '');
      const out = await admin.post(`/admin/users/${org.users.user001}/sign-out`, {});
      assert.equal(out.status, 303);
      const afterwards = await fetch(`${server.url}/start`, {
        redirect: 'manual',
        headers: { cookie: victim.cookie },
      });
      assert.equal(afterwards.status, 303);
      assert.equal(await statusOf('user001'), 'ENABLED');
      const mfa = await admin.post(`/admin/users/${org.users.user001}/reset-mfa`, {});
      assert.equal(mfa.status, 303);
      const rows = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select(['action', 'actor'])
        .where('target_id', '=', org.users.user001 ?? '')
        .orderBy('id')
        .execute();
      assert.deepEqual(rows, [
        { action: 'user.sessions_revoke', actor: `user:${org.users.root}` },
        { action: 'mfa.reset', actor: `user:${org.users.root}` },
      ]);
    });

    it('refuses to let an administrator disable themselves', async () => {
      const res = await admin.post(`/admin/users/${org.users.root}/disable`, {});
      assert.equal(res.status, 409);
      assert.match(await res.text(), /cannot disable yourself/);
      assert.doesNotMatch(await (await admin.get(`/admin/users/${org.users.root}`)).text(), /Disable user/);
      assert.equal(await statusOf('root'), 'ENABLED');
    });

    it('refuses to disable a directory user: the directory owns their status', async () => {
      const res = await admin.post(`/admin/users/${org.users.carol}/disable`, {});
      assert.equal(res.status, 409);
      assert.match(await res.text(), /comes from the directory/);
      assert.equal(await statusOf('carol'), 'ENABLED');
    });

    it('edits a user’s attributes as UpdateUser does, never a directory user’s', async () => {
      const path = `/admin/users/${org.users.alice}/attributes`;
      const form = await (await admin.get(`/admin/users/${org.users.alice}`)).text();
      assert.match(form, /name="displayName" value="Alice Doe"/);
      const saved = await admin.post(path, {
        displayName: HOSTILE.quotes,
        givenName: 'Alice',
        familyName: '',
        email: 'alice@new.example',
      });
      assert.equal(saved.status, 303);
      const row = await userRow('alice');
      assert.deepEqual(
        [row.display_name, row.given_name, row.family_name, row.email, row.updated_by],
        [HOSTILE.quotes, 'Alice', null, 'alice@new.example', `user:${org.users.root}`],
      );
      const page = await (await admin.get(saved.headers.get('location') ?? '')).text();
      assert.match(page, /The attributes were saved/);
      assert.doesNotMatch(page, /<b>bold/);
      assert.match(page, /value="O&#39;Brien &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;\/b&gt;"/);
      const audit = await auditRow(server.deps, 'user.update', org.users.alice ?? '');
      assert.equal(audit.actor, `user:${org.users.root}`);
      assert.deepEqual(JSON.parse(audit.detail ?? '{}').changed.sort(), ['DisplayName', 'Emails', 'Name']);

      const carol = await userRow('carol');
      const directory = await admin.post(`/admin/users/${org.users.carol}/attributes`, {
        displayName: 'Not Carol',
      });
      assert.equal(directory.status, 409);
      assert.match(await directory.text(), /comes from the directory, which owns their attributes/);
      assert.deepEqual(await userRow('carol'), carol);
      assert.doesNotMatch(
        await (await admin.get(`/admin/users/${org.users.carol}`)).text(),
        /Edit attributes/,
      );
    });

    it('creates a user, audited as coming from the console', async () => {
      const res = await admin.post('/admin/users', {
        userName: 'dave',
        displayName: 'Dave Poe',
        givenName: 'Dave',
        familyName: 'Poe',
        email: 'dave@corp.example',
      });
      assert.equal(res.status, 303);
      const id = /\/admin\/users\/([^?]+)\?done=created/.exec(res.headers.get('location') ?? '')?.[1] ?? '';
      const row = await server.deps.ctx.store.db
        .selectFrom('users')
        .select(['user_name', 'display_name', 'email', 'given_name', 'status'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(row, {
        user_name: 'dave',
        display_name: 'Dave Poe',
        email: 'dave@corp.example',
        given_name: 'Dave',
        status: 'ENABLED',
      });
      const audit = await auditRow(server.deps, 'user.create', id);
      assert.equal(audit.actor, `user:${org.users.root}`);
      assert.equal(JSON.parse(audit.detail ?? '{}').via, 'admin-console');
      const dup = await admin.post('/admin/users', { userName: 'DAVE', displayName: 'Another' });
      assert.equal(dup.status, 409);
      assert.match(await dup.text(), /exists already/);
    });

    it('sets a password the user signs in with, never a directory user’s, and never one too short', async () => {
      const id = org.users.user002 ?? '';
      const hashOf = async (userId: string) =>
        (
          await server.deps.ctx.store.db
            .selectFrom('users')
            .select('password_hash')
            .where('id', '=', userId)
            .executeTakeFirstOrThrow()
        ).password_hash;
      const short = await admin.post(`/admin/users/${id}/password`, { password: 'short' });
      assert.equal(short.status, 400);
      assert.match(await short.text(), /at least 8 characters/);
      assert.equal(await hashOf(id), null);
      const directory = await admin.post(`/admin/users/${org.users.carol}/password`, {
        password: 'a long passphrase',
      });
      assert.equal(directory.status, 409);
      assert.equal(await hashOf(org.users.carol ?? ''), null);

      const res = await admin.post(`/admin/users/${id}/password`, { password: ' a long passphrase ' });
      assert.equal(res.status, 303);
      const stored = (await hashOf(id)) ?? '';
      assert.ok(
        await verify(stored, ' a long passphrase '),
        'the password is stored as typed, spaces included',
      );
      const audit = await auditRow(server.deps, 'user.password.set', id);
      assert.equal(audit.actor, `user:${org.users.root}`);
      assert.doesNotMatch(audit.detail ?? '', /passphrase/);
    });

    it('answers bad input with a 400 page that says what to fix, and changes nothing', async () => {
      const count = await userCount();
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ userName: 'eve\u0007', displayName: 'Eve' }, /control character|form field/i],
        [{ userName: 'e'.repeat(129), displayName: 'Eve' }, /too long/],
        [{ userName: 'eve', displayName: 'x'.repeat(1025) }, /too long/],
        [{ userName: 'eve smith', displayName: 'Eve' }, /whitespace/],
        [{ userName: '', displayName: 'Eve' }, /missing/],
        [{ userName: 'eve', displayName: 'Eve', email: 'not-an-email' }, /e-?mail/i],
      ];
      for (const [fields, message] of cases) {
        const res = await admin.post('/admin/users', fields);
        assert.equal(res.status, 400, JSON.stringify(fields));
        assert.match(await res.text(), message);
      }
      assert.equal(await userCount(), count);
      const bob = await userRow('bob');
      const edits: Array<[Record<string, string>, RegExp]> = [
        [{ displayName: '' }, /missing/],
        [{ displayName: 'x'.repeat(1025) }, /too long/],
        [{ displayName: 'Bob', email: 'not-an-email' }, /e-?mail/i],
        [{ displayName: 'Bob', givenName: 'B\u0007' }, /control character|form field/i],
      ];
      for (const [fields, message] of edits) {
        const res = await admin.post(`/admin/users/${org.users.bob}/attributes`, fields);
        assert.equal(res.status, 400, JSON.stringify(fields));
        assert.match(await res.text(), message);
      }
      assert.deepEqual(await userRow('bob'), bob);
      const unknown = await admin.post('/admin/users/00000000-0000-4000-8000-000000000000/disable', {});
      assert.equal(unknown.status, 400);
      assert.match(await unknown.text(), /does not exist/);
      const malformed = await admin.post('/admin/users/..%2F..%2Fx/disable', {});
      assert.ok([400, 404].includes(malformed.status));
      const longSearch = await admin.get(`/admin/users?q=${'a'.repeat(129)}`);
      assert.equal(longSearch.status, 400);
      const controlSearch = await admin.get('/admin/users?q=a%00b');
      assert.equal(controlSearch.status, 400);
      const missing = await admin.get('/admin/users/00000000-0000-4000-8000-000000000000');
      assert.equal(missing.status, 404);
    });
  });
}
