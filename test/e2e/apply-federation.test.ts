/**
 * The organization file's federation keys: an account's `access` (`local` by default, or `aws`)
 * and `partition`, and the instance's `federation:` settings (SAML provider name, role name
 * pattern and path, default partition and region). Bad values are refused by path and line;
 * `idcenter apply` plans every change, writes it with an audit event, and a second apply of the
 * same file changes nothing — on SQLite and PostgreSQL.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatPlan } from '../../src/app/apply/format.ts';
import { createAppContext } from '../../src/app/context.ts';
import { loadFederationSettings } from '../../src/app/federation/stored-settings.ts';
import { formatProblem, parseOrgFile } from '../../src/app/org-file/index.ts';
import { DEFAULT_FEDERATION } from '../../src/domain/federation/settings.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { applyText } from '../helpers/apply.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const BASE = `
accounts:
  - { id: "111111111111", name: Local, email: local@example.com }
  - { id: "222222222222", name: Federated, email: fed@example.com, access: aws }
  - { id: "333333333333", name: GovCloud, email: gov@example.com, access: aws, partition: aws-us-gov }
`;

function problems(text: string): string[] {
  const r = parseOrgFile(text);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('organization file: access, partition and federation', () => {
  it('defaults: accounts are local in the instance partition; federation names idcenter-{permissionSet} under /idcenter/', () => {
    const r = parseOrgFile(BASE);
    assert.ok(r.ok);
    assert.deepEqual(
      r.org.accounts.map((a) => [a.id, a.access, a.partition]),
      [
        ['111111111111', 'local', null],
        ['222222222222', 'aws', null],
        ['333333333333', 'aws', 'aws-us-gov'],
      ],
    );
    assert.deepEqual(r.org.federation, {
      providerName: 'idcenter',
      roleNamePattern: 'idcenter-{permissionSet}',
      rolePath: '/idcenter/',
      partition: 'aws',
      region: 'us-east-1',
      oidcAudience: 'sts.amazonaws.com',
    });
  });

  it('a federation partition brings its own default region', () => {
    const r = parseOrgFile(`federation: { partition: aws-cn }\n${BASE}`);
    assert.ok(r.ok);
    assert.equal(r.org.federation.region, 'cn-north-1');
  });

  it('refuses bad values by path and line, with what is allowed', () => {
    const text = [
      'federation:',
      '  providerName: "bad name"',
      '  roleNamePattern: Admin',
      '  rolePath: idcenter',
      '  region: cn-north-1',
      '  rolepath: /x/',
      'accounts:',
      '  - { id: "111111111111", name: A, email: a@example.com, access: remote, partition: mars }',
      '',
    ].join('\n');
    assert.deepEqual(problems(text), [
      'federation.providerName (line 2): SAML provider name "bad name" must be 1 to 128 letters, digits and . _ - (an IAM SAML provider name)',
      'federation.roleNamePattern (line 3): role name pattern "Admin" must contain {permissionSet} exactly once',
      'federation.rolePath (line 4): role path "idcenter" must be an IAM path: "/" or "/name/" (printable characters, starting and ending with "/")',
      'federation.region (line 5): region cn-north-1 is not in partition aws (its regions start with neither cn- nor us-gov-)',
      'federation.rolepath (line 6): unknown key "rolepath" (did you mean "rolePath"?)',
      'accounts[0].access (line 8): access must be one of local, aws, not "remote"',
      'accounts[0].partition (line 8): partition must be one of aws, aws-us-gov, aws-cn, not "mars"',
    ]);
  });

  it('refuses a role name pattern that leaves no room for a 32-character permission set', () => {
    assert.deepEqual(problems(`federation: { roleNamePattern: "${'x'.repeat(33)}{permissionSet}" }\n`), [
      `federation.roleNamePattern (line 1): role name pattern "${'x'.repeat(33)}{permissionSet}" leaves room for 31 characters of permission-set name; IAM role names are at most 64 characters and permission-set names up to 32`,
    ]);
  });
});

for (const kind of STORE_KINDS) {
  describe(`apply with federation keys (${kind})`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    const ctx = () => createAppContext(store);

    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
    });
    after(async () => {
      await store?.close();
      await temp?.cleanup();
    });

    it('creates accounts with their access and partition; no federation row while the defaults hold', async () => {
      const r = await applyText(ctx(), BASE);
      const text = formatPlan(r.plan);
      assert.match(text, /\+ create account 111111111111 Local\n/);
      assert.match(text, /\+ create account 222222222222 Federated \(access aws\)\n/);
      assert.match(text, /\+ create account 333333333333 GovCloud \(access aws, partition aws-us-gov\)\n/);
      assert.doesNotMatch(text, /federation/);
      const rows = await store.db
        .selectFrom('accounts')
        .select(['id', 'access', 'partition'])
        .orderBy('id')
        .execute();
      assert.deepEqual(rows, [
        { id: '111111111111', access: 'local', partition: null },
        { id: '222222222222', access: 'aws', partition: null },
        { id: '333333333333', access: 'aws', partition: 'aws-us-gov' },
      ]);
      assert.deepEqual(await store.db.selectFrom('federation_settings').selectAll().execute(), []);
      assert.deepEqual(await loadFederationSettings(store.db), DEFAULT_FEDERATION);
      const again = await applyText(ctx(), BASE);
      assert.equal(again.changed, false);
    });

    it('plans and writes a changed access mode, partition and federation settings, audited; then nothing', async () => {
      const changed = `federation: { providerName: corp-idp, rolePath: /sso/, region: eu-west-1 }
accounts:
  - { id: "111111111111", name: Local, email: local@example.com, access: aws }
  - { id: "222222222222", name: Federated, email: fed@example.com }
  - { id: "333333333333", name: GovCloud, email: gov@example.com, access: aws }
`;
      const r = await applyText(ctx(), changed);
      const text = formatPlan(r.plan);
      assert.match(text, /~ update account 111111111111 Local \(access local → aws\)/);
      assert.match(text, /~ update account 222222222222 Federated \(access aws → local\)/);
      assert.match(text, /~ update account 333333333333 GovCloud \(partition aws-us-gov → "\(none\)"\)/);
      assert.match(
        text,
        /~ set federation \(providerName idcenter → corp-idp, rolePath \/idcenter\/ → \/sso\/, region us-east-1 → eu-west-1\)/,
      );
      assert.match(text, /Plan: 0 to create, 4 to update, 0 to delete\./);
      assert.deepEqual(await loadFederationSettings(store.db), {
        providerName: 'corp-idp',
        roleNamePattern: 'idcenter-{permissionSet}',
        rolePath: '/sso/',
        partition: 'aws',
        region: 'eu-west-1',
        oidcAudience: 'sts.amazonaws.com',
      });
      const audit = await store.db
        .selectFrom('audit_events')
        .select(['action', 'detail'])
        .where('action', 'in', ['federation.update', 'account.update'])
        .execute();
      assert.equal(audit.filter((a) => a.action === 'account.update').length, 3);
      const federation = audit.find((a) => a.action === 'federation.update');
      assert.ok(federation?.detail?.includes('corp-idp'));
      assert.equal((await applyText(ctx(), changed)).changed, false);
      // Back to the defaults: the file without `federation:` sets them again.
      const back = await applyText(ctx(), BASE);
      assert.match(formatPlan(back.plan), /~ set federation \(providerName corp-idp → idcenter/);
      assert.deepEqual(await loadFederationSettings(store.db), DEFAULT_FEDERATION);
    });
  });
}
