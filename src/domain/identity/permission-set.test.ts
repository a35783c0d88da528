import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkCustomerPolicyName,
  checkCustomerPolicyPath,
  checkManagedPolicyArn,
  checkPermissionSetDescription,
  checkPermissionSetName,
  checkRelayState,
  checkTagKey,
  checkTagKeyText,
  checkTagValue,
  parseSessionDuration,
} from './permission-set.ts';

describe('permission set names and descriptions', () => {
  it('allows 1–32 of [\\w+=,.@-]', () => {
    assert.equal(checkPermissionSetName('AdministratorAccess'), undefined);
    assert.equal(checkPermissionSetName('a.b+c=d,e@f-g_h'), undefined);
    assert.match(checkPermissionSetName('x'.repeat(33)) ?? '', /at most 32/);
    assert.match(checkPermissionSetName('Read Only') ?? '', /may contain only/);
    assert.match(checkPermissionSetName('') ?? '', /must not be empty/);
    assert.match(checkPermissionSetName('Admin\u0000') ?? '', /may contain only/);
  });
  it('allows printable Latin-1 descriptions up to 700', () => {
    assert.equal(checkPermissionSetDescription('Read everything — café'.replace('—', '-')), undefined);
    assert.match(checkPermissionSetDescription('x'.repeat(701)) ?? '', /at most 700/);
    assert.match(checkPermissionSetDescription('emoji 🚀') ?? '', /Latin-1/);
    assert.match(checkPermissionSetDescription('bell \u0007') ?? '', /Latin-1/);
  });
});

describe('session durations', () => {
  it('parses PT1H..PT12H', () => {
    assert.deepEqual(parseSessionDuration('PT1H'), { seconds: 3600 });
    assert.deepEqual(parseSessionDuration('PT2H30M'), { seconds: 9000 });
    assert.deepEqual(parseSessionDuration('PT12H'), { seconds: 43200 });
    assert.deepEqual(parseSessionDuration('PT60M'), { seconds: 3600 });
  });
  it('rejects out of range and non-ISO text', () => {
    for (const bad of ['PT59M', 'PT12H1S', 'P1D', 'PT13H']) {
      const r = parseSessionDuration(bad);
      assert.ok('problem' in r && /outside the allowed range PT1H to PT12H/.test(r.problem), bad);
    }
    for (const bad of ['1h', '4 hours', 'PT', 'P', 'pt1h', '']) {
      const r = parseSessionDuration(bad);
      assert.ok('problem' in r && /not an ISO-8601 duration/.test(r.problem), bad);
    }
  });
});

describe('relay state, policies and tags', () => {
  it('checks relay state', () => {
    assert.equal(checkRelayState('https://console.aws.amazon.com/s3/home?region=us-east-1#'), undefined);
    assert.match(checkRelayState('x'.repeat(241)) ?? '', /at most 240/);
    assert.match(checkRelayState('https://a/\u0000') ?? '', /URL characters/);
  });
  it('checks managed policy ARNs', () => {
    assert.equal(checkManagedPolicyArn('arn:aws:iam::aws:policy/ReadOnlyAccess'), undefined);
    assert.equal(checkManagedPolicyArn('arn:aws:iam::aws:policy/job-function/ViewOnlyAccess'), undefined);
    assert.equal(checkManagedPolicyArn('arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess'), undefined);
    for (const bad of [
      'ReadOnlyAccess',
      'arn:aws:iam::123456789012:policy/Mine',
      'arn:aws:iam::aws:policy/',
      'arn:aws:iam::aws:role/X',
    ]) {
      assert.match(checkManagedPolicyArn(bad) ?? '', /not an AWS managed policy ARN/, bad);
    }
  });
  it('checks customer policy names and paths', () => {
    assert.equal(checkCustomerPolicyName('TeamBoundary'), undefined);
    assert.match(checkCustomerPolicyName('a b') ?? '', /may contain only/);
    assert.equal(checkCustomerPolicyPath('/'), undefined);
    assert.equal(checkCustomerPolicyPath('/team/app/'), undefined);
    assert.match(checkCustomerPolicyPath('/team') ?? '', /start and end/);
  });
  it('checks tags', () => {
    assert.equal(checkTagKey('Cost Center'), undefined);
    assert.equal(checkTagValue(''), undefined);
    assert.match(checkTagKey('aws:owner') ?? '', /reserved/);
    assert.equal(checkTagKeyText('aws:owner'), undefined);
    assert.match(checkTagKeyText('semi;colon') ?? '', /may contain only/);
    assert.match(checkTagKey('') ?? '', /must not be empty/);
    assert.match(checkTagKey('k'.repeat(129)) ?? '', /at most 128/);
    assert.match(checkTagValue('v'.repeat(257)) ?? '', /at most 256/);
    assert.match(checkTagValue('semi;colon') ?? '', /may contain only/);
    assert.match(checkTagValue('nul\u0000') ?? '', /control/);
  });
});
