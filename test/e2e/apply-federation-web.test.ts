/**
 * The organization file's keys for OIDC federation and session tags: an `aws` account's
 * `federation` (`saml` by default, or `oidc`), `federation.oidcAudience`, users' free
 * `attributes` and permission sets' `sessionTags`. Bad values are refused by path and line;
 * `idcenter apply` plans every change, writes it with an audit event, and a second apply of the
 * same file changes nothing — on SQLite and PostgreSQL.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatPlan } from '../../src/app/apply/format.ts';
import { createAppContext } from '../../src/app/context.ts';
import { loadFederationSettings } from '../../src/app/federation/stored-settings.ts';
import { formatProblem, parseOrgFile } from '../../src/app/org-file/index.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { applyText } from '../helpers/apply.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const BASE = `
accounts:
  - { id: "111111111111", name: Saml, email: saml@example.com, access: aws }
  - { id: "222222222222", name: Oidc, email: oidc@example.com, access: aws, federation: oidc }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, attributes: { department: Engineering, costCenter: "4711" } }
permissionSets:
  - { name: Dev, sessionTags: { Department: department, Mail: email } }
`;

function problems(text: string): string[] {
  const r = parseOrgFile(text);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('organization file: federation protocol, OIDC audience, user attributes and session tags', () => {
  it('reads them, with the defaults', () => {
    const r = parseOrgFile(BASE);
    assert.ok(r.ok);
    assert.deepEqual(
      r.org.accounts.map((a) => [a.id, a.federation]),
      [
        ['111111111111', 'saml'],
        ['222222222222', 'oidc'],
      ],
    );
    assert.equal(r.org.federation.oidcAudience, 'sts.amazonaws.com');
    assert.deepEqual(r.org.users[0]?.attributes, { department: 'Engineering', costCenter: '4711' });
    assert.deepEqual(r.org.permissionSets[0]?.sessionTags, { Department: 'department', Mail: 'email' });
  });

  it('refuses bad values by path and line, with what is allowed', () => {
    const text = [
      'federation: { oidcAudience: "two words" }',
      'accounts:',
      '  - { id: "111111111111", name: A, email: a@example.com, federation: oidc }',
      '  - { id: "222222222222", name: B, email: b@example.com, access: aws, federation: ws-fed }',
      'users:',
      '  - { userName: alice, displayName: A, givenName: A, familyName: D, attributes: { 9lives: x, ok: "a\\u0007b" } }',
      '  - { userName: bob, displayName: B, givenName: B, familyName: R, attributes: [department] }',
      'permissionSets:',
      '  - { name: Dev, sessionTags: { "aws:Team": department, Team: "not an attribute" } }',
      '  - { name: Ops, sessionTags: { Team: team, team: department } }',
      '',
    ].join('\n');
    assert.deepEqual(problems(text), [
      'federation.oidcAudience (line 1): OIDC audience "two words" must be 1 to 255 printable characters without spaces (an IAM OIDC provider\'s client id)',
      'accounts[0].federation (line 3): federation applies to accounts with access: aws only; account 111111111111 is local',
      'accounts[1].federation (line 4): federation must be one of saml, oidc, not "ws-fed"',
      'users[0].attributes["9lives"] (line 6): attribute name "9lives" must start with a letter and have at most 64 letters, digits and _ . -',
      'users[0].attributes.ok (line 6): an attribute value must not contain control or invisible formatting characters (found U+0007)',
      'users[1].attributes (line 7): attributes must be a mapping of name: value, not a list',
      'permissionSets[0].sessionTags["aws:Team"] (line 9): session tag key "aws:Team" may not start with aws: (reserved by AWS)',
      'permissionSets[0].sessionTags.Team (line 9): attribute name "not an attribute" must start with a letter and have at most 64 letters, digits and _ . -',
      'permissionSets[1].sessionTags.team (line 10): session tag keys Team and team differ only in case; AWS treats them as one tag',
    ]);
  });
});

for (const kind of STORE_KINDS) {
  describe(`apply with federation protocol, attributes and session tags (${kind})`, () => {
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

    it('stores them, then plans and writes each change, audited; the same file again changes nothing', async () => {
      const first = await applyText(ctx(), BASE);
      assert.match(
        formatPlan(first.plan),
        /\+ create account 222222222222 Oidc \(access aws, federation oidc\)\n/,
      );
      assert.deepEqual(
        await store.db.selectFrom('accounts').select(['id', 'federation']).orderBy('id').execute(),
        [
          { id: '111111111111', federation: 'saml' },
          { id: '222222222222', federation: 'oidc' },
        ],
      );
      const user = await store.db.selectFrom('users').select('custom_attributes').executeTakeFirstOrThrow();
      assert.equal(user.custom_attributes, '{"costCenter":"4711","department":"Engineering"}');
      const ps = await store.db
        .selectFrom('permission_sets')
        .select(['session_tags', 'version'])
        .executeTakeFirstOrThrow();
      assert.equal(ps.session_tags, '{"Department":"department","Mail":"email"}');
      assert.equal((await applyText(ctx(), BASE)).changed, false);

      const changed = `federation: { oidcAudience: my-client }
accounts:
  - { id: "111111111111", name: Saml, email: saml@example.com, access: aws, federation: oidc }
  - { id: "222222222222", name: Oidc, email: oidc@example.com, access: aws }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, attributes: { department: Sales } }
permissionSets:
  - { name: Dev, sessionTags: { Department: department } }
`;
      const r = await applyText(ctx(), changed);
      const text = formatPlan(r.plan);
      assert.match(text, /~ update account 111111111111 Saml \(federation saml → oidc\)/);
      assert.match(text, /~ update account 222222222222 Oidc \(federation oidc → saml\)/);
      assert.match(
        text,
        /~ update user alice \(attributes "costCenter=4711, department=Engineering" → department=Sales\)/,
      );
      assert.match(
        text,
        /~ update permission set Dev \(sessionTags "Department=department, Mail=email" → Department=department\)/,
      );
      assert.match(text, /~ set federation \(oidcAudience sts\.amazonaws\.com → my-client\)/);
      assert.equal((await loadFederationSettings(store.db)).oidcAudience, 'my-client');
      const after = await store.db
        .selectFrom('permission_sets')
        .select(['session_tags', 'version'])
        .executeTakeFirstOrThrow();
      assert.equal(after.session_tags, '{"Department":"department"}');
      assert.equal(after.version, ps.version, 'session tags are not a role definition change');
      const audit = await store.db
        .selectFrom('audit_events')
        .select(['action', 'detail'])
        .where('action', 'in', [
          'user.update',
          'permission_set.update',
          'account.update',
          'federation.update',
        ])
        .execute();
      assert.deepEqual(audit.map((a) => a.action).sort(), [
        'account.update',
        'account.update',
        'federation.update',
        'permission_set.update',
        'user.update',
      ]);
      assert.equal((await applyText(ctx(), changed)).changed, false);

      // Removing them clears them.
      const cleared = await applyText(
        ctx(),
        changed
          .replace(', attributes: { department: Sales }', '')
          .replace(', sessionTags: { Department: department }', ''),
      );
      assert.match(formatPlan(cleared.plan), /attributes department=Sales → "\(none\)"/);
      assert.equal(
        (await store.db.selectFrom('users').select('custom_attributes').executeTakeFirstOrThrow())
          .custom_attributes,
        null,
      );
      assert.equal(
        (await store.db.selectFrom('permission_sets').select('session_tags').executeTakeFirstOrThrow())
          .session_tags,
        null,
      );
    });
  });
}
