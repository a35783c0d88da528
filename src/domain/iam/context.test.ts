import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRequestContext, contextFromKeys, isRequestTagKey } from './context.ts';

describe('request context', () => {
  it('finds keys whatever their case (IAM: key names are not case-sensitive)', () => {
    const ctx = contextFromKeys({ 'aws:SourceIp': '203.0.113.7', 'aws:PrincipalTag/Team': 'Platform' });
    assert.equal(ctx.get('AWS:sourceip'), '203.0.113.7');
    assert.equal(ctx.get('aws:principaltag/team'), 'Platform');
    assert.equal(ctx.get('aws:PrincipalTag/Other'), undefined);
  });

  it('turns booleans and numbers into the strings IAM compares, and drops empty sets', () => {
    const ctx = contextFromKeys({ 'aws:SecureTransport': false, 's3:max-keys': 10, 'aws:TagKeys': [] });
    assert.equal(ctx.get('aws:SecureTransport'), 'false');
    assert.equal(ctx.get('s3:max-keys'), '10');
    assert.equal(ctx.get('aws:TagKeys'), undefined);
    assert.deepEqual(ctx.keys().sort(), ['aws:securetransport', 's3:max-keys']);
  });

  it('names the global keys of a caller as IAM does', () => {
    const ctx = buildRequestContext({
      principalArn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123',
      userId: 'AROAEXAMPLE:alice',
      principalTags: { Team: 'platform' },
      requestedRegion: 'eu-west-1',
      sourceIp: '2001:db8::1',
      secureTransport: true,
      currentTime: new Date('2024-05-01T12:00:00.250Z'),
      multiFactorAuthPresent: true,
      resourceTags: { env: 'prod' },
      requestTags: { owner: 'alice', cost: '42' },
      otherKeys: { 'sso:PrimaryRegion': 'us-east-1' },
    });
    assert.equal(ctx.get('aws:PrincipalArn')?.toString().endsWith('AWSReservedSSO_Admin_0123'), true);
    assert.equal(ctx.get('aws:userid'), 'AROAEXAMPLE:alice');
    assert.equal(ctx.get('aws:username'), undefined);
    assert.equal(ctx.get('aws:PrincipalTag/team'), 'platform');
    assert.equal(ctx.get('aws:RequestedRegion'), 'eu-west-1');
    assert.equal(ctx.get('aws:SecureTransport'), 'true');
    assert.equal(ctx.get('aws:CurrentTime'), '2024-05-01T12:00:00.250Z');
    assert.equal(ctx.get('aws:EpochTime'), '1714564800');
    assert.equal(ctx.get('aws:MultiFactorAuthPresent'), 'true');
    assert.equal(ctx.get('aws:ResourceTag/env'), 'prod');
    assert.equal(ctx.get('aws:RequestTag/owner'), 'alice');
    assert.deepEqual(ctx.get('aws:TagKeys'), ['owner', 'cost']);
    assert.equal(ctx.get('sso:primaryregion'), 'us-east-1');
  });

  it('takes aws:TagKeys as given when the request names keys only (UntagResource)', () => {
    assert.deepEqual(buildRequestContext({ tagKeys: ['a', 'b'] }).get('aws:TagKeys'), ['a', 'b']);
    assert.equal(buildRequestContext({}).get('aws:TagKeys'), undefined);
  });

  it('names the keys read from the tags a request sends (lower case, as conditions hold them)', () => {
    for (const key of ['aws:requesttag/team', 'aws:requesttag/cost center', 'aws:tagkeys'])
      assert.equal(isRequestTagKey(key), true, key);
    for (const key of ['aws:resourcetag/team', 'aws:principaltag/team', 'aws:sourceip', 'aws:tagkeysx'])
      assert.equal(isRequestTagKey(key), false, key);
  });
});
