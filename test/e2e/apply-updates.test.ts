/**
 * `idcenter apply` updating many rows at once, on both stores: every changed user, group and
 * account gets its own new values (PostgreSQL writes them in statements of many rows, grouped by
 * the columns that change), unchanged rows are not touched, nulls are written as nulls, and a
 * re-apply finds nothing to do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AppContext, createAppContext } from '../../src/app/context.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { applyText } from '../helpers/apply.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const USERS = 40;
const GROUPS = 12;
const ACCOUNTS = 12;

const acct = (i: number) => String(100000000000 + i);

/** The organization; `v2` changes a different set of columns for each slice of the rows. */
function org(v2: boolean): string {
  const out = [`managementAccount: "${acct(0)}"`, 'accounts:'];
  for (let i = 0; i < ACCOUNTS; i++) {
    const renamed = v2 && i % 3 === 1;
    const moved = v2 && i % 3 === 2;
    out.push(
      `  - { id: "${acct(i)}", name: "${renamed ? `Renamed ${i}` : `Account ${i}`}", email: a${i}@example.com${moved ? '' : ', ou: /Workloads'} }`,
    );
  }
  out.push('groups:');
  for (let i = 0; i < GROUPS; i++) {
    // v2: a third lose their description (null), a third get a new one.
    const description = !v2 || i % 3 === 0 ? `Group ${i}` : i % 3 === 1 ? null : `New ${i}`;
    out.push(`  - { name: G${i}${description === null ? '' : `, description: "${description}"`} }`);
  }
  out.push('users:');
  for (let i = 0; i < USERS; i++) {
    const slice = v2 ? i % 4 : 0;
    // 1: new names and no e-mail (null); 2: disabled; 3: names changed and disabled.
    const names = slice === 1 || slice === 3;
    const email = slice === 1 ? '' : `, email: u${i}@example.com`;
    out.push(
      `  - { userName: u${i}, displayName: "${names ? `New User ${i}` : `User ${i}`}", givenName: "${names ? `N${i}` : `G${i}`}", familyName: F${i}${email}${slice >= 2 ? ', disabled: true' : ''} }`,
    );
  }
  return `${out.join('\n')}\n`;
}

for (const kind of STORE_KINDS) {
  describe(`idcenter apply updating many rows on ${kind}`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    let ctx: AppContext;
    const clock = new ManualClock();
    let created: number;
    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
      ctx = createAppContext(store, { clock });
      created = clock.now();
      assert.equal((await applyText(ctx, org(false))).applied, true);
    });
    after(async () => {
      await store.close();
      await temp.cleanup();
    });

    it('gives every changed row its own values and leaves the others alone', async () => {
      clock.advance(60_000);
      const updated = clock.now();
      const r = await applyText(ctx, org(true));
      assert.equal(r.applied, true);

      const users = await store.db
        .selectFrom('users')
        .select(['user_name', 'display_name', 'given_name', 'family_name', 'email', 'status', 'updated_at'])
        .orderBy('user_name')
        .execute();
      assert.equal(users.length, USERS);
      for (const u of users) {
        const i = Number(u.user_name.slice(1));
        const slice = i % 4;
        const names = slice === 1 || slice === 3;
        assert.deepEqual(
          {
            display: u.display_name,
            given: u.given_name,
            family: u.family_name,
            email: u.email,
            status: u.status,
            updated: Number(u.updated_at),
          },
          {
            display: names ? `New User ${i}` : `User ${i}`,
            given: names ? `N${i}` : `G${i}`,
            family: `F${i}`,
            email: slice === 1 ? null : `u${i}@example.com`,
            status: slice >= 2 ? 'DISABLED' : 'ENABLED',
            updated: slice === 0 ? created : updated,
          },
          `user ${u.user_name}`,
        );
      }

      const groups = await store.db
        .selectFrom('groups')
        .select(['display_name', 'description', 'updated_at'])
        .execute();
      assert.equal(groups.length, GROUPS);
      for (const g of groups) {
        const i = Number(g.display_name.slice(1));
        const expected = i % 3 === 0 ? `Group ${i}` : i % 3 === 1 ? null : `New ${i}`;
        assert.equal(g.description, expected, `group ${g.display_name}`);
        assert.equal(Number(g.updated_at), i % 3 === 0 ? created : updated, `group ${g.display_name}`);
      }

      const accounts = await store.db
        .selectFrom('accounts as a')
        .leftJoin('ous as o', 'o.id', 'a.ou_id')
        .select(['a.id', 'a.name', 'o.name as ou', 'a.updated_at'])
        .execute();
      assert.equal(accounts.length, ACCOUNTS);
      for (const a of accounts) {
        const i = Number(a.id) - 100000000000;
        assert.equal(a.name, i % 3 === 1 ? `Renamed ${i}` : `Account ${i}`, `account ${a.id}`);
        assert.equal(a.ou, i % 3 === 2 ? null : 'Workloads', `account ${a.id}`);
        assert.equal(Number(a.updated_at), i % 3 === 0 ? created : updated, `account ${a.id}`);
      }

      // One audit event per changed row, as before.
      const events = await store.db
        .selectFrom('audit_events')
        .select(['action'])
        .where('at', '=', updated)
        .execute();
      const countOf = (action: string) => events.filter((e) => e.action === action).length;
      assert.equal(countOf('account.update'), 8);
      assert.equal(countOf('group.update'), 8);
      assert.equal(countOf('user.update'), 20);
      assert.equal(countOf('user.disable'), 20);
    });

    it('finds nothing to do when the same file is applied again', async () => {
      clock.advance(60_000);
      assert.equal((await applyText(ctx, org(true))).changed, false);
    });
  });
}
