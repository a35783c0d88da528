/**
 * AWS managed policies a permission set may attach by ARN, as the admin plane evaluates them.
 * Statements are written as the AWS Managed Policy Reference Guide publishes them (the default
 * version named beside each). Two are cut down, and say so: ReadOnlyAccess and ViewOnlyAccess
 * list actions of hundreds of services, and only the services this server implements are kept
 * (identitystore, identitystore-auth, organizations, sso, sso-directory); what they allow in
 * those services is exactly what the full policies allow.
 *
 * An ARN not listed here contributes no statements; `resolveAwsManagedPolicies` names such ARNs so
 * the caller can report them.
 */
import type { Policy, PolicyDocumentJson, PolicyStatementJson } from './policy.ts';
import { parsePolicy } from './policy.ts';

interface ManagedPolicyEntry {
  /** The default version the statements were taken from. */
  version: string;
  /** True when only the statements about this server's services are kept. */
  subset: boolean;
  document: PolicyDocumentJson;
}

const arn = (name: string) => `arn:aws:iam::aws:policy/${name}`;

const KMS_VIA_SSO = {
  StringLike: { 'kms:EncryptionContext:aws:sso:instance-arn': '*', 'kms:ViaService': 'sso.*.amazonaws.com' },
};
const KMS_VIA_IDENTITY_STORE = {
  StringLike: {
    'kms:EncryptionContext:aws:identitystore:identitystore-arn': '*',
    'kms:ViaService': 'identitystore.*.amazonaws.com',
  },
};
const SSO_ADMINISTRATOR_ACTIONS = [
  'ds:DescribeDirectories',
  'ds:AuthorizeApplication',
  'ds:UnauthorizeApplication',
  'ds:DescribeTrusts',
  'iam:ListPolicies',
  'organizations:EnableAWSServiceAccess',
  'organizations:DescribeOrganization',
  'organizations:DescribeAccount',
  'organizations:ListRoots',
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListParents',
  'organizations:ListChildren',
  'organizations:ListOrganizationalUnitsForParent',
  'organizations:ListDelegatedAdministrators',
  'sso:*',
  'sso-directory:*',
  'identitystore:*',
  'identitystore-auth:*',
  'ds:CreateAlias',
  'access-analyzer:ValidatePolicy',
  'signin:CreateTrustedIdentityPropagationApplicationForConsole',
  'signin:ListTrustedIdentityPropagationApplicationsForConsole',
];
const KMS_DECRYPT_VIA_IDENTITY_STORE: PolicyStatementJson = {
  Sid: 'AllowKMSKeyUseViaAWSIdentityStoreService',
  Effect: 'Allow',
  Action: ['kms:Decrypt'],
  Resource: '*',
  Condition: KMS_VIA_IDENTITY_STORE,
};
const KMS_ENCRYPT_ACTIONS = ['kms:GenerateDataKeyWithoutPlaintext', 'kms:Encrypt', 'kms:Decrypt'];
const SSO_ADMINISTRATOR_TAIL: readonly PolicyStatementJson[] = [
  {
    Sid: 'AWSSSOManageDelegatedAdministrator',
    Effect: 'Allow',
    Action: [
      'organizations:RegisterDelegatedAdministrator',
      'organizations:DeregisterDelegatedAdministrator',
    ],
    Resource: '*',
    Condition: { StringEquals: { 'organizations:ServicePrincipal': 'sso.amazonaws.com' } },
  },
];
const KMS_STATEMENTS: readonly PolicyStatementJson[] = [
  {
    Sid: 'AllowKMSKeyUseViaAWSIAMIdentityCenterService',
    Effect: 'Allow',
    Action: KMS_ENCRYPT_ACTIONS,
    Resource: '*',
    Condition: KMS_VIA_SSO,
  },
  {
    Sid: 'AllowKMSKeyUseViaAWSIdentityStoreService',
    Effect: 'Allow',
    Action: KMS_ENCRYPT_ACTIONS,
    Resource: '*',
    Condition: KMS_VIA_IDENTITY_STORE,
  },
  {
    Sid: 'AllowKMSKeyDiscovery',
    Effect: 'Allow',
    Action: ['kms:ListAliases', 'kms:DescribeKey'],
    Resource: '*',
  },
];

const ENTRIES: Readonly<Record<string, ManagedPolicyEntry>> = {
  [arn('AdministratorAccess')]: {
    version: 'v1',
    subset: false,
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  },
  [arn('PowerUserAccess')]: {
    version: 'v5',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: [
            'iam:CreateServiceLinkedRole',
            'iam:DeleteServiceLinkedRole',
            'iam:ListRoles',
            'organizations:DescribeOrganization',
            'account:ListRegions',
            'account:GetAccountInformation',
          ],
          Resource: '*',
        },
      ],
    },
  },
  [arn('ReadOnlyAccess')]: {
    version: 'v188',
    subset: true,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadOnlyActionsGroup1',
          Effect: 'Allow',
          Action: [
            'identitystore-auth:BatchGetSession',
            'identitystore-auth:ListSessions',
            'identitystore:DescribeGroup',
            'identitystore:DescribeGroupMembership',
            'identitystore:DescribeUser',
            'identitystore:GetGroupId',
            'identitystore:GetGroupMembershipId',
            'identitystore:GetUserId',
            'identitystore:IsMemberInGroups',
            'identitystore:ListGroupMemberships',
            'identitystore:ListGroupMembershipsForMember',
            'identitystore:ListGroups',
            'identitystore:ListUsers',
          ],
          Resource: '*',
        },
        {
          Sid: 'ReadOnlyActionsGroup2',
          Effect: 'Allow',
          Action: [
            'organizations:Describe*',
            'organizations:List*',
            'sso-directory:Describe*',
            'sso-directory:List*',
            'sso-directory:Search*',
            'sso:Describe*',
            'sso:Get*',
            'sso:List*',
          ],
          Resource: '*',
        },
      ],
    },
  },
  [arn('job-function/ViewOnlyAccess')]: {
    version: 'v45',
    subset: true,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'GeneralViewOnlyAccessStatement',
          Effect: 'Allow',
          Action: ['organizations:List*'],
          Resource: '*',
        },
      ],
    },
  },
  [arn('IAMReadOnlyAccess')]: {
    version: 'v4',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'iam:GenerateCredentialReport',
            'iam:GenerateServiceLastAccessedDetails',
            'iam:Get*',
            'iam:List*',
            'iam:SimulateCustomPolicy',
            'iam:SimulatePrincipalPolicy',
          ],
          Resource: '*',
        },
      ],
    },
  },
  [arn('AWSSSOReadOnly')]: {
    version: 'v12',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSSSOReadOnly',
          Effect: 'Allow',
          Action: [
            'ds:DescribeDirectories',
            'ds:DescribeTrusts',
            'iam:ListPolicies',
            'organizations:DescribeOrganization',
            'organizations:DescribeAccount',
            'organizations:ListParents',
            'organizations:ListChildren',
            'organizations:ListAccounts',
            'organizations:ListRoots',
            'organizations:ListAccountsForParent',
            'organizations:ListOrganizationalUnitsForParent',
            'organizations:ListDelegatedAdministrators',
            'sso:Describe*',
            'sso:Get*',
            'sso:List*',
            'sso:Search*',
            'sso-directory:DescribeDirectory',
            'access-analyzer:ValidatePolicy',
            'signin:ListTrustedIdentityPropagationApplicationsForConsole',
          ],
          Resource: '*',
        },
        {
          Sid: 'AllowKMSKeyUseViaAWSIAMIdentityCenterService',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: '*',
          Condition: KMS_VIA_SSO,
        },
        {
          Sid: 'AllowKMSKeyDiscovery',
          Effect: 'Allow',
          Action: ['kms:ListAliases', 'kms:DescribeKey'],
          Resource: '*',
        },
      ],
    },
  },
  [arn('AWSSSOMemberAccountAdministrator')]: {
    version: 'v11',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSSSOMemberAccountAdministrator',
          Effect: 'Allow',
          Action: SSO_ADMINISTRATOR_ACTIONS,
          Resource: '*',
        },
        ...SSO_ADMINISTRATOR_TAIL,
        ...KMS_STATEMENTS,
      ],
    },
  },
  [arn('AWSSSOMasterAccountAdministrator')]: {
    version: 'v13',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSSSOCreateSLR',
          Effect: 'Allow',
          Action: ['iam:CreateServiceLinkedRole'],
          Resource: 'arn:aws:iam::*:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO',
          Condition: { StringLike: { 'iam:AWSServiceName': 'sso.amazonaws.com' } },
        },
        {
          Sid: 'AWSSSOMasterAccountAdministrator',
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: 'arn:aws:iam::*:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO',
          Condition: { StringLike: { 'iam:PassedToService': 'sso.amazonaws.com' } },
        },
        {
          Sid: 'AWSSSOMemberAccountAdministrator',
          Effect: 'Allow',
          // The same actions as AWSSSOMemberAccountAdministrator (this policy lists them in another order).
          Action: SSO_ADMINISTRATOR_ACTIONS,
          Resource: '*',
        },
        ...SSO_ADMINISTRATOR_TAIL,
        {
          Sid: 'AllowDeleteSyncProfile',
          Effect: 'Allow',
          Action: ['identity-sync:DeleteSyncProfile'],
          Resource: ['arn:aws:identity-sync:*:*:profile/*'],
        },
        ...KMS_STATEMENTS,
      ],
    },
  },
  [arn('AWSSSODirectoryAdministrator')]: {
    version: 'v7',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSSSODirectoryAdministrator',
          Effect: 'Allow',
          Action: [
            'sso-directory:*',
            'identitystore:*',
            'identitystore-auth:*',
            'sso:ListDirectoryAssociations',
          ],
          Resource: '*',
        },
        KMS_DECRYPT_VIA_IDENTITY_STORE,
      ],
    },
  },
  [arn('AWSSSODirectoryReadOnly')]: {
    version: 'v7',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSSSODirectoryReadOnly',
          Effect: 'Allow',
          Action: [
            'sso-directory:Search*',
            'sso-directory:Describe*',
            'sso-directory:List*',
            'sso-directory:Get*',
            'identitystore:Describe*',
            'identitystore:List*',
            'identitystore-auth:ListSessions',
            'identitystore-auth:BatchGetSession',
          ],
          Resource: '*',
        },
        KMS_DECRYPT_VIA_IDENTITY_STORE,
      ],
    },
  },
  [arn('AWSOrganizationsReadOnlyAccess')]: {
    version: 'v6',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSOrganizationsReadOnly',
          Effect: 'Allow',
          Action: ['organizations:Describe*', 'organizations:List*'],
          Resource: '*',
        },
        {
          Sid: 'AWSOrganizationsReadOnlyAccount',
          Effect: 'Allow',
          Action: [
            'account:GetAlternateContact',
            'account:GetContactInformation',
            'account:ListRegions',
            'account:GetRegionOptStatus',
            'account:GetPrimaryEmail',
          ],
          Resource: '*',
        },
      ],
    },
  },
  [arn('AWSOrganizationsFullAccess')]: {
    version: 'v9',
    subset: false,
    document: {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AWSOrganizationsFullAccess', Effect: 'Allow', Action: ['organizations:*'], Resource: '*' },
        {
          Sid: 'AWSOrganizationsFullAccessAccount',
          Effect: 'Allow',
          Action: [
            'account:PutAlternateContact',
            'account:DeleteAlternateContact',
            'account:GetAlternateContact',
            'account:GetContactInformation',
            'account:PutContactInformation',
            'account:ListRegions',
            'account:EnableRegion',
            'account:DisableRegion',
            'account:PutAccountName',
            'account:GetAccountInformation',
          ],
          Resource: '*',
        },
        {
          Sid: 'AWSOrganizationsFullAccessCreateSLR',
          Effect: 'Allow',
          Action: ['iam:CreateServiceLinkedRole'],
          Resource: '*',
          Condition: { StringEquals: { 'iam:AWSServiceName': 'organizations.amazonaws.com' } },
        },
      ],
    },
  },
};

/** The ARNs of the AWS managed policies this module knows. */
export const AWS_MANAGED_POLICY_ARNS: readonly string[] = Object.freeze(Object.keys(ENTRIES));

/** The document, its version and whether it is cut down to this server's services. */
export function awsManagedPolicyEntry(policyArn: string): Readonly<ManagedPolicyEntry> | undefined {
  return Object.hasOwn(ENTRIES, policyArn) ? ENTRIES[policyArn] : undefined;
}

const parsed = new Map<string, Policy>();

/**
 * The managed policy at `policyArn`, ready for `evaluate`, named by its ARN; undefined when this
 * module does not know it.
 *
 * @example awsManagedPolicy('arn:aws:iam::aws:policy/AWSSSOReadOnly')?.statements.length // 3
 */
export function awsManagedPolicy(policyArn: string): Policy | undefined {
  const cached = parsed.get(policyArn);
  if (cached) return cached;
  const entry = awsManagedPolicyEntry(policyArn);
  if (!entry) return undefined;
  const result = parsePolicy(policyArn, entry.document);
  // The documents above are fixed; a problem here is a bug in this file (a test checks for it).
  if (!result.ok || result.problems.length > 0) throw new Error(`managed policy ${policyArn} does not parse`);
  parsed.set(policyArn, result.policy);
  return result.policy;
}

/**
 * The policies for a permission set's managed policy ARNs, and the ARNs this module does not know
 * (they contribute nothing).
 *
 * @example resolveAwsManagedPolicies(['arn:aws:iam::aws:policy/ReadOnlyAccess']).unknown // []
 */
export function resolveAwsManagedPolicies(arns: readonly string[]): {
  policies: Policy[];
  unknown: string[];
} {
  const policies: Policy[] = [];
  const unknown: string[] = [];
  for (const a of arns) {
    const policy = awsManagedPolicy(a);
    if (policy) policies.push(policy);
    else unknown.push(a);
  }
  return { policies, unknown };
}
