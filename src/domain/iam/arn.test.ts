// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${…} inside ordinary policy strings
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  arnMatches,
  formatArn,
  IDENTITY_STORE_ALL_USERS,
  identityStoreArn,
  identityStoreGroupArn,
  identityStoreMembershipArn,
  identityStoreUserArn,
  organizationArn,
  organizationalUnitArn,
  organizationsAccountArn,
  organizationsRootArn,
  parseArn,
  RESOURCE_TYPES,
  ssoAccountArn,
  ssoInstanceArn,
  ssoPermissionSetArn,
} from './arn.ts';
import { contextFromKeys } from './context.ts';

const ctx = contextFromKeys({ 'aws:username': 'alice' });

describe('ARNs', () => {
  it('splits into six parts; the resource part keeps its colons and slashes', () => {
    assert.deepEqual(parseArn('arn:aws:someservice:us-east-2:999999999999:store/abc:1:finance/doc'), {
      partition: 'aws',
      service: 'someservice',
      region: 'us-east-2',
      account: '999999999999',
      resource: 'store/abc:1:finance/doc',
    });
    assert.equal(parseArn('arn:aws:sso:::'), undefined);
    assert.equal(parseArn('not:an:arn:at:all:x'), undefined);
    const arn = 'arn:aws:sso:::permissionSet/ssoins-1/ps-2';
    assert.equal(formatArn(parseArn(arn)!), arn);
  });

  it('matches each part on its own (the ArnLike example of the IAM User Guide)', () => {
    const pattern = 'arn:aws:someservice:*:111122223333:finance/*';
    const value = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
    assert.equal(arnMatches(pattern, value, ctx, true), false);
    assert.equal(
      arnMatches(pattern, 'arn:aws:someservice:us-east-2:111122223333:finance/document.txt', ctx, true),
      true,
    );
  });

  it('matches wildcards in every part, case-sensitively', () => {
    const ps = ssoPermissionSetArn('ssoins-1111222233334444', 'ps-aaaabbbbccccdddd');
    assert.equal(arnMatches('arn:*:sso:*:*:permissionSet/*', ps, ctx, true), true);
    assert.equal(arnMatches('arn:aws:sso:::permissionSet/ssoins-????222233334444/*', ps, ctx, true), true);
    assert.equal(arnMatches('arn:aws:sso:::permissionset/*', ps, ctx, true), false);
    assert.equal(arnMatches('arn:aws:sso:::instance/*', ps, ctx, true), false);
    assert.equal(arnMatches('arn:aws:SSO:::permissionSet/*', ps, ctx, true), false);
    assert.equal(arnMatches('arn:aws:sso:us-east-1::permissionSet/*', ps, ctx, true), false);
  });

  it('replaces variables only in the resource part', () => {
    const user = 'arn:aws:iam::111122223333:user/alice';
    assert.equal(arnMatches('arn:aws:iam::111122223333:user/${aws:username}', user, ctx, true), true);
    assert.equal(arnMatches('arn:aws:iam::111122223333:user/${aws:username}', user, ctx, false), false);
    assert.equal(arnMatches('arn:aws:iam::${aws:username}:user/alice', user, ctx, true), false);
  });

  it('builds the ARNs of the three services in the formats of the Service Authorization Reference', () => {
    assert.equal(ssoInstanceArn('ssoins-72230000aaaabbbb'), 'arn:aws:sso:::instance/ssoins-72230000aaaabbbb');
    assert.equal(
      ssoPermissionSetArn('ssoins-72230000aaaabbbb', 'ps-0123456789abcdef'),
      'arn:aws:sso:::permissionSet/ssoins-72230000aaaabbbb/ps-0123456789abcdef',
    );
    assert.equal(ssoAccountArn('011111111111'), 'arn:aws:sso:::account/011111111111');
    assert.equal(
      identityStoreArn('111122223333', 'd-9067000000'),
      'arn:aws:identitystore::111122223333:identitystore/d-9067000000',
    );
    assert.equal(identityStoreUserArn('u-1'), 'arn:aws:identitystore:::user/u-1');
    assert.equal(identityStoreGroupArn('g-1'), 'arn:aws:identitystore:::group/g-1');
    assert.equal(identityStoreMembershipArn('m-1'), 'arn:aws:identitystore:::membership/m-1');
    assert.equal(IDENTITY_STORE_ALL_USERS, 'arn:aws:identitystore:::user/*');
    assert.equal(
      organizationArn('111122223333', 'o-a1b2c3d4e5'),
      'arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5',
    );
    assert.equal(
      organizationsRootArn('111122223333', 'o-a1b2c3d4e5', 'r-ab12'),
      'arn:aws:organizations::111122223333:root/o-a1b2c3d4e5/r-ab12',
    );
    assert.equal(
      organizationalUnitArn('111122223333', 'o-a1b2c3d4e5', 'ou-ab12-cd34ef56'),
      'arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cd34ef56',
    );
    assert.equal(
      organizationsAccountArn('111122223333', 'o-a1b2c3d4e5', '011111111111'),
      'arn:aws:organizations::111122223333:account/o-a1b2c3d4e5/011111111111',
    );
  });

  it('builds ARNs that fit the formats listed for their resource types', () => {
    const shape = (format: string) =>
      new RegExp(
        `^${format
          .split(/(<\w+>|\*)/)
          .map((s) =>
            s === '*' ? '\\*' : s.startsWith('<') ? '[^:]+' : s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
          )
          .join('')}$`,
      );
    const built: Array<[keyof typeof RESOURCE_TYPES, string]> = [
      ['sso:Instance', ssoInstanceArn('ssoins-1')],
      ['sso:PermissionSet', ssoPermissionSetArn('ssoins-1', 'ps-1')],
      ['sso:Account', ssoAccountArn('011111111111')],
      ['identitystore:Identitystore', identityStoreArn('111122223333', 'd-1')],
      ['identitystore:User', identityStoreUserArn('u')],
      ['identitystore:Group', identityStoreGroupArn('g')],
      ['identitystore:GroupMembership', identityStoreMembershipArn('m')],
      ['identitystore:AllUsers', IDENTITY_STORE_ALL_USERS],
      ['organizations:organization', organizationArn('111122223333', 'o-abc')],
      ['organizations:root', organizationsRootArn('111122223333', 'o-abc', 'r-ab12')],
      ['organizations:organizationalunit', organizationalUnitArn('111122223333', 'o-abc', 'ou-ab12-x')],
      ['organizations:account', organizationsAccountArn('111122223333', 'o-abc', '011111111111')],
    ];
    for (const [type, arn] of built) {
      assert.match(arn, shape(RESOURCE_TYPES[type].replace('<Partition>', 'aws')), type);
    }
  });
});
