/**
 * A permission set's tags in the admin console, in Debian chromium on SQLite and PostgreSQL,
 * judged by @aws-sdk/client-sso-admin:
 *
 * - An administrator adds a tag, changes its value and removes it; ListTagsForResource then
 *   answers what the console did. What TagResource refuses (an `aws:` key, a character or a
 *   length AWS does not take, a 76th tag) is refused with the reason, nothing changed. A form
 *   without the session's CSRF token, and a read-only administrator (offered no control,
 *   refused as sso:TagResource and sso:UntagResource), change nothing. Each change is audited
 *   with the administrator via admin-console, shows as drift in `idcenter apply --dry-run`, and
 *   is in `idcenter export`.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ListTagsForResourceCommand,
  type SSOAdminClient,
  type Tag,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-sso-admin';
import type { Page, Response } from 'playwright-core';
import { exportOrg } from '../../src/app/export/index.ts';
import { idcenter } from '../helpers/apply.ts';
import { auditRows } from '../helpers/oidc.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  ConsoleClient,
  formPosted,
  type PermissionSetConsole,
  startPermissionSetConsole,
} from './admin-console-fixtures.ts';

for (const kind of STORE_KINDS) {
  describe(`admin console: permission set tags in chromium (${kind})`, () => {
    let server: TestServer;
    let page: Page;
    let sso: SSOAdminClient;
    let inst: string;
    let devId: string;
    let devArn: string;
    let aliceId: string;
    let alice: ConsoleClient;
    let bob: ConsoleClient;
    let fixture: PermissionSetConsole | undefined;
    const psPath = () => `/admin/permission-sets/${devId}`;

    before(async () => {
      fixture = await startPermissionSetConsole(kind);
      ({ server, page, sso, devId, devArn, aliceId, alice } = fixture);
      inst = fixture.instanceArn;
      bob = await ConsoleClient.as(server.url, server.deps, await fixture.userIdOf('bob'));
    });
    after(async () => fixture?.stop());

    const posted = (act: () => Promise<void>) => formPosted(page, act);
    const clickButton = (name: string) =>
      posted(() => page.getByRole('button', { name, exact: true }).click());

    /** Every tag ListTagsForResource answers, page by page. */
    const tags = async () => {
      const all: Tag[] = [];
      let token: string | undefined;
      do {
        const out = await sso.send(
          new ListTagsForResourceCommand({ InstanceArn: inst, ResourceArn: devArn, NextToken: token }),
        );
        all.push(...(out.Tags ?? []));
        token = out.NextToken;
      } while (token);
      return all;
    };
    /** Types a tag into the page's form and saves it. */
    async function saveTag(key: string, value: string): Promise<Response> {
      await page.goto(`${server.url}${psPath()}`);
      await page.getByText('Add or change a tag').click();
      await page.fill('#tag-key', key);
      await page.fill('#tag-value', value);
      return posted(() => page.press('#tag-value', 'Enter'));
    }

    it('adds a tag, changes its value and removes another, as ListTagsForResource then answers', async () => {
      await page.goto(`${server.url}${psPath()}`);
      assert.equal(await page.locator('#ps-no-tags').count(), 1);
      assert.deepEqual(await tags(), []);

      const added = await saveTag('Cost Center', 'platform-team');
      assert.equal(added.status(), 303);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The tag was saved/);
      assert.deepEqual(await tags(), [{ Key: 'Cost Center', Value: 'platform-team' }]);
      assert.equal((await saveTag('Cost Center', 'sec')).status(), 303);
      assert.equal((await saveTag('owner', '')).status(), 303);
      assert.deepEqual(await tags(), [
        { Key: 'Cost Center', Value: 'sec' },
        { Key: 'owner', Value: '' },
      ]);
      assert.deepEqual(await page.locator('#ps-tags tbody td:first-child').allTextContents(), [
        'Cost Center',
        'owner',
      ]);

      // A key with spaces at its ends (the API takes one) is removed as it is.
      await sso.send(
        new TagResourceCommand({
          InstanceArn: inst,
          ResourceArn: devArn,
          Tags: [{ Key: ' spaced ', Value: 'v' }],
        }),
      );
      await page.goto(`${server.url}${psPath()}`);
      assert.equal((await clickButton('Remove tag  spaced ')).status(), 303);
      assert.deepEqual(await tags(), [
        { Key: 'Cost Center', Value: 'sec' },
        { Key: 'owner', Value: '' },
      ]);

      const removed = await clickButton('Remove tag owner');
      assert.equal(removed.status(), 303);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The tag was removed/);
      assert.deepEqual(await tags(), [{ Key: 'Cost Center', Value: 'sec' }]);
    });

    it('refuses what TagResource refuses with the reason, and changes nothing', async () => {
      const before = await tags();
      for (const [key, value, why] of [
        ['aws:owner', 'x', /keys starting with "aws:" are reserved/],
        ['AWS:cost', 'x', /reserved/],
        ['semi;colon', 'x', /tag key may contain only/i],
        ['team', 'a<b', /tag value may contain only/i],
      ] as const) {
        const res = await saveTag(key, value);
        assert.equal(res.status(), 400, key);
        const main = (await page.locator('main').textContent()) ?? '';
        assert.match(main, why, key);
        assert.match(main, /nothing was changed/, key);
      }
      // Longer than the fields take (which a browser would not send): as the API, by the use case.
      for (const [fields, why] of [
        [{ key: 'k'.repeat(129), value: '' }, /tag key .*at most 128/i],
        [{ key: 'team', value: 'v'.repeat(257) }, /tag value .*at most 256/i],
        [{ key: '', value: 'x' }, /The tag key is missing/],
      ] as const) {
        const res = await alice.post(`${psPath()}/tags`, fields);
        assert.equal(res.status, 400);
        assert.match(await res.text(), why);
      }
      assert.deepEqual(await tags(), before);

      // 75 tags at most, as TagResource counts them.
      const extra = Array.from({ length: 74 }, (_, i) => ({ Key: `extra${i}`, Value: 'v' }));
      await sso.send(new TagResourceCommand({ InstanceArn: inst, ResourceArn: devArn, Tags: extra }));
      const full = await tags();
      assert.equal(full?.length, 75);
      const over = await saveTag('one-more', 'v');
      assert.equal(over.status(), 409);
      assert.match((await page.locator('main').textContent()) ?? '', /at most 75 tags; nothing was changed/);
      assert.deepEqual(await tags(), full);
      // A tag it has takes a new value even then; the extra tags go (the last one in the console).
      assert.equal((await saveTag('extra0', 'w')).status(), 303);
      await sso.send(
        new UntagResourceCommand({
          InstanceArn: inst,
          ResourceArn: devArn,
          TagKeys: extra.slice(1).map((t) => t.Key),
        }),
      );
      await page.goto(`${server.url}${psPath()}`);
      assert.equal((await clickButton('Remove tag extra0')).status(), 303);
      assert.deepEqual(await tags(), before);
    });

    it('refuses a tag form without the session’s CSRF token, and a read-only administrator, changing nothing', async () => {
      const before = await tags();
      const forms: Array<[string, Record<string, string>, string]> = [
        [`${psPath()}/tags`, { key: 'team', value: 'blue' }, 'sso:TagResource'],
        [`${psPath()}/tags/delete`, { key: 'Cost Center' }, 'sso:UntagResource'],
      ];
      for (const [action, fields] of forms) {
        assert.equal((await alice.post(action, fields, null)).status, 403, action);
        assert.equal((await alice.post(action, fields, bob.who?.csrf)).status, 403, action);
      }
      const bobPage = await (await bob.get(psPath())).text();
      assert.match(bobPage, /Cost Center/);
      assert.doesNotMatch(
        bobPage,
        /Add or change a tag|Save the tag|Remove<span class="visually-hidden"> tag/,
      );
      const denied = (await auditRows(server.deps, 'admin.access_denied')).length;
      for (const [action, fields, iamAction] of forms) {
        const res = await bob.post(action, fields);
        assert.equal(res.status, 403, action);
        assert.ok((await res.text()).includes(iamAction), iamAction);
      }
      assert.equal((await auditRows(server.deps, 'admin.access_denied')).length, denied + 2);
      assert.deepEqual(await tags(), before);
    });

    it('audits the tag changes with the administrator; apply --dry-run names them, and export writes them', async () => {
      const byConsole = (await auditRows(server.deps, 'permission_set.update', devId)).filter(
        (a) => JSON.parse(a.detail ?? '{}').via === 'admin-console',
      );
      assert.ok(byConsole.every((a) => a.actor === `user:${aliceId}`));
      assert.deepEqual(
        byConsole.slice(0, 5).map((a) => JSON.parse(a.detail ?? '{}')),
        [
          { tagged: ['Cost Center'], via: 'admin-console' },
          { tagged: ['Cost Center'], via: 'admin-console' },
          { tagged: ['owner'], via: 'admin-console' },
          { untagged: [' spaced '], via: 'admin-console' },
          { untagged: ['owner'], via: 'admin-console' },
        ],
      );
      const dry = await idcenter([
        'apply',
        '-f',
        path.join(server.config.dataDir, 'org.yaml'),
        '--dry-run',
        '--database-url',
        server.config.databaseUrl,
      ]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /^! changed outside the file: permission set Developer updated \(.+\) by user:alice via admin-console at /m,
      );
      assert.match(dry.stdout, /^~ update permission set Developer/m);
      assert.match(dry.stdout, /tags/);
      assert.match((await exportOrg(server.deps.ctx)).text, /Cost Center: sec/);
    });

    it('raised no script error on any page', () => {
      assert.deepEqual(fixture?.pageErrors, []);
    });
  });
}
