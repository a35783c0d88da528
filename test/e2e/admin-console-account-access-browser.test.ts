/**
 * "Who can access this account and how" with many principals under one permission set, on
 * SQLite and PostgreSQL: 2,000 users and 60 groups assigned `Crowded` directly in one account.
 * The account page lists the first 20 users and 20 groups of the block and links to the page of
 * that account and permission set, which lists every user and every group, each paged by key on
 * and back while the other list stays on its page (issue 20). Removing an assignment there, in
 * Debian chromium with the keyboard alone, leaves the user out of what
 * @aws-sdk/client-sso-admin ListAccountAssignments answers and comes back to that page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListAccountAssignmentsCommand, type SSOAdminClient } from '@aws-sdk/client-sso-admin';
import type { Page } from 'playwright-core';
import { ssoPermissionSetArn } from '../../src/domain/iam/arn.ts';
import { ADMIN_ORG, instanceArn, roleCredentials, ssoAdminClient, WORKLOAD } from '../helpers/admin.ts';
import { applyText } from '../helpers/apply.ts';
import { launchBrowser, type TestBrowser, tabTo as tabToIn } from '../helpers/browser.ts';
import { type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { assertPagesBothWays, ConsoleClient, formPosted } from './admin-console-fixtures.ts';
import { signIn } from './portal-fixtures.ts';

const USERS = Array.from({ length: 2000 }, (_, i) => ({ userName: `many${String(i).padStart(4, '0')}` }));
const GROUPS = Array.from({ length: 60 }, (_, i) => ({ name: `crew${String(i).padStart(2, '0')}` }));

/** The names in the first cells of table `id`. */
const names = (page: string, id: string): string[] => {
  const table = new RegExp(`<table[^>]*id="${id}"[\\s\\S]*?</table>`).exec(page)?.[0] ?? '';
  return [...table.matchAll(/<tr>\s*<td[^>]*><a [^>]*><bdi>([^<]*)/g)].map((m) => m[1] ?? '');
};

for (const kind of STORE_KINDS) {
  describe(`admin console: an account's principals under one permission set, paged (${kind})`, () => {
    let server: TestServer;
    let seeded: SeededOrg;
    let admin: ConsoleClient;
    let sso: SSOAdminClient;
    let inst: string;
    let crowded: string;
    let aliceId: string;
    const pageErrors: string[] = [];
    const allPath = () => `/admin/accounts/${WORKLOAD}/permission-sets/${crowded}`;

    before(async () => {
      server = await startTestServer({
        store: kind,
        seed: async (deps) => {
          await applyText(deps.ctx, ADMIN_ORG);
          seeded = await seedOrg(deps.ctx, {
            users: USERS,
            groups: GROUPS,
            permissionSets: [{ name: 'Crowded' }],
            assignments: [
              ...USERS.map((u) => ({ user: u.userName, permissionSet: 'Crowded', accounts: [WORKLOAD] })),
              ...GROUPS.map((g) => ({ group: g.name, permissionSet: 'Crowded', accounts: [WORKLOAD] })),
            ],
          });
        },
      });
      crowded = seeded.permissionSets.Crowded ?? '';
      aliceId = (
        await server.deps.ctx.store.db
          .selectFrom('users')
          .select('id')
          .where('user_name_lower', '=', 'alice')
          .executeTakeFirstOrThrow()
      ).id;
      admin = await ConsoleClient.as(server.url, server.deps, aliceId);
      inst = await instanceArn(server);
      sso = ssoAdminClient(server.url, await roleCredentials(server, 'alice', 'Administrator'));
    });
    after(async () => server?.stop());

    it('lists the first 20 users and 20 groups of a permission set on the account page and links to them all', async () => {
      const page = await (await admin.get(`/admin/accounts/${WORKLOAD}`)).text();
      const block =
        /<div class="ps-block" data-permission-set="Crowded">([\s\S]*?)<\/div>/.exec(page)?.[1] ?? '';
      const users = [...block.matchAll(/<li>user <a [^>]*><bdi>([^<]*)/g)].map((m) => m[1]);
      const groups = [...block.matchAll(/<li>group <a [^>]*><bdi>([^<]*)/g)].map((m) => m[1]);
      assert.deepEqual(
        users,
        USERS.slice(0, 20).map((u) => u.userName),
      );
      assert.deepEqual(
        groups,
        GROUPS.slice(0, 20).map((g) => g.name),
      );
      assert.match(
        block,
        /and 1980 users and 40 groups more: <a href="([^"]+)">see all 2000 users and 60 groups/,
      );
      assert.equal(/<a href="([^"]+)">see all/.exec(block)?.[1], allPath());
      // 2,080 principals, a page that stays small: 40 unassign forms of the block, not 2,060.
      assert.equal([...block.matchAll(/name="principalId"/g)].length, 40);
      assert.ok(page.length < 100_000, `${page.length} characters`);
    });

    it('pages the users and the groups of the account and permission set on and back, by key', async () => {
      const users = await assertPagesBothWays(admin, allPath(), (p) => names(p, 'ps-users'), {
        next: 'after',
        prev: 'before',
        label: 'Pages of users',
      });
      assert.deepEqual(
        users.flat(),
        USERS.map((u) => u.userName),
      );
      assert.equal(users.length, 40);
      const groups = await assertPagesBothWays(admin, allPath(), (p) => names(p, 'ps-groups'), {
        next: 'groups-after',
        prev: 'groups-before',
        label: 'Pages of groups',
      });
      assert.deepEqual(
        groups.flat(),
        GROUPS.map((g) => g.name),
      );
      assert.equal(groups.length, 2);

      const both = await (await admin.get(`${allPath()}?after=many0049&groups-after=crew49`)).text();
      assert.equal(names(both, 'ps-users')[0], 'many0050');
      assert.equal(names(both, 'ps-groups')[0], 'crew50');
      assert.match(both, /Users assigned directly <span class="muted">\(2000\)/);
      assert.match(both, /Groups <span class="muted">\(60\)/);
    });

    it('keeps each list on its page while the other is paged, whichever key it was reached by (issue 20)', async () => {
      // The users on and back, the groups staying on their second page (reached with groups-after).
      const users = await assertPagesBothWays(
        admin,
        `${allPath()}?groups-after=crew49`,
        (p) => {
          assert.deepEqual(
            names(p, 'ps-groups'),
            GROUPS.slice(50).map((g) => g.name),
          );
          return names(p, 'ps-users');
        },
        { next: 'after', prev: 'before', label: 'Pages of users' },
      );
      assert.deepEqual(
        users.flat(),
        USERS.map((u) => u.userName),
      );
      // The groups on and back, the users staying on a page reached with before.
      const groups = await assertPagesBothWays(
        admin,
        `${allPath()}?before=many1000`,
        (p) => {
          assert.deepEqual(
            names(p, 'ps-users'),
            USERS.slice(950, 1000).map((u) => u.userName),
          );
          return names(p, 'ps-groups');
        },
        { next: 'groups-after', prev: 'groups-before', label: 'Pages of groups' },
      );
      assert.deepEqual(
        groups.flat(),
        GROUPS.map((g) => g.name),
      );
      // Each list's links carry the other's key exactly as the page was asked for with it.
      const page = await (await admin.get(`${allPath()}?after=many0049&groups-before=crew55`)).text();
      const links = (label: string) =>
        [
          ...(
            new RegExp(`<nav class="pager" aria-label="${label}">[\\s\\S]*?</nav>`).exec(page)?.[0] ?? ''
          ).matchAll(/href="([^"]*)"/g),
        ].map((m) => (m[1] ?? '').replace(/&amp;/g, '&').replace(allPath(), ''));
      assert.deepEqual(links('Pages of users'), [
        '?groups-before=crew55',
        '?groups-before=crew55&before=many0050',
        '?groups-before=crew55&after=many0099',
      ]);
      assert.deepEqual(links('Pages of groups'), [
        '?after=many0049',
        '?after=many0049&groups-before=crew05',
        '?after=many0049&groups-after=crew54',
      ]);
      // Two keys for one list are still refused, for either list.
      for (const query of [
        '?groups-after=crew01&groups-before=crew09',
        '?after=many0001&before=many0009&groups-after=crew01',
      ]) {
        const res = await admin.get(`${allPath()}${query}`);
        assert.equal(res.status, 400, query);
        assert.match(await res.text(), /two page keys/);
      }
    });

    it('answers with the strict CSP of the console; refuses two page keys, and answers 404 for an account or permission set that does not exist', async () => {
      const csp = (await admin.get(`/admin/accounts/${WORKLOAD}`)).headers.get('content-security-policy');
      assert.match(csp ?? '', /default-src 'none'|script-src 'self'/);
      assert.equal((await admin.get(allPath())).headers.get('content-security-policy'), csp);
      const twoKeys = await admin.get(`${allPath()}?after=many0001&before=many0009`);
      assert.equal(twoKeys.status, 400);
      assert.match(await twoKeys.text(), /two page keys/);
      for (const path of [
        `/admin/accounts/999999999999/permission-sets/${crowded}`,
        `/admin/accounts/${WORKLOAD}/permission-sets/ps-0000000000000000`,
        `/admin/accounts/${WORKLOAD}/permission-sets/nonsense`,
      ]) {
        assert.equal((await admin.get(path)).status, 404, path);
      }
    });

    it('reaches the page with the keyboard and removes a user’s assignment there, as sso-admin then lists', async () => {
      const listed = async () => {
        const ids: string[] = [];
        let token: string | undefined;
        do {
          const out = await sso.send(
            new ListAccountAssignmentsCommand({
              InstanceArn: inst,
              AccountId: WORKLOAD,
              PermissionSetArn: ssoPermissionSetArn(inst.slice(inst.lastIndexOf('/') + 1), crowded),
              MaxResults: 100,
              NextToken: token,
            }),
          );
          ids.push(...(out.AccountAssignments ?? []).map((a) => a.PrincipalId ?? ''));
          token = out.NextToken;
        } while (token);
        return ids;
      };
      const target = seeded.users.many0000 ?? '';
      assert.ok((await listed()).includes(target));
      const browser: TestBrowser = await launchBrowser();
      try {
        const who = await signIn(server.deps, aliceId);
        await browser.context.addCookies([{ name: who.cookieName, value: who.token, url: server.url }]);
        const page: Page = await browser.context.newPage();
        page.on('pageerror', (e) => pageErrors.push(String(e)));
        await page.goto(`${server.url}/admin/accounts/${WORKLOAD}`);
        const tabTo = (description: string, matches: (el: Element) => boolean) =>
          tabToIn(page, description, matches, 300);
        await tabTo('the link to every principal', (el) => el.textContent?.startsWith('see all') ?? false);
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        assert.equal(new URL(page.url()).pathname, allPath());
        await tabTo(
          'the first user’s remove button',
          (el) => el.tagName === 'BUTTON' && (el.textContent ?? '').includes('many0000'),
        );
        const res = await formPosted(page, () => page.keyboard.press('Enter'));
        assert.equal(res.status(), 303);
        assert.equal(new URL(page.url()).pathname, allPath());
        assert.match((await page.locator('[role=status]').textContent()) ?? '', /The assignment was deleted/);
        assert.equal(await page.locator('#ps-users tbody tr').first().locator('a').textContent(), 'many0001');
        assert.match((await page.locator('#ps-users-h').textContent()) ?? '', /\(1999\)/);
      } finally {
        await browser.close();
      }
      const after = await listed();
      assert.equal(after.includes(target), false);
      assert.equal(after.length, 2000 + 60 - 1);
      assert.deepEqual(pageErrors, []);
    });

    it('comes back to the pages both lists were on after removing an assignment there (issue 20)', async () => {
      const at = `${allPath()}?after=many0049&groups-before=crew55`;
      const page = await (await admin.get(at)).text();
      const form =
        /<form [^>]*action="\/admin\/assignments\/delete"[^>]*>([\s\S]*?)<\/form>/.exec(page)?.[1] ?? '';
      const fields = Object.fromEntries(
        [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
      );
      assert.equal(fields.principalId, seeded.users.many0050);
      assert.equal(fields.after, 'many0049');
      assert.equal(fields['groups-before'], 'crew55');
      assert.equal(fields.before, undefined);
      assert.equal(fields['groups-after'], undefined);

      const { _csrf: _, ...sent } = fields as Record<string, string>;
      // A form with two keys for one list changes nothing.
      const twoKeys = await admin.post('/admin/assignments/delete', { ...sent, before: 'many0060' });
      assert.equal(twoKeys.status, 400);
      assert.match(await twoKeys.text(), /two page keys; nothing was changed/);
      assert.equal(names(await (await admin.get(at)).text(), 'ps-users')[0], 'many0050');

      const removed = await admin.post('/admin/assignments/delete', sent);
      assert.equal(removed.status, 303);
      assert.equal(removed.headers.get('location'), `${at}&done=unassigned`);
      const back = await (await admin.get(removed.headers.get('location') ?? '')).text();
      assert.match(back, /The assignment was deleted/);
      assert.deepEqual(names(back, 'ps-users').slice(0, 2), ['many0051', 'many0052']);
      assert.deepEqual(
        names(back, 'ps-groups'),
        GROUPS.slice(5, 55).map((g) => g.name),
      );
    });
  });
}
