/**
 * `idcenter apply` changes IAM before it writes the store. When the store transaction then fails,
 * apply says exactly that: which IAM changes were made, that the store was not changed, and that
 * running apply again finishes. The real binary against moto's IAM; the store refuses the write
 * through a trigger on its accounts table, on both kinds of store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { MANAGEMENT, type ProvisioningSetup, setupProvisioning, withStore } from '../helpers/iam.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ORG = `
accounts: [ { id: "${MANAGEMENT}", name: Management, email: mgmt@example.com, access: aws } ]
users: [ { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe } ]
permissionSets: [ { name: Admin, sessionDuration: PT1H } ]
assignments: [ { user: alice, permissionSet: Admin, accounts: ["${MANAGEMENT}"] } ]
`;

for (const kind of STORE_KINDS) {
  describe(`idcenter apply: the store fails after IAM was changed (${kind})`, () => {
    let moto: Moto;
    let s: ProvisioningSetup;

    before(async () => {
      moto = await startMoto();
      s = await setupProvisioning(kind, moto);
      // An apply with nothing federated makes the store's instance; then inserting an account fails.
      assert.equal((await s.apply('accounts: []')).code, 0);
      await withStore(s, async (store) => {
        if (store.dialect === 'sqlite') {
          await sql`create trigger refuse_accounts before insert on accounts begin select raise(abort, 'refused by the test'); end`.execute(
            store.db,
          );
        } else {
          await sql`create function refuse_accounts() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`.execute(
            store.db,
          );
          await sql`create trigger refuse_accounts before insert on accounts for each row execute function refuse_accounts()`.execute(
            store.db,
          );
        }
      });
    });
    after(async () => {
      await s?.cleanup();
      await moto?.stop();
    });

    it('lists the IAM changes made, says the store was not changed and that apply again finishes', async () => {
      const r = await s.apply(ORG);
      assert.equal(r.code, 253, r.stdout);
      assert.match(r.stderr, /IAM was changed, but the store could not be written: .*refused by the test/);
      assert.match(
        r.stderr,
        new RegExp(
          `These 2 IAM changes were made \\(the audit log lists each as iam.change\\):\\n` +
            `  \\+ IAM ${MANAGEMENT}: create SAML provider idcenter from this server's metadata\\n` +
            `  \\+ IAM ${MANAGEMENT}: create role /idcenter/idcenter-Admin \\(permission set Admin, sessions up to 1h\\)\\n`,
        ),
      );
      assert.match(r.stderr, /The store was not changed: its transaction was rolled back\./);
      assert.match(r.stderr, /run idcenter apply again/);
      assert.doesNotMatch(r.stderr, /[Nn]othing was written/);

      // What it says holds: IAM has the provider and role, the store has no account, the audit log has both calls.
      const iam = await s.readIam(MANAGEMENT);
      assert.deepEqual(Object.keys(iam.providers), [`arn:aws:iam::${MANAGEMENT}:saml-provider/idcenter`]);
      assert.deepEqual(Object.keys(iam.roles), ['idcenter-Admin']);
      const state = await withStore(s, async (store) => ({
        accounts: await store.db.selectFrom('accounts').select('id').execute(),
        calls: await store.db
          .selectFrom('audit_events')
          .select('detail')
          .where('action', '=', 'iam.change')
          .execute(),
      }));
      assert.deepEqual(state.accounts, []);
      assert.deepEqual(
        state.calls.map((c) => (JSON.parse(c.detail!) as { call: string }).call),
        ['CreateSAMLProvider', 'CreateRole'],
      );
    });

    it('once the store accepts the write, apply again writes it and changes nothing more in IAM', async () => {
      await withStore(s, (store) =>
        sql`drop trigger refuse_accounts${sql.raw(store.dialect === 'sqlite' ? '' : ' on accounts')}`.execute(
          store.db,
        ),
      );
      const r = await s.apply(ORG);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /IAM \d{12}:/);
      assert.match(r.stdout, /Applied: 4 created, 0 updated, 0 deleted, 0 IAM changes in /);
      const accounts = await withStore(s, (store) => store.db.selectFrom('accounts').select('id').execute());
      assert.deepEqual(accounts, [{ id: MANAGEMENT }]);
    });
  });
}
