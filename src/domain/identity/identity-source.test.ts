import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bindRefusalOf,
  checkLdapUrl,
  escapeFilterValue,
  formatGuid,
  guardLimit,
  isAdDisabled,
  isLdapDisabled,
  parseDeletionGuard,
} from './identity-source.ts';

describe('identity source rules', () => {
  it('reads Active Directory sub-codes from a refused bind', () => {
    const ad = (code: string) =>
      `80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data ${code}, v4563`;
    assert.equal(bindRefusalOf(ad('52e')), 'bad_credentials');
    assert.equal(bindRefusalOf(ad('532')), 'password_expired');
    assert.equal(bindRefusalOf(ad('773')), 'must_change_password');
    assert.equal(bindRefusalOf(ad('775')), 'locked_out');
    assert.equal(bindRefusalOf(ad('530')), 'restricted');
    assert.equal(bindRefusalOf(ad('531')), 'restricted');
    assert.equal(bindRefusalOf(ad('533')), 'disabled');
    assert.equal(bindRefusalOf(ad('701')), 'account_expired');
    assert.equal(bindRefusalOf('Invalid credentials'), 'bad_credentials');
  });

  it('escapes every character that could end a filter value', () => {
    assert.equal(escapeFilterValue('a*)(uid=*'), 'a\\2a\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('back\\slash\0'), 'back\\5cslash\\00');
    assert.equal(escapeFilterValue('zoë ünï'), 'zoë ünï');
  });

  it('says who is disabled', () => {
    assert.equal(isAdDisabled('512'), false);
    assert.equal(isAdDisabled('514'), true);
    assert.equal(isAdDisabled(undefined), false);
    assert.equal(isLdapDisabled(undefined), false);
    assert.equal(isLdapDisabled('FALSE'), false);
    assert.equal(isLdapDisabled('TRUE'), true);
    assert.equal(isLdapDisabled('20261207000000Z'), true);
  });

  it('reads the deletion guard as a count or a percentage, allowing at least one by percentage', () => {
    assert.deepEqual(parseDeletionGuard('10%'), { percent: 10 });
    assert.deepEqual(parseDeletionGuard(25), { count: 25 });
    assert.deepEqual(parseDeletionGuard('25'), { count: 25 });
    assert.equal(parseDeletionGuard('lots'), undefined);
    assert.equal(parseDeletionGuard('101%'), undefined);
    assert.equal(guardLimit({ percent: 10 }, 1000), 100);
    assert.equal(guardLimit({ percent: 10 }, 3), 1);
    assert.equal(guardLimit({ percent: 0 }, 3), 0);
    assert.equal(guardLimit({ count: 5 }, 3), 5);
  });

  it('accepts only ldaps:// and ldap:// URLs without a path', () => {
    assert.equal(checkLdapUrl('ldaps://dc1.example.com:636'), undefined);
    assert.equal(checkLdapUrl('ldap://[::1]:389'), undefined);
    assert.match(checkLdapUrl('https://x') ?? '', /ldaps:\/\//);
    assert.match(checkLdapUrl('ldaps://x/dc=a') ?? '', /without a path/);
  });

  it('formats objectGUID bytes as AD shows them', () => {
    const bytes = Uint8Array.from([
      0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    ]);
    assert.equal(formatGuid(bytes), '00112233-4455-6677-8899-aabbccddeeff');
  });
});
