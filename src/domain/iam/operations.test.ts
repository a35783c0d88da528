import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as identitystore from '@aws-sdk/client-identitystore';
import * as organizations from '@aws-sdk/client-organizations';
import * as ssoAdmin from '@aws-sdk/client-sso-admin';
import { RESOURCE_TYPES } from './arn.ts';
import { ADMIN_OPERATIONS, type AdminService, operationAuthorization } from './operations.ts';

/** The operations a real client can call: its `…Command` exports. */
function clientOperations(client: Record<string, unknown>): Set<string> {
  return new Set(
    Object.keys(client)
      .filter((k) => k.endsWith('Command') && k !== '$Command')
      .map((k) => k.slice(0, -'Command'.length)),
  );
}

const CLIENTS: Record<AdminService, Set<string>> = {
  identitystore: clientOperations(identitystore),
  'sso-admin': clientOperations(ssoAdmin),
  organizations: clientOperations(organizations),
};

const SSO_ADMIN_OPERATIONS = [
  'ListInstances',
  'DescribeInstance',
  'CreatePermissionSet',
  'DescribePermissionSet',
  'UpdatePermissionSet',
  'DeletePermissionSet',
  'ListPermissionSets',
  'AttachManagedPolicyToPermissionSet',
  'DetachManagedPolicyFromPermissionSet',
  'ListManagedPoliciesInPermissionSet',
  'PutInlinePolicyToPermissionSet',
  'GetInlinePolicyForPermissionSet',
  'DeleteInlinePolicyFromPermissionSet',
  'AttachCustomerManagedPolicyReferenceToPermissionSet',
  'DetachCustomerManagedPolicyReferenceFromPermissionSet',
  'ListCustomerManagedPolicyReferencesInPermissionSet',
  'PutPermissionsBoundaryToPermissionSet',
  'GetPermissionsBoundaryForPermissionSet',
  'DeletePermissionsBoundaryFromPermissionSet',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
  'CreateAccountAssignment',
  'DeleteAccountAssignment',
  'DescribeAccountAssignmentCreationStatus',
  'DescribeAccountAssignmentDeletionStatus',
  'ListAccountAssignmentCreationStatus',
  'ListAccountAssignmentDeletionStatus',
  'ListAccountAssignments',
  'ListAccountAssignmentsForPrincipal',
  'ListAccountsForProvisionedPermissionSet',
  'ListPermissionSetsProvisionedToAccount',
  'ProvisionPermissionSet',
  'DescribePermissionSetProvisioningStatus',
  'ListPermissionSetProvisioningStatus',
];

const ORGANIZATIONS_OPERATIONS = [
  'DescribeOrganization',
  'ListRoots',
  'ListAccounts',
  'DescribeAccount',
  'ListOrganizationalUnitsForParent',
  'ListAccountsForParent',
  'ListChildren',
  'ListParents',
  'CreateOrganizationalUnit',
  'UpdateOrganizationalUnit',
  'DeleteOrganizationalUnit',
  'DescribeOrganizationalUnit',
  'MoveAccount',
  'CreateAccount',
  'DescribeCreateAccountStatus',
  'ListCreateAccountStatus',
];

describe('how admin operations are authorised', () => {
  it('covers every operation of the identitystore API', () => {
    assert.ok(CLIENTS.identitystore.size >= 19);
    for (const operation of CLIENTS.identitystore) {
      assert.ok(operationAuthorization('identitystore', operation), operation);
    }
  });

  it('covers the sso-admin and organizations operations the admin plane serves', () => {
    for (const operation of SSO_ADMIN_OPERATIONS)
      assert.ok(operationAuthorization('sso-admin', operation), operation);
    for (const operation of ORGANIZATIONS_OPERATIONS) {
      assert.ok(operationAuthorization('organizations', operation), operation);
    }
  });

  it('names only operations the real clients know, each once', () => {
    const seen = new Set<string>();
    for (const o of ADMIN_OPERATIONS) {
      assert.ok(CLIENTS[o.service].has(o.operation), `${o.service} ${o.operation}`);
      assert.ok(!seen.has(`${o.service}/${o.operation}`), `${o.operation} twice`);
      seen.add(`${o.service}/${o.operation}`);
    }
  });

  it('uses the service prefix of each API and the action named like the operation', () => {
    const prefix = {
      identitystore: 'identitystore',
      'sso-admin': 'sso',
      organizations: 'organizations',
    } as const;
    for (const o of ADMIN_OPERATIONS) assert.equal(o.action, `${prefix[o.service]}:${o.operation}`);
  });

  it('lists resource types that have ARN formats, and the reference’s requirements', () => {
    for (const o of ADMIN_OPERATIONS) {
      for (const r of o.resources) assert.ok(r.type in RESOURCE_TYPES, `${o.operation}: ${r.type}`);
    }
    const types = (service: AdminService, operation: string) =>
      operationAuthorization(service, operation)?.resources.map((r) => `${r.type}${r.required ? '' : '?'}`);
    assert.deepEqual(types('sso-admin', 'ListInstances'), []);
    assert.deepEqual(types('sso-admin', 'CreateAccountAssignment'), [
      'sso:Account',
      'sso:Instance',
      'sso:PermissionSet',
    ]);
    assert.deepEqual(types('identitystore', 'ListUsers'), [
      'identitystore:AllUsers',
      'identitystore:Identitystore',
    ]);
    assert.deepEqual(types('organizations', 'ListChildren'), [
      'organizations:organizationalunit?',
      'organizations:root?',
    ]);
    assert.deepEqual(operationAuthorization('sso-admin', 'CreatePermissionSet')?.conditionKeys, [
      'aws:RequestTag/<key>',
      'aws:TagKeys',
    ]);
    assert.equal(operationAuthorization('sso-admin', 'CreateInstance'), undefined);
  });
});
