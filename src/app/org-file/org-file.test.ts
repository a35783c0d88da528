import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasBomb, aliasHeavyOrg, parseWithin } from '../../../test/helpers/alias-org.ts';
import { formatPath, formatProblem, parseOrgFile } from './index.ts';
import { readYaml } from './yaml-source.ts';

const ACCOUNT = '  - { id: 011111111111, name: Prod, email: prod@example.com, ou: /A/B }';

function org(text: string) {
  const r = parseOrgFile(text);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.org;
}

describe('reading the organization file', () => {
  it('keeps leading zeros of unquoted 12-digit ids on both readers', () => {
    const fast = org(`accounts:\n${ACCOUNT}\nassignments: []\n`);
    assert.equal(fast.accounts[0]?.id, '011111111111');
    // With an alias (js-yaml shares the aliased object; the reader copies it): same result.
    const careful = org(`accounts:\n${ACCOUNT}\ngroups:\n  - &g { name: G }\nusers: []\n`);
    assert.equal(careful.accounts[0]?.id, '011111111111');
    assert.deepEqual(careful.ous, ['/A', '/A/B']);
  });

  it('keeps OUs named in organizationalUnits, with their parents, and refuses one listed twice', () => {
    const o = org(`accounts:\n${ACCOUNT}\norganizationalUnits: [/Sandbox/Empty, /A]\n`);
    assert.deepEqual(o.ous, ['/A', '/Sandbox', '/A/B', '/Sandbox/Empty']);
    const r = parseOrgFile('organizationalUnits: [/X, /X, "Y"]\n');
    assert.ok(!r.ok);
    assert.deepEqual(r.problems.map(formatProblem).sort(), [
      'organizationalUnits[1] (line 1): OU /X is already listed at organizationalUnits[0]',
      'organizationalUnits[2] (line 1): OU path must start with "/" (for example /Workloads/Prod), got "Y"',
    ]);
  });

  it('follows aliases', () => {
    const o = org(
      'permissionSets:\n  - { name: A, managedPolicies: &p [arn:aws:iam::aws:policy/ReadOnlyAccess] }\n  - { name: B, managedPolicies: *p }\n',
    );
    assert.deepEqual(
      o.permissionSets.map((p) => p.managedPolicies),
      [['arn:aws:iam::aws:policy/ReadOnlyAccess'], ['arn:aws:iam::aws:policy/ReadOnlyAccess']],
    );
  });

  // Every alias used to walk the whole document (8,000 aliases: minutes). The bound
  // only proves it no longer hangs; `npm run bench -- org-aliases` measures it.
  it('reads a file of 8,000 aliases', async () => {
    const text = aliasHeavyOrg(4000);
    assert.ok(text.length > 250_000, `${text.length} bytes`);
    const r = await parseWithin(text, 30_000);
    assert.deepEqual(r.problems, []);
    assert.equal(r.users, 4000);
    assert.deepEqual(r.firstUser, { displayName: 'Member of staff', givenName: 'Staff' });
  });

  it('reports the line of a problem in a file of 8,000 aliases (the careful reader)', async () => {
    const text = `${aliasHeavyOrg(4000)}  - { userName: last, displayName: *dn, givenName: *gn, familyName: Doe, email: not-an-address }\n`;
    const r = await parseWithin(text, 30_000);
    assert.deepEqual(r.problems, [
      'users[4000].email (line 4005): "not-an-address" is not an e-mail address (expected name@domain.tld)',
    ]);
  });

  it('resolves each alias to the anchor before it, also inside an expansion, on both readers', () => {
    const text = [
      'groups: [ { name: G, description: &x Early } ]',
      'permissionSets:',
      '  - { name: A, tags: &t { Owner: *x } }',
      '  - { name: B, description: &x Late }',
      '  - { name: C, tags: *t }',
      '  - { name: D, tags: { Owner: *x } }',
      '',
    ].join('\n');
    const owners = ['Early', undefined, 'Early', 'Late'];
    assert.deepEqual(
      org(text).permissionSets.map((p) => p.tags.Owner),
      owners,
    );
    const careful = readYaml(text).value as { permissionSets: { tags?: { Owner: string } }[] };
    assert.deepEqual(
      careful.permissionSets.map((p) => p.tags?.Owner),
      owners,
    );
  });

  it('refuses an alias bomb, naming the limit and where it was reached', () => {
    const r = parseOrgFile(aliasBomb());
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.problems.map(formatProblem), [
      'line 5: aliases expand to more than 100,000 values (the limit); the alias *d at column 29 went over it; write the values out instead',
    ]);
  });

  it('treats __proto__ as an ordinary unknown key', () => {
    const r = parseOrgFile('__proto__: { polluted: true }\ngroups: []\n');
    assert.equal(r.ok, false);
    if (!r.ok)
      assert.match(
        formatProblem(r.problems[0] ?? { path: [], message: '' }),
        /^__proto__ \(line 1\): unknown key "__proto__"/,
      );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('accepts an inline policy as a JSON string and as a mapping, and defaults the duration', () => {
    const o = org(
      [
        'permissionSets:',
        `  - { name: A, inlinePolicy: '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}' }`,
        '  - name: B',
        '    inlinePolicy:',
        '      Statement: [ { Effect: Allow, NotAction: "iam:*", NotResource: "arn:aws:iam::*:role/x" } ]',
        '    permissionsBoundary: { name: Boundary }',
        '',
      ].join('\n'),
    );
    assert.equal(o.permissionSets[0]?.sessionDuration, 'PT1H');
    assert.equal(o.permissionSets[0]?.sessionSeconds, 3600);
    assert.match(o.permissionSets[0]?.inlinePolicy ?? '', /"Effect":"Deny"/);
    assert.deepEqual(JSON.parse(o.permissionSets[1]?.inlinePolicy ?? ''), {
      Statement: [{ Effect: 'Allow', NotAction: 'iam:*', NotResource: 'arn:aws:iam::*:role/x' }],
    });
    assert.deepEqual(JSON.parse(o.permissionSets[1]?.permissionsBoundary ?? ''), {
      CustomerManagedPolicyReference: { Name: 'Boundary', Path: '/' },
    });
  });

  it('expands OU targets over the subtree and merges overlapping targets', () => {
    const o = org(
      [
        'accounts:',
        '  - { id: "111111111111", name: A, email: a@example.com, ou: /W/Prod }',
        '  - { id: "222222222222", name: B, email: b@example.com, ou: /W/Dev }',
        '  - { id: "333333333333", name: C, email: c@example.com }',
        'groups: [ { name: G } ]',
        'permissionSets: [ { name: P } ]',
        'assignments:',
        '  - { group: g, permissionSet: p, ous: [/W], accounts: ["111111111111"] }',
        '  - { group: G, permissionSet: P, ous: [/W/Dev] }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(o.assignments.map((a) => a.accountId).sort(), ['111111111111', '222222222222']);
    const all = org(
      'accounts:\n  - { id: "111111111111", name: A, email: a@example.com, ou: /W }\n  - { id: "333333333333", name: C, email: c@example.com }\ngroups: [ { name: G } ]\npermissionSets: [ { name: P } ]\nassignments: [ { group: G, permissionSet: P, ous: [/] } ]\n',
    );
    assert.equal(all.assignments.length, 2, '/ is every account');
  });

  it('formats paths the way people write them', () => {
    assert.equal(formatPath(['users', 2, 'email']), 'users[2].email');
    assert.equal(
      formatPath(['permissionSets', 0, 'tags', 'Cost Center']),
      'permissionSets[0].tags["Cost Center"]',
    );
    assert.equal(formatProblem({ path: [], line: 3, message: 'x' }), 'line 3: x');
  });

  it('never quotes a password in a problem', () => {
    const r = parseOrgFile(
      'users:\n  - { userName: a, displayName: A, givenName: A, familyName: B, password: 12345678901 }\n  - { userName: b, displayName: B, givenName: B, familyName: C, password: "se\\u0007cretpw" }\n',
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join('\n');
    assert.match(text, /users\[0\]\.password \(line 2\): password must be text in quotes, not a number/);
    assert.match(text, /users\[1\]\.password \(line 3\): password must not contain control characters/);
    assert.doesNotMatch(text, /12345678901|cretpw/);
  });
});
