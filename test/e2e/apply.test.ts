/**
 * `idcenter apply` on both stores: first apply, idempotent re-apply (no writes at all),
 * --dry-run, updates, --prune with revocations for lost access only, OU expansion now and for
 * accounts added later, initial passwords, disabled users, and the plan the CLI prints.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verify } from '@node-rs/argon2';
import { listAllAccess } from '../../src/app/access.ts';
import { type AppContext, createAppContext } from '../../src/app/context.ts';
import { currentGeneration } from '../../src/app/instance.ts';
import { accessSubject } from '../../src/app/revocation.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { applyText, count, idcenter, snapshot } from '../helpers/apply.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const BASE = `
managementAccount: "000000000001"
accounts:
  - { id: "000000000001", name: Management, email: mgmt@example.com }
  - { id: 011111111111, name: Production, email: prod@example.com, ou: /Workloads/Prod }
  - { id: "022222222222", name: Development, email: dev@example.com, ou: /Workloads/Dev }
groups:
  - { name: Developers, description: App developers }
  - { name: Operators }
users:
  - userName: alice
    displayName: Alice Doe
    givenName: Alice
    familyName: Doe
    email: alice@example.com
    password: first-password-1
    groups: [Developers, Operators]
  - userName: bob
    displayName: Bob Roe
    givenName: Bob
    familyName: Roe
    groups: [Developers]
permissionSets:
  - name: ReadOnly
    description: Read everything
    sessionDuration: PT4H
    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
    inlinePolicy: { Version: "2012-10-17", Statement: [ { Effect: Allow, Action: "s3:Get*", Resource: "*" } ] }
    tags: { Team: platform }
  - name: Admin
    sessionDuration: PT1H
    customerManagedPolicies: [ { name: Boundary, path: /team/ } ]
    permissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess
assignments:
  - { group: Developers, permissionSet: ReadOnly, ous: [/Workloads] }
  - { group: Operators, permissionSet: Admin, accounts: ["011111111111"] }
  - { user: bob, permissionSet: Admin, accounts: ["022222222222"] }
  - { user: alice, permissionSet: ReadOnly, accounts: ["011111111111"] }
`;

async function userId(store: Store, name: string): Promise<string> {
  const r = await store.db
    .selectFrom('users')
    .select('id')
    .where('user_name_lower', '=', name)
    .executeTakeFirstOrThrow();
  return r.id;
}

async function psId(store: Store, name: string): Promise<string> {
  const r = await store.db
    .selectFrom('permission_sets')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return r.id;
}

for (const kind of STORE_KINDS) {
  describe(`idcenter apply on ${kind}`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    let ctx: AppContext;
    const clock = new ManualClock();
    let dir: string;
    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
      ctx = createAppContext(store, { clock });
      dir = temp.dataDir;
    });
    after(async () => {
      await store.close();
      await temp.cleanup();
    });

    it('creates everything in one apply and is a no-op the second time', async () => {
      const first = await applyText(ctx, BASE);
      assert.equal(first.applied, true);
      assert.equal(await count(store, 'accounts'), 3);
      assert.equal(await count(store, 'ous'), 3);
      assert.equal(await count(store, 'users'), 2);
      assert.equal(await count(store, 'group_memberships'), 3);
      // ReadOnly on both workload accounts for Developers, Admin once for Operators, two direct.
      assert.equal(await count(store, 'account_assignments'), 5);
      assert.equal(await count(store, 'provisioned_roles'), 4);
      const acc = await store.db.selectFrom('accounts').select('id').orderBy('id').execute();
      assert.deepEqual(
        acc.map((a) => a.id),
        ['000000000001', '011111111111', '022222222222'],
        'leading zeros kept for an unquoted id',
      );
      const ps = await store.db
        .selectFrom('permission_sets')
        .selectAll()
        .where('name', '=', 'ReadOnly')
        .executeTakeFirstOrThrow();
      assert.match(ps.id, /^ps-[0-9a-f]{16}$/);
      assert.equal(ps.session_seconds, 4 * 3600);
      assert.deepEqual(JSON.parse(ps.inline_policy ?? ''), {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
      });
      const admin = await store.db
        .selectFrom('permission_sets')
        .selectAll()
        .where('name', '=', 'Admin')
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(admin.permissions_boundary ?? ''), {
        ManagedPolicyArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
      });
      const inst = await store.db.selectFrom('instance').selectAll().executeTakeFirstOrThrow();
      assert.equal(inst.management_account_id, '000000000001');
      const audits = await count(store, 'audit_events');
      assert.equal(audits, first.auditEvents);
      const actors = await store.db.selectFrom('audit_events').select('actor').distinct().execute();
      assert.deepEqual(actors, [{ actor: 'cli:apply' }]);

      // Effective access: own ∪ via groups.
      const alice = await listAllAccess(store, await userId(store, 'alice'));
      assert.deepEqual(
        alice.map((a) => [a.accountId, a.roles]),
        [
          ['011111111111', ['Admin', 'ReadOnly']],
          ['022222222222', ['ReadOnly']],
        ],
      );

      const before = await snapshot(store);
      const generation = await currentGeneration(store.db);
      const again = await applyText(ctx, BASE);
      assert.equal(again.changed, false);
      assert.deepEqual(await snapshot(store), before, 'a re-apply writes nothing');
      assert.equal(await currentGeneration(store.db), generation);
    });

    it('sets an initial password only once, hashed with argon2id', async () => {
      const row = await store.db
        .selectFrom('users')
        .select('password_hash')
        .where('user_name_lower', '=', 'alice')
        .executeTakeFirstOrThrow();
      assert.match(row.password_hash ?? '', /^\$argon2id\$/);
      assert.equal(await verify(row.password_hash ?? '', 'first-password-1'), true);
      const bob = await store.db
        .selectFrom('users')
        .select('password_hash')
        .where('user_name_lower', '=', 'bob')
        .executeTakeFirstOrThrow();
      assert.equal(bob.password_hash, null);
      const changed = BASE.replace('password: first-password-1', 'password: other-password-2');
      const r = await applyText(ctx, changed);
      assert.equal(r.changed, false, 'an existing password is never replaced by the file');
      const again = await store.db
        .selectFrom('users')
        .select('password_hash')
        .where('user_name_lower', '=', 'alice')
        .executeTakeFirstOrThrow();
      assert.equal(again.password_hash, row.password_hash);
    });

    it('prints the plan, then "No changes." on the CLI, and --dry-run writes nothing', async () => {
      const file = path.join(dir, 'org.yaml');
      fs.writeFileSync(file, BASE);
      const noop = await idcenter(['apply', '-f', file, '--database-url', temp.url]);
      assert.equal(noop.code, 0, noop.stderr);
      assert.equal(noop.stdout, 'No changes.\n');

      const changed = BASE.replace('sessionDuration: PT4H', 'sessionDuration: PT8H').replace(
        '- { name: Operators }',
        '- { name: Operators }\n  - { name: Auditors, description: Read-only reviewers }',
      );
      fs.writeFileSync(file, changed);
      const before = await snapshot(store);
      const dry = await idcenter(['apply', '-f', file, '--dry-run', '--database-url', temp.url]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^\+ create group Auditors$/m);
      assert.match(dry.stdout, /^~ update permission set ReadOnly \(sessionDuration PT4H → PT8H\)$/m);
      assert.match(dry.stdout, /^Plan: 1 to create, 1 to update, 0 to delete\.$/m);
      assert.match(dry.stdout, /Dry run: nothing was written\./);
      assert.deepEqual(await snapshot(store), before, '--dry-run writes nothing');

      const ps = await store.db
        .selectFrom('permission_sets')
        .selectAll()
        .where('name', '=', 'ReadOnly')
        .executeTakeFirstOrThrow();
      const real = await idcenter(['apply', '-f', file, '--database-url', temp.url]);
      assert.equal(real.code, 0, real.stderr);
      assert.match(real.stdout, /^Applied: 1 created, 1 updated, 0 deleted/m);
      const after = await store.db
        .selectFrom('permission_sets')
        .selectAll()
        .where('name', '=', 'ReadOnly')
        .executeTakeFirstOrThrow();
      assert.equal(after.session_duration, 'PT8H');
      assert.equal(after.session_seconds, 8 * 3600);
      assert.equal(after.version, ps.version + 1, 'a definition change bumps the version');
      const roles = await store.db
        .selectFrom('provisioned_roles')
        .select('provisioned_version')
        .where('permission_set_id', '=', ps.id)
        .execute();
      assert.ok(roles.length > 0);
      for (const r of roles)
        assert.equal(r.provisioned_version, after.version, 'apply re-provisions what it changes');
      // Back to the base file for the next tests.
      fs.writeFileSync(file, BASE);
      const back = await idcenter(['apply', '-f', file, '--database-url', temp.url]);
      assert.equal(back.code, 0, back.stderr);
      assert.match(back.stdout, /--prune would delete:\n {2}- delete group Auditors/);
    });

    it('lists deletions without --prune and performs them with it, revoking only lost access', async () => {
      const aliceId = await userId(store, 'alice');
      const bobId = await userId(store, 'bob');
      const readOnly = await psId(store, 'ReadOnly');
      const adminPs = await psId(store, 'Admin');
      // alice leaves Developers (keeps ReadOnly on 011… directly, loses it on 022…) and Operators
      // loses its Admin assignment (alice loses Admin on 011…); bob is deleted.
      const next = BASE.replace('groups: [Developers, Operators]', 'groups: [Operators]')
        .replace('  - { group: Operators, permissionSet: Admin, accounts: ["011111111111"] }\n', '')
        .replace(/ {2}- userName: bob[\s\S]*?groups: \[Developers\]\n/, '')
        .replace('  - { user: bob, permissionSet: Admin, accounts: ["022222222222"] }\n', '')
        .replace('- { name: Auditors, description: Read-only reviewers }', '');
      const kept = await applyText(ctx, next);
      assert.equal(kept.changed, false, 'without --prune nothing is deleted');
      assert.equal(kept.plan.users.delete.length, 1);
      assert.equal(kept.plan.memberships.delete.length, 2);

      const revocationsBefore = await count(store, 'revocations');
      clock.advance(1000);
      const pruned = await applyText(ctx, next, { prune: true });
      assert.equal(pruned.applied, true);
      assert.equal(await count(store, 'users'), 1);
      assert.equal(await count(store, 'groups'), 2, 'Auditors pruned');
      const rows = await store.db
        .selectFrom('revocations')
        .select(['kind', 'subject'])
        .orderBy('id')
        .offset(revocationsBefore)
        .limit(100)
        .execute();
      const subjects = rows.map((r) => `${r.kind}:${r.subject}`).sort();
      assert.deepEqual(
        subjects,
        [
          `access:${accessSubject(aliceId, '011111111111', adminPs)}`,
          `access:${accessSubject(aliceId, '022222222222', readOnly)}`,
          `user:${bobId}`,
        ].sort(),
      );
      assert.deepEqual(
        (await listAllAccess(store, aliceId)).map((a) => [a.accountId, a.roles]),
        [['011111111111', ['ReadOnly']]],
      );
      // Roles whose last assignment went are deprovisioned.
      const pairs = await store.db
        .selectFrom('provisioned_roles')
        .select(['account_id', 'permission_set_id'])
        .execute();
      assert.deepEqual(
        pairs.map((p) => `${p.account_id}|${p.permission_set_id}`).sort(),
        [`011111111111|${readOnly}`, `022222222222|${readOnly}`].sort(),
      );
      // Back to the base organization for the next test.
      await applyText(ctx, BASE, { prune: true });
    });

    it('expands OU targets to every account under the OU, also for accounts added later', async () => {
      const developers = await store.db
        .selectFrom('groups')
        .select('id')
        .where('display_name', '=', 'Developers')
        .executeTakeFirstOrThrow();
      const readOnly = await psId(store, 'ReadOnly');
      const targets = async () =>
        (
          await store.db
            .selectFrom('account_assignments')
            .select('account_id')
            .where('principal_id', '=', developers.id)
            .where('permission_set_id', '=', readOnly)
            .orderBy('account_id')
            .execute()
        ).map((r) => r.account_id);
      assert.deepEqual(await targets(), ['011111111111', '022222222222']);
      const more = BASE.replace(
        '  - { id: "022222222222"',
        '  - { id: "033333333333", name: Staging, email: staging@example.com, ou: /Workloads/Prod/Blue }\n  - { id: "022222222222"',
      );
      const r = await applyText(ctx, more);
      assert.equal(r.plan.ous.create.length, 1);
      assert.deepEqual(await targets(), ['011111111111', '022222222222', '033333333333']);
      const ou = await store.db
        .selectFrom('ous')
        .selectAll()
        .where('path', '=', '/Workloads/Prod/Blue')
        .executeTakeFirstOrThrow();
      const parent = await store.db
        .selectFrom('ous')
        .selectAll()
        .where('path', '=', '/Workloads/Prod')
        .executeTakeFirstOrThrow();
      assert.equal(ou.parent_id, parent.id);
      assert.equal(ou.name, 'Blue');
      assert.match(ou.id, /^ou-[a-z0-9]{4}-[a-z0-9]{8}$/);
      await applyText(ctx, BASE, { prune: true });
    });

    it('disables a user the file marks disabled and ends their sessions', async () => {
      const aliceId = await userId(store, 'alice');
      const now = clock.now();
      await store.db
        .insertInto('portal_sessions')
        .values({
          id: 'sess-1',
          token_hash: 'h1',
          user_id: aliceId,
          mfa_done: 1,
          created_at: now,
          expires_at: now + 3_600_000,
          last_seen_at: now,
          revoked_at: null,
          source_ip: null,
          user_agent: null,
        })
        .execute();
      const disabled = BASE.replace(
        '    groups: [Developers, Operators]',
        '    groups: [Developers, Operators]\n    disabled: true',
      );
      const r = await applyText(ctx, disabled);
      assert.equal(r.applied, true);
      const row = await store.db
        .selectFrom('users')
        .select('status')
        .where('id', '=', aliceId)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, 'DISABLED');
      const sess = await store.db
        .selectFrom('portal_sessions')
        .select('revoked_at')
        .where('id', '=', 'sess-1')
        .executeTakeFirstOrThrow();
      assert.equal(sess.revoked_at, now);
      const rev = await store.db
        .selectFrom('revocations')
        .select('subject')
        .where('kind', '=', 'user')
        .where('subject', '=', aliceId)
        .execute();
      assert.equal(rev.length, 1);
      // Without `disabled`, the status is left alone; `disabled: false` enables.
      assert.equal((await applyText(ctx, BASE)).changed, false);
      const enabled = BASE.replace(
        '    groups: [Developers, Operators]',
        '    groups: [Developers, Operators]\n    disabled: false',
      );
      assert.equal((await applyText(ctx, enabled)).applied, true);
      const back = await store.db
        .selectFrom('users')
        .select('status')
        .where('id', '=', aliceId)
        .executeTakeFirstOrThrow();
      assert.equal(back.status, 'ENABLED');
    });
  });
}
