import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnKey, nestedMembers } from './read.ts';

const G = (cn: string) => `cn=${cn},ou=groups,dc=x`;
const U = (uid: string) => `uid=${uid},ou=people,dc=x`;

describe('LDAP nested groups', () => {
  it('expands nested groups, memberUid names and a loop, each group once', () => {
    const groups = [
      { dn: G('a'), member: [U('ann'), G('b')] },
      { dn: G('b'), member: [U('bob'), G('c')] },
      { dn: G('c'), member: [G('a')], memberUid: ['cid'] },
      { dn: G('solo'), uniqueMember: [`${U('sam')}#'0101'B`] },
    ];
    const members = nestedMembers(groups, new Map([['cid', U('cid')]]));
    const sorted = (dn: string) => [...(members.get(dn) ?? [])].sort();
    const everyone = [U('ann'), U('bob'), U('cid')].sort();
    assert.deepEqual(sorted(G('a')), everyone);
    assert.deepEqual(sorted(G('b')), everyone);
    assert.deepEqual(sorted(G('c')), everyone);
    assert.deepEqual(sorted(G('solo')), [U('sam')]);
  });
});

describe('DN keys', () => {
  it('compare DNs without case and without spaces after commas', () => {
    assert.equal(dnKey('UID=Ann, OU=People,\tDC=x'), 'uid=ann,ou=people,dc=x');
    assert.equal(dnKey('uid=Ann,ou=People,dc=x'), 'uid=ann,ou=people,dc=x');
    assert.equal(dnKey('cn=A B,ou=g,dc=x'), 'cn=a b,ou=g,dc=x');
  });
});
