/**
 * What each admin operation is authorised against: the IAM action, the resource types (whose ARNs
 * the API layer builds with `arn.ts` and passes to `evaluateResources`) and the condition keys, as
 * the Service Authorization Reference lists them ("Actions, resources, and condition keys for AWS
 * IAM Identity Center", "… for AWS Identity Store", "… for AWS Organizations").
 *
 * - Every operation here needs one action, named like the operation: sso-admin operations are
 *   `sso:…`, identitystore ones `identitystore:…`, organizations ones `organizations:…`; the
 *   reference lists no dependent actions for them.
 * - `required` resources must all be allowed. Optional ones: the action may be scoped to them;
 *   pass the ARN of the one the request names (e.g. the parent of ListChildren, the resource of
 *   TagResource). An operation with no resource types is authorised against `*`, which only a
 *   `"Resource": "*"` statement covers.
 * - Resource-level condition keys: `sso:PrimaryRegion` and `aws:ResourceTag/<key>` on sso
 *   instances and permission sets; `aws:ResourceTag/<key>` on organizations roots, OUs and
 *   accounts (see RESOURCE_CONDITION_KEYS).
 */
import type { ResourceType } from './arn.ts';

export type AdminService = 'identitystore' | 'sso-admin' | 'organizations';

export interface ResourceRequirement {
  readonly type: ResourceType;
  readonly required: boolean;
}

export interface OperationAuthorization {
  readonly service: AdminService;
  /** The API operation, e.g. `CreateAccountAssignment`. */
  readonly operation: string;
  /** The IAM action it needs, e.g. `sso:CreateAccountAssignment`. */
  readonly action: string;
  /** List, Read, Write, Tagging, Permissions management (as the reference classifies it). */
  readonly accessLevel: string;
  /** In the reference's order; empty when the action takes only `*`. */
  readonly resources: readonly ResourceRequirement[];
  /** Condition keys the action supports beyond the global ones. */
  readonly conditionKeys: readonly string[];
}

/** Condition keys each resource type adds (the reference's resource-types table). */
export const RESOURCE_CONDITION_KEYS: Readonly<Partial<Record<ResourceType, readonly string[]>>> = {
  'sso:Instance': ['aws:ResourceTag/<key>', 'sso:PrimaryRegion'],
  'sso:PermissionSet': ['aws:ResourceTag/<key>', 'sso:PrimaryRegion'],
  'organizations:root': ['aws:ResourceTag/<key>'],
  'organizations:organizationalunit': ['aws:ResourceTag/<key>'],
  'organizations:account': ['aws:ResourceTag/<key>'],
};

const PREFIX: Readonly<Record<AdminService, string>> = {
  identitystore: 'identitystore',
  'sso-admin': 'sso',
  organizations: 'organizations',
};

/** `type` is required; `type?` optional. */
type ResourceSpec = ResourceType | `${ResourceType}?`;

function op(
  service: AdminService,
  operation: string,
  accessLevel: string,
  resources: readonly ResourceSpec[],
  conditionKeys: readonly string[] = [],
): OperationAuthorization {
  return Object.freeze({
    service,
    operation,
    action: `${PREFIX[service]}:${operation}`,
    accessLevel,
    resources: resources.map((r) =>
      r.endsWith('?')
        ? { type: r.slice(0, -1) as ResourceType, required: false }
        : { type: r as ResourceType, required: true },
    ),
    conditionKeys,
  });
}

const REGION = 'identitystore:PrimaryRegion';
const GROUP_ISSUERS = 'identitystore:GroupExternalIdIssuers';
const USER_ISSUERS = 'identitystore:UserExternalIdIssuers';
const TAGS = ['aws:RequestTag/<key>', 'aws:TagKeys'];

const IS = 'identitystore:Identitystore';
const USER = 'identitystore:User';
const GROUP = 'identitystore:Group';
const MEMBERSHIP = 'identitystore:GroupMembership';
const ALL_MEMBERSHIPS = 'identitystore:AllGroupMemberships';

const INSTANCE = 'sso:Instance';
const PS = 'sso:PermissionSet';
const ACCOUNT = 'sso:Account';

const OU = 'organizations:organizationalunit';
const ROOT = 'organizations:root';
const ORG_ACCOUNT = 'organizations:account';

export const ADMIN_OPERATIONS: readonly OperationAuthorization[] = Object.freeze([
  // Identity Store: every operation of the API.
  op('identitystore', 'CreateGroup', 'Write', [IS], [GROUP_ISSUERS, REGION]),
  op('identitystore', 'CreateGroupMembership', 'Write', [GROUP, IS, USER], [REGION]),
  op('identitystore', 'CreateUser', 'Write', [IS], [REGION, 'identitystore:ReservedUserId', USER_ISSUERS]),
  op('identitystore', 'DeleteGroup', 'Write', [GROUP, IS], [GROUP_ISSUERS, REGION]),
  op('identitystore', 'DeleteGroupMembership', 'Write', [GROUP, MEMBERSHIP, IS, USER], [REGION]),
  op('identitystore', 'DeleteUser', 'Write', [IS, USER], [REGION, USER_ISSUERS]),
  op('identitystore', 'DescribeGroup', 'Read', [GROUP, IS], [GROUP_ISSUERS, REGION]),
  op('identitystore', 'DescribeGroupMembership', 'Read', [GROUP, MEMBERSHIP, IS, USER], [REGION]),
  op('identitystore', 'DescribeUser', 'Read', [IS, USER], [REGION, USER_ISSUERS]),
  op('identitystore', 'GetGroupId', 'Read', [GROUP, IS], [REGION]),
  op('identitystore', 'GetGroupMembershipId', 'Read', [GROUP, MEMBERSHIP, IS, USER], [REGION]),
  op('identitystore', 'GetUserId', 'Read', [IS, USER], [REGION]),
  op('identitystore', 'IsMemberInGroups', 'Read', [ALL_MEMBERSHIPS, GROUP, IS, USER], [REGION]),
  op('identitystore', 'ListGroupMemberships', 'List', [ALL_MEMBERSHIPS, GROUP, IS], [REGION]),
  op('identitystore', 'ListGroupMembershipsForMember', 'List', [ALL_MEMBERSHIPS, IS, USER], [REGION]),
  op('identitystore', 'ListGroups', 'List', ['identitystore:AllGroups', IS], [GROUP_ISSUERS, REGION]),
  op('identitystore', 'ListUsers', 'List', ['identitystore:AllUsers', IS], [REGION, USER_ISSUERS]),
  op('identitystore', 'UpdateGroup', 'Write', [GROUP, IS], [GROUP_ISSUERS, REGION]),
  op('identitystore', 'UpdateUser', 'Write', [IS, USER], [REGION, USER_ISSUERS]),

  // IAM Identity Center (sso-admin): instances and permission sets.
  op('sso-admin', 'ListInstances', 'List', []),
  op('sso-admin', 'DescribeInstance', 'Read', [INSTANCE]),
  op('sso-admin', 'CreatePermissionSet', 'Write', [INSTANCE, PS], TAGS),
  op('sso-admin', 'DescribePermissionSet', 'Read', [INSTANCE, PS]),
  op('sso-admin', 'UpdatePermissionSet', 'Permissions management, Write', [INSTANCE, PS]),
  op('sso-admin', 'DeletePermissionSet', 'Write', [INSTANCE, PS]),
  op('sso-admin', 'ListPermissionSets', 'List', [INSTANCE]),
  op('sso-admin', 'AttachManagedPolicyToPermissionSet', 'Permissions management, Write', [INSTANCE, PS]),
  op('sso-admin', 'DetachManagedPolicyFromPermissionSet', 'Permissions management, Write', [INSTANCE, PS]),
  op('sso-admin', 'ListManagedPoliciesInPermissionSet', 'List', [INSTANCE, PS]),
  op('sso-admin', 'PutInlinePolicyToPermissionSet', 'Write', [INSTANCE, PS]),
  op('sso-admin', 'GetInlinePolicyForPermissionSet', 'Read', [INSTANCE, PS]),
  op('sso-admin', 'DeleteInlinePolicyFromPermissionSet', 'Write', [INSTANCE, PS]),
  op('sso-admin', 'AttachCustomerManagedPolicyReferenceToPermissionSet', 'Permissions management, Write', [
    INSTANCE,
    PS,
  ]),
  op('sso-admin', 'DetachCustomerManagedPolicyReferenceFromPermissionSet', 'Permissions management, Write', [
    INSTANCE,
    PS,
  ]),
  op('sso-admin', 'ListCustomerManagedPolicyReferencesInPermissionSet', 'List', [INSTANCE, PS]),
  op('sso-admin', 'PutPermissionsBoundaryToPermissionSet', 'Permissions management, Write', [INSTANCE, PS]),
  op('sso-admin', 'GetPermissionsBoundaryForPermissionSet', 'Read', [INSTANCE, PS]),
  op('sso-admin', 'DeletePermissionsBoundaryFromPermissionSet', 'Permissions management, Write', [
    INSTANCE,
    PS,
  ]),
  op('sso-admin', 'TagResource', 'Tagging, Write', [`${INSTANCE}?`, `${PS}?`], TAGS),
  op('sso-admin', 'UntagResource', 'Tagging, Write', [`${INSTANCE}?`, `${PS}?`], ['aws:TagKeys']),
  op('sso-admin', 'ListTagsForResource', 'Read', [`${INSTANCE}?`, `${PS}?`]),
  // Account assignments and provisioning.
  op('sso-admin', 'CreateAccountAssignment', 'Write', [ACCOUNT, INSTANCE, PS]),
  op('sso-admin', 'DeleteAccountAssignment', 'Write', [ACCOUNT, INSTANCE, PS]),
  op('sso-admin', 'DescribeAccountAssignmentCreationStatus', 'Read', [INSTANCE]),
  op('sso-admin', 'DescribeAccountAssignmentDeletionStatus', 'Read', [INSTANCE]),
  op('sso-admin', 'ListAccountAssignmentCreationStatus', 'List', [INSTANCE]),
  op('sso-admin', 'ListAccountAssignmentDeletionStatus', 'List', [INSTANCE]),
  op('sso-admin', 'ListAccountAssignments', 'List', [ACCOUNT, INSTANCE, PS]),
  op('sso-admin', 'ListAccountAssignmentsForPrincipal', 'List', [INSTANCE]),
  op('sso-admin', 'ListAccountsForProvisionedPermissionSet', 'List', [INSTANCE, PS]),
  op('sso-admin', 'ListPermissionSetsProvisionedToAccount', 'List', [ACCOUNT, INSTANCE]),
  op('sso-admin', 'ProvisionPermissionSet', 'Write', [ACCOUNT, INSTANCE, PS]),
  op('sso-admin', 'DescribePermissionSetProvisioningStatus', 'Read', [INSTANCE]),
  op('sso-admin', 'ListPermissionSetProvisioningStatus', 'List', [INSTANCE]),

  // AWS Organizations.
  op('organizations', 'DescribeOrganization', 'Read', []),
  op('organizations', 'ListRoots', 'List', []),
  op('organizations', 'ListAccounts', 'List', []),
  op('organizations', 'DescribeAccount', 'Read', [ORG_ACCOUNT]),
  op('organizations', 'ListOrganizationalUnitsForParent', 'List', [`${OU}?`, `${ROOT}?`]),
  op('organizations', 'ListAccountsForParent', 'List', [`${OU}?`, `${ROOT}?`]),
  op('organizations', 'ListChildren', 'List', [`${OU}?`, `${ROOT}?`]),
  op('organizations', 'ListParents', 'List', [`${ORG_ACCOUNT}?`, `${OU}?`]),
  op('organizations', 'CreateOrganizationalUnit', 'Write', [`${OU}?`, `${ROOT}?`], TAGS),
  op('organizations', 'UpdateOrganizationalUnit', 'Write', [OU]),
  op('organizations', 'DeleteOrganizationalUnit', 'Write', [OU]),
  op('organizations', 'DescribeOrganizationalUnit', 'Read', [OU]),
  // The reference marks account, organizationalunit and root required: authorise the account and
  // both parents, the one it leaves and the one it joins (each an OU or the root).
  op('organizations', 'MoveAccount', 'Write', [ORG_ACCOUNT, OU, ROOT]),
  op(
    'organizations',
    'CreateAccount',
    'Write',
    [],
    ['aws:RequestTag/<key>', 'aws:ResourceTag/<key>', 'aws:TagKeys'],
  ),
  op('organizations', 'DescribeCreateAccountStatus', 'Read', []),
  op('organizations', 'ListCreateAccountStatus', 'List', []),
]);

const BY_OPERATION = new Map(ADMIN_OPERATIONS.map((o) => [`${o.service}/${o.operation}`, o]));

/**
 * How an operation is authorised; undefined for an operation not in the table.
 *
 * @example operationAuthorization('sso-admin', 'CreatePermissionSet')?.action // 'sso:CreatePermissionSet'
 */
export function operationAuthorization(
  service: AdminService,
  operation: string,
): OperationAuthorization | undefined {
  return BY_OPERATION.get(`${service}/${operation}`);
}
