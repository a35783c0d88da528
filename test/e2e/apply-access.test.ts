/**
 * Effective access after an apply, on both stores: own ∪ via groups, paged by account id without
 * gaps or repeats, also when one principal holds several permission sets in the same account.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  findAccessibleRole,
  listAccessibleAccounts,
  listAccessibleRoles,
  listAllAccess,
} from '../../src/app/access.ts';
import type { Store } from '../../src/storage/db.ts';
import { type AppliedStore, openAppliedStore } from '../helpers/apply.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ids = Array.from({ length: 12 }, (_, i) => String(100000000000 + i));
/** More groups than one query per principal is worth: the single-query path. */
const MANY = Array.from({ length: 205 }, (_, i) => `m${i}`);
const ORG = `
accounts:
${ids.map((id, i) => `  - { id: "${id}", name: A${i}, email: a${i}@example.com, ou: /${i < 6 ? 'Low' : 'High'} }`).join('\n')}
groups:
  - { name: Low }
  - { name: Odd }
  - { name: Nobody }
${MANY.map((g) => `  - { name: ${g} }`).join('\n')}
users:
  - { userName: alice, displayName: A, givenName: A, familyName: D, groups: [Low, Odd] }
  - { userName: bob, displayName: B, givenName: B, familyName: R }
  - { userName: many, displayName: M, givenName: M, familyName: N, groups: [${MANY.join(', ')}] }
permissionSets: [ { name: P1 }, { name: P2 }, { name: P3 } ]
assignments:
  - { group: Low, permissionSet: P1, ous: [/Low] }
  - { group: Low, permissionSet: P2, ous: [/Low] }
  - { group: Odd, permissionSet: P3, accounts: [${ids
    .filter((_, i) => i % 2 === 1)
    .map((id) => `"${id}"`)
    .join(', ')}] }
  - { user: alice, permissionSet: P3, accounts: ["${ids[11]}", "${ids[0]}"] }
  - { group: Nobody, permissionSet: P1, accounts: ["${ids[10]}"] }
${MANY.map((g, i) => `  - { group: ${g}, permissionSet: P${1 + (i % 3)}, accounts: ["${ids[(i * 5) % 11]}"] }`).join('\n')}
`;

for (const kind of STORE_KINDS) {
  describe(`effective access on ${kind}`, () => {
    let applied: AppliedStore;
    let store: Store;
    let alice: string;
    let bob: string;
    before(async () => {
      applied = await openAppliedStore(kind, ORG);
      ({ store } = applied);
      const users = await store.db.selectFrom('users').select(['id', 'user_name']).execute();
      alice = users.find((u) => u.user_name === 'alice')?.id ?? '';
      bob = users.find((u) => u.user_name === 'bob')?.id ?? '';
    });
    after(async () => {
      await applied.close();
    });

    it('pages every account exactly once, whatever the page size', async () => {
      // Low: 0–5 (two permission sets each), Odd: 1,3,5,7,9,11, alice directly: 0 and 11.
      const expected = [0, 1, 2, 3, 4, 5, 7, 9, 11].map((i) => ids[i]);
      for (const limit of [1, 2, 3, 4, 100]) {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await listAccessibleAccounts(store, alice, { after, limit });
          assert.ok(page.length <= limit);
          if (page.length === 0) break;
          seen.push(...page.map((a) => a.accountId));
          after = page.at(-1)?.accountId;
        }
        assert.deepEqual(seen, expected, `limit ${limit}`);
      }
      const first = await listAccessibleAccounts(store, alice, { limit: 1 });
      assert.deepEqual(first, [{ accountId: ids[0], accountName: 'A0', emailAddress: 'a0@example.com' }]);
      assert.deepEqual(await listAccessibleAccounts(store, bob, { limit: 100 }), []);
    });

    it('pages a user in more than 200 groups the same way', async () => {
      const many = (
        await store.db
          .selectFrom('users')
          .select('id')
          .where('user_name', '=', 'many')
          .executeTakeFirstOrThrow()
      ).id;
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await listAccessibleAccounts(store, many, { after, limit: 4 });
        if (page.length === 0) break;
        seen.push(...page.map((a) => a.accountId));
        after = page.at(-1)?.accountId;
      }
      assert.deepEqual(seen, ids.slice(0, 11), 'every account but the last, once each');
    });

    it('lists roles per account and finds a role by name', async () => {
      assert.deepEqual(
        (await listAccessibleRoles(store, alice, ids[1] ?? '')).map((r) => r.roleName),
        ['P1', 'P2', 'P3'],
      );
      assert.deepEqual(
        (await listAllAccess(store, alice)).map((a) => `${a.accountId}:${a.roles.join('+')}`),
        [
          `${ids[0]}:P1+P2+P3`,
          `${ids[1]}:P1+P2+P3`,
          `${ids[2]}:P1+P2`,
          `${ids[3]}:P1+P2+P3`,
          `${ids[4]}:P1+P2`,
          `${ids[5]}:P1+P2+P3`,
          `${ids[7]}:P3`,
          `${ids[9]}:P3`,
          `${ids[11]}:P3`,
        ],
      );
      const role = async (accountId: string, roleName: string) =>
        (await findAccessibleRole(store, alice, accountId, roleName))?.roleName;
      assert.equal(await role(ids[7] ?? '', 'P3'), 'P3');
      assert.equal(await role(ids[7] ?? '', 'P1'), undefined);
      assert.equal(await role(ids[10] ?? '', 'P1'), undefined);
    });
  });
}
