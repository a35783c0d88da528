/**
 * Amazon Resource Names: `arn:partition:service:region:account:resource`. The resource part is
 * everything after the fifth colon and may itself contain `/` and `:`.
 *
 * Matching follows "IAM JSON policy elements: Resource" and the ARN condition operators: each of
 * the six colon-separated parts is matched on its own, `*` and `?` are wildcards within a part,
 * and matching is case-sensitive. Policy variables may appear only in the resource part (text
 * after the fifth colon); elsewhere `${…}` is literal.
 *
 * The builders give the ARNs of the resource types that identitystore, sso-admin and
 * organizations authorise against, in the formats of the Service Authorization Reference
 * ("Actions, resources, and condition keys for AWS IAM Identity Center", "… for AWS Identity
 * Store", "… for AWS Organizations").
 */
import type { RequestContext } from './context.ts';
import { expandPolicyString } from './policy-variables.ts';
import { matchesPattern, patternFromParts, wildcardPattern } from './wildcard.ts';

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/**
 * The parts of an ARN, or undefined when the text is not one (six parts, a non-empty resource).
 *
 * @example parseArn('arn:aws:sso:::permissionSet/ssoins-1/ps-2')?.resource // 'permissionSet/ssoins-1/ps-2'
 */
export function parseArn(text: string): Arn | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  const resource = parts.slice(5).join(':');
  return resource === '' ? undefined : { partition, service, region, account, resource };
}

export function formatArn(arn: Arn): string {
  return `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.account}:${arn.resource}`;
}

/**
 * Does `arn` match the policy ARN `pattern` (wildcards per part, variables in the resource part
 * when `variables` is on)? A pattern that is not an ARN, or whose variable cannot be resolved,
 * matches nothing.
 *
 * @example arnMatches('arn:aws:sso:::permissionSet/*', 'arn:aws:sso:::permissionSet/ssoins-1/ps-2', ctx, true) // true
 */
export function arnMatches(
  pattern: string,
  arn: string,
  context: RequestContext,
  variables: boolean,
): boolean {
  const p = parseArn(pattern);
  const a = parseArn(arn);
  if (p === undefined || a === undefined) return false;
  for (const key of ['partition', 'service', 'region', 'account'] as const) {
    if (!matchesPattern(wildcardPattern(p[key]), a[key])) return false;
  }
  const resource = expandPolicyString(p.resource, context, { variables, wildcards: true });
  return resource !== undefined && matchesPattern(patternFromParts(resource), a.resource);
}

/** The partition this server issues ARNs in. */
export const PARTITION = 'aws';

// IAM Identity Center (service prefix `sso`; the sso-admin API).

/** `arn:aws:sso:::instance/ssoins-…` */
export function ssoInstanceArn(instanceId: string): string {
  return `arn:${PARTITION}:sso:::instance/${instanceId}`;
}

/** `arn:aws:sso:::permissionSet/ssoins-…/ps-…` */
export function ssoPermissionSetArn(instanceId: string, permissionSetId: string): string {
  return `arn:${PARTITION}:sso:::permissionSet/${instanceId}/${permissionSetId}`;
}

/** `arn:aws:sso:::account/123456789012`: an AWS account as a target of assignments. */
export function ssoAccountArn(accountId: string): string {
  return `arn:${PARTITION}:sso:::account/${accountId}`;
}

// Identity Store (service prefix `identitystore`).

/** `arn:aws:identitystore::123456789012:identitystore/d-…` */
export function identityStoreArn(accountId: string, identityStoreId: string): string {
  return `arn:${PARTITION}:identitystore::${accountId}:identitystore/${identityStoreId}`;
}

/** `arn:aws:identitystore:::user/<user id>` */
export function identityStoreUserArn(userId: string): string {
  return `arn:${PARTITION}:identitystore:::user/${userId}`;
}

/** `arn:aws:identitystore:::group/<group id>` */
export function identityStoreGroupArn(groupId: string): string {
  return `arn:${PARTITION}:identitystore:::group/${groupId}`;
}

/** `arn:aws:identitystore:::membership/<membership id>` */
export function identityStoreMembershipArn(membershipId: string): string {
  return `arn:${PARTITION}:identitystore:::membership/${membershipId}`;
}

/** The AllUsers, AllGroups and AllGroupMemberships resource types: list operations act on these. */
export const IDENTITY_STORE_ALL_USERS = `arn:${PARTITION}:identitystore:::user/*`;
export const IDENTITY_STORE_ALL_GROUPS = `arn:${PARTITION}:identitystore:::group/*`;
export const IDENTITY_STORE_ALL_MEMBERSHIPS = `arn:${PARTITION}:identitystore:::membership/*`;

// AWS Organizations (service prefix `organizations`). Ids keep their prefixes: `o-…`, `r-…`, `ou-…`.

/** `arn:aws:organizations::<management account>:organization/o-…` */
export function organizationArn(managementAccountId: string, organizationId: string): string {
  return `arn:${PARTITION}:organizations::${managementAccountId}:organization/${organizationId}`;
}

/** `arn:aws:organizations::<management account>:root/o-…/r-…` */
export function organizationsRootArn(
  managementAccountId: string,
  organizationId: string,
  rootId: string,
): string {
  return `arn:${PARTITION}:organizations::${managementAccountId}:root/${organizationId}/${rootId}`;
}

/** `arn:aws:organizations::<management account>:ou/o-…/ou-…` */
export function organizationalUnitArn(
  managementAccountId: string,
  organizationId: string,
  ouId: string,
): string {
  return `arn:${PARTITION}:organizations::${managementAccountId}:ou/${organizationId}/${ouId}`;
}

/** `arn:aws:organizations::<management account>:account/o-…/<account id>` */
export function organizationsAccountArn(
  managementAccountId: string,
  organizationId: string,
  accountId: string,
): string {
  return `arn:${PARTITION}:organizations::${managementAccountId}:account/${organizationId}/${accountId}`;
}

/**
 * The resource types the three services authorise against, with the ARN format the Service
 * Authorization Reference gives (`<…>` stand for its `${…}` placeholders).
 */
export const RESOURCE_TYPES = {
  'sso:Instance': 'arn:<Partition>:sso:::instance/<InstanceId>',
  'sso:PermissionSet': 'arn:<Partition>:sso:::permissionSet/<InstanceId>/<PermissionSetId>',
  'sso:Account': 'arn:<Partition>:sso:::account/<AccountId>',
  'identitystore:Identitystore': 'arn:<Partition>:identitystore::<Account>:identitystore/<IdentityStoreId>',
  'identitystore:User': 'arn:<Partition>:identitystore:::user/<UserId>',
  'identitystore:Group': 'arn:<Partition>:identitystore:::group/<GroupId>',
  'identitystore:GroupMembership': 'arn:<Partition>:identitystore:::membership/<MembershipId>',
  'identitystore:AllUsers': 'arn:<Partition>:identitystore:::user/*',
  'identitystore:AllGroups': 'arn:<Partition>:identitystore:::group/*',
  'identitystore:AllGroupMemberships': 'arn:<Partition>:identitystore:::membership/*',
  'organizations:organization': 'arn:<Partition>:organizations::<Account>:organization/o-<OrganizationId>',
  'organizations:root': 'arn:<Partition>:organizations::<Account>:root/o-<OrganizationId>/r-<RootId>',
  'organizations:organizationalunit':
    'arn:<Partition>:organizations::<Account>:ou/o-<OrganizationId>/ou-<OrganizationalUnitId>',
  'organizations:account': 'arn:<Partition>:organizations::<Account>:account/o-<OrganizationId>/<AccountId>',
} as const;

export type ResourceType = keyof typeof RESOURCE_TYPES;
