import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkManagedPolicyArn } from '../identity/permission-set.ts';
import { checkPolicyValue } from '../identity/policy-document.ts';
import { contextFromKeys } from './context.ts';
import {
  AWS_MANAGED_POLICY_ARNS,
  awsManagedPolicy,
  awsManagedPolicyEntry,
  resolveAwsManagedPolicies,
} from './managed-policies.ts';
import { evaluate } from './policy-evaluation.ts';

const allowed = (arn: string, action: string) =>
  evaluate({ action, resource: '*', context: contextFromKeys({}) }, [awsManagedPolicy(arn)!]).decision ===
  'allow';

describe('AWS managed policies', () => {
  it('are valid ARNs and documents, and parse without problems', () => {
    assert.ok(AWS_MANAGED_POLICY_ARNS.length >= 12);
    for (const arn of AWS_MANAGED_POLICY_ARNS) {
      assert.equal(checkManagedPolicyArn(arn), undefined, arn);
      assert.deepEqual(checkPolicyValue(awsManagedPolicyEntry(arn)?.document), [], arn);
      assert.equal(awsManagedPolicy(arn)?.name, arn);
    }
  });

  it('cover the ones the admin plane needs', () => {
    for (const name of [
      'AdministratorAccess',
      'ReadOnlyAccess',
      'PowerUserAccess',
      'job-function/ViewOnlyAccess',
      'IAMReadOnlyAccess',
      'AWSSSOReadOnly',
      'AWSSSOMemberAccountAdministrator',
      'AWSSSOMasterAccountAdministrator',
      'AWSSSODirectoryAdministrator',
      'AWSSSODirectoryReadOnly',
      'AWSOrganizationsReadOnlyAccess',
      'AWSOrganizationsFullAccess',
    ]) {
      assert.ok(AWS_MANAGED_POLICY_ARNS.includes(`arn:aws:iam::aws:policy/${name}`), name);
    }
  });

  it('say which are cut down to this server’s services', () => {
    const subsets = AWS_MANAGED_POLICY_ARNS.filter((arn) => awsManagedPolicyEntry(arn)?.subset);
    assert.deepEqual(subsets, [
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess',
    ]);
  });

  it('grant what AWS documents for them', () => {
    const arn = (name: string) => `arn:aws:iam::aws:policy/${name}`;
    assert.ok(allowed(arn('AdministratorAccess'), 'organizations:CreateAccount'));
    assert.ok(allowed(arn('ReadOnlyAccess'), 'identitystore:GetUserId'));
    assert.ok(!allowed(arn('ReadOnlyAccess'), 'identitystore:CreateUser'));
    assert.ok(allowed(arn('job-function/ViewOnlyAccess'), 'organizations:ListAccounts'));
    assert.ok(!allowed(arn('job-function/ViewOnlyAccess'), 'organizations:DescribeAccount'));
    assert.ok(!allowed(arn('job-function/ViewOnlyAccess'), 'sso:ListInstances'));
    assert.ok(allowed(arn('AWSSSOMemberAccountAdministrator'), 'sso:CreateAccountAssignment'));
    assert.ok(allowed(arn('AWSSSOMemberAccountAdministrator'), 'identitystore:DeleteUser'));
    assert.ok(!allowed(arn('AWSSSOMemberAccountAdministrator'), 'organizations:CreateOrganizationalUnit'));
    assert.ok(allowed(arn('AWSSSOMasterAccountAdministrator'), 'sso:DeletePermissionSet'));
    assert.ok(allowed(arn('AWSSSODirectoryAdministrator'), 'identitystore:CreateGroupMembership'));
    assert.ok(!allowed(arn('AWSSSODirectoryAdministrator'), 'sso:CreatePermissionSet'));
    // As published, AWSSSODirectoryReadOnly grants identitystore Describe* and List* only.
    assert.ok(allowed(arn('AWSSSODirectoryReadOnly'), 'identitystore:ListGroupMembershipsForMember'));
    assert.ok(!allowed(arn('AWSSSODirectoryReadOnly'), 'identitystore:IsMemberInGroups'));
    assert.ok(allowed(arn('AWSOrganizationsReadOnlyAccess'), 'organizations:DescribeCreateAccountStatus'));
    assert.ok(!allowed(arn('AWSOrganizationsReadOnlyAccess'), 'organizations:MoveAccount'));
    assert.ok(allowed(arn('AWSOrganizationsFullAccess'), 'organizations:MoveAccount'));
    assert.ok(allowed(arn('IAMReadOnlyAccess'), 'iam:GetRole'));
  });

  it('leave unknown ARNs out and name them', () => {
    const result = resolveAwsManagedPolicies([
      'arn:aws:iam::aws:policy/AWSSSOReadOnly',
      'arn:aws:iam::aws:policy/AmazonS3FullAccess',
      'arn:aws:iam::aws:policy/awsssoreadonly',
    ]);
    assert.deepEqual(
      result.policies.map((p) => p.name),
      ['arn:aws:iam::aws:policy/AWSSSOReadOnly'],
    );
    assert.deepEqual(result.unknown, [
      'arn:aws:iam::aws:policy/AmazonS3FullAccess',
      'arn:aws:iam::aws:policy/awsssoreadonly',
    ]);
    assert.equal(awsManagedPolicy('toString'), undefined);
    assert.equal(
      awsManagedPolicy('arn:aws:iam::aws:policy/AWSSSOReadOnly'),
      awsManagedPolicy('arn:aws:iam::aws:policy/AWSSSOReadOnly'),
    );
  });
});
