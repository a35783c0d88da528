/**
 * External ids through `idcenter apply`, on SQLite and PostgreSQL: one (issuer, id) names one
 * user and one group. Two users of the file may trade theirs in one apply; one that a user
 * outside the file holds is refused, naming both, with the store left as it was, and taken over
 * when --prune deletes that user.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAppContext } from '../../src/app/context.ts';
import { type AppliedStore, applyText, openAppliedStore, snapshot } from '../helpers/apply.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ISSUER = 'https://scim.example.com';
const org = (ann: string, bob: string, zed?: string) => `
groups:
  - { name: Ops, externalIds: [{ issuer: "${ISSUER}", id: g-ops }] }
users:
  - { userName: ann, displayName: Ann, externalIds: [{ issuer: "${ISSUER}", id: ${ann} }] }
  - { userName: bob, displayName: Bob, externalIds: [{ issuer: "${ISSUER}", id: ${bob} }, { issuer: other, id: b-2 }] }
${zed ? `  - { userName: zed, displayName: Zed, externalIds: [{ issuer: "${ISSUER}", id: ${zed} }] }\n` : ''}`;

for (const kind of STORE_KINDS) {
  describe(`external ids through apply (${kind})`, () => {
    let applied: AppliedStore;
    const held = async () =>
      (
        await applied.store.db
          .selectFrom('user_external_ids as e')
          .innerJoin('users as u', 'u.id', 'e.user_id')
          .select(['u.user_name', 'e.issuer', 'e.external_id', 'e.position'])
          .orderBy('u.user_name')
          .orderBy('e.position')
          .execute()
      ).map((r) => `${r.user_name} ${r.issuer} ${r.external_id} ${r.position}`);
    before(async () => {
      applied = await openAppliedStore(kind, org('a-1', 'b-1', 'z-1'));
    });
    after(async () => applied?.close());

    it('writes them, in order, and lets two users of the file trade theirs', async () => {
      assert.deepEqual(await held(), [
        `ann ${ISSUER} a-1 0`,
        `bob ${ISSUER} b-1 0`,
        'bob other b-2 1',
        `zed ${ISSUER} z-1 0`,
      ]);
      const group = await applied.store.db
        .selectFrom('group_external_ids')
        .select(['issuer', 'external_id'])
        .execute();
      assert.deepEqual(group, [{ issuer: ISSUER, external_id: 'g-ops' }]);
      const r = await applyText(createAppContext(applied.store), org('b-1', 'a-1', 'z-1'));
      assert.equal(r.applied, true);
      assert.deepEqual(await held(), [
        `ann ${ISSUER} b-1 0`,
        `bob ${ISSUER} a-1 0`,
        'bob other b-2 1',
        `zed ${ISSUER} z-1 0`,
      ]);
    });

    it('refuses one that a user outside the file holds, and takes it over with --prune', async () => {
      const ctx = createAppContext(applied.store);
      const before = await snapshot(applied.store);
      await assert.rejects(
        applyText(ctx, org('z-1', 'a-1')),
        new RegExp(
          `user "ann": the external id "z-1" of issuer "${ISSUER.replaceAll('.', '\\.')}" belongs to user "zed", which the file does not declare`,
        ),
      );
      assert.deepEqual(await snapshot(applied.store), before);
      const pruned = await applyText(ctx, org('z-1', 'a-1'), { prune: true });
      assert.equal(pruned.applied, true);
      assert.deepEqual(await held(), [`ann ${ISSUER} z-1 0`, `bob ${ISSUER} a-1 0`, 'bob other b-2 1']);
    });
  });
}
