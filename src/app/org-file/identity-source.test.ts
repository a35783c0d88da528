import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem, parseOrgFile } from './index.ts';

function problems(text: string): string[] {
  const r = parseOrgFile(text);
  return r.ok ? [] : r.problems.map(formatProblem);
}

const AD = `identitySource:
  type: activeDirectory
  urls: [ldaps://dc1.example.com, ldaps://dc2.example.com:636]
  caFile: /etc/idcenter/ad-ca.pem
  bindDn: CN=idcenter,OU=Service,DC=example,DC=com
  bindPasswordEnv: IDCENTER_AD_PASSWORD
  users: { baseDn: "OU=People,DC=example,DC=com" }
  groups: { baseDn: "OU=Groups,DC=example,DC=com" }
  deletionGuard: "5%"
  syncInterval: 10m
`;

describe('identitySource in the organization file', () => {
  it('is the built-in directory when the file has none', () => {
    const r = parseOrgFile('users: []\n');
    assert.ok(r.ok);
    assert.deepEqual(r.org.identitySource, { kind: 'builtIn' });
  });

  it('fills in the defaults of Active Directory', () => {
    const r = parseOrgFile(AD);
    assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
    const s = r.org.identitySource;
    assert.ok(s.kind === 'activeDirectory');
    assert.deepEqual(s.urls, ['ldaps://dc1.example.com', 'ldaps://dc2.example.com:636']);
    assert.equal(s.attributes.userName, 'sAMAccountName');
    assert.equal(s.attributes.externalId, 'objectGUID');
    assert.equal(s.userFilter, '(&(objectCategory=person)(objectClass=user))');
    assert.deepEqual(s.deletionGuard, { percent: 5 });
    assert.equal(s.syncIntervalSeconds, 600);
    assert.equal(s.bindPasswordEnv, 'IDCENTER_AD_PASSWORD');
  });

  it('lets assignments name groups of the directory', () => {
    const r = parseOrgFile(
      `${AD}accounts:\n  - { id: "011111111111", name: Prod, email: p@example.com }\npermissionSets:\n  - { name: Admin }\nassignments:\n  - { group: Domain Admins, permissionSet: Admin, accounts: ["011111111111"] }\n`,
    );
    assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
    assert.deepEqual(
      r.org.directoryGroups.map((g) => g.name),
      ['Domain Admins'],
    );
    assert.equal(r.org.assignments[0]?.principal, 'domain admins');
  });

  it('refuses plain ldap:// unless StartTLS or explicitly allowed', () => {
    const plain = AD.replace('ldaps://dc1.example.com', 'ldap://dc1.example.com');
    assert.match(problems(plain).join('\n'), /urls\[0\].*in the clear/);
    assert.deepEqual(problems(plain.replace('  caFile', '  startTls: true\n  caFile')), []);
    assert.deepEqual(problems(plain.replace('  caFile', '  allowPlainLdap: true\n  caFile')), []);
  });

  it('never takes the bind password in the file', () => {
    const p = problems(AD.replace('  bindPasswordEnv: IDCENTER_AD_PASSWORD\n', '  bindPassword: hunter22\n'));
    assert.ok(
      p.some((m) => /bindPassword .*never goes in the file/.test(m)),
      p.join('\n'),
    );
    assert.ok(
      p.some((m) => /bindPasswordEnv is required/.test(m)),
      p.join('\n'),
    );
    assert.ok(!p.join('\n').includes('hunter22'));
  });

  it('reports every bad value with its path', () => {
    const p = problems(`identitySource:
  type: ldap
  urls: [https://example.com, "ldaps://x/path"]
  bindDn: "not a dn"
  bindPasswordEnv: "BAD NAME"
  users: { baseDn: "dc=example,dc=com", filter: "(objectClass=person" }
  attributes: { userName: "u id", disabled: pwdAccountLockedTime }
  deletionGuard: "lots"
  syncInterval: soon
`).join('\n');
    for (const expected of [
      /identitySource\.urls\[0\].*ldaps:\/\/ or ldap:\/\//,
      /identitySource\.urls\[1\].*without a path/,
      /identitySource\.bindDn.*DN such as/,
      /identitySource\.bindPasswordEnv.*environment variable/,
      /identitySource\.users\.filter.*parentheses/,
      /identitySource\.attributes\.userName.*not an LDAP attribute/,
      /identitySource\.deletionGuard/,
      /identitySource\.syncInterval.*duration/,
    ]) {
      assert.match(p, expected);
    }
  });

  it('refuses attributes.disabled for Active Directory, which has userAccountControl', () => {
    const p = problems(`${AD}  attributes: { disabled: foo }\n`);
    assert.match(p.join('\n'), /userAccountControl/);
  });

  it('refuses directory settings on the built-in directory', () => {
    assert.match(
      problems('identitySource: { type: builtIn, urls: [ldaps://x] }\n').join('\n'),
      /urls applies to/,
    );
  });
});
