/**
 * An account's provider and roles (`iam-roles.ts`) as an AWS CloudFormation template, for teams
 * that provision IAM with their own pipeline instead of `idcenter apply`: the same provider (SAML,
 * or OIDC for `federation: oidc` accounts), role names, path, trust, policies, boundary, session
 * length and tags.
 *
 * ARNs in the account are written with the pseudo parameters (`${AWS::Partition}`,
 * `${AWS::AccountId}`), so the template describes the stack's own account; the roles name the
 * provider by ARN and depend on it, so CloudFormation creates it first. Resource types and
 * properties: the CloudFormation user guide, `AWS::IAM::SAMLProvider`, `AWS::IAM::OIDCProvider`
 * and `AWS::IAM::Role`.
 */
import type { AccountSpec, ProviderSpec, RoleSpec } from './iam-roles.ts';
import { INLINE_POLICY_NAME } from './iam-roles.ts';

export type Template = Record<string, unknown>;

/** The provider's logical id, by kind. */
const PROVIDER_IDS = { saml: 'SamlProvider', oidc: 'OidcProvider' } as const;
const PARTITION_PARAMETER = '$' + '{AWS::Partition}';
const ACCOUNT_PARAMETER = '$' + '{AWS::AccountId}';

/** `arn:<partition>:iam::<account>:…` with the pseudo parameters in place of partition and account. */
function portable(arn: string, accountId: string): unknown {
  const m = /^arn:[^:]+:iam::([^:]*):(.*)$/.exec(arn);
  if (!m) return arn;
  // CloudFormation's own `${…}` placeholders, not template literals.
  const account = m[1] === accountId ? ACCOUNT_PARAMETER : m[1];
  return { 'Fn::Sub': `arn:${PARTITION_PARAMETER}:iam::${account}:${m[2]}` };
}

/** Logical ids are alphanumeric: the permission set's name without the other characters, made unique. */
function logicalIds(roles: readonly RoleSpec[]): string[] {
  const seen = new Set<string>(Object.values(PROVIDER_IDS));
  return roles.map((r) => {
    const base = `Role${r.permissionSet.replace(/[^A-Za-z0-9]/g, '')}`;
    let id = base;
    for (let n = 2; seen.has(id); n++) id = `${base}${n}`;
    seen.add(id);
    return id;
  });
}

function roleResource(role: RoleSpec, spec: AccountSpec): Record<string, unknown> {
  const trust = structuredClone(role.trustPolicy) as {
    Statement: Array<{ Principal: { Federated: unknown } }>;
  };
  for (const s of trust.Statement) s.Principal.Federated = portable(spec.provider.arn, spec.accountId);
  const properties: Record<string, unknown> = {
    RoleName: role.name,
    Path: role.path,
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    AssumeRolePolicyDocument: trust,
  };
  if (role.managedPolicyArns.length > 0) {
    properties.ManagedPolicyArns = role.managedPolicyArns.map((a) => portable(a, spec.accountId));
  }
  if (role.inlinePolicy) {
    properties.Policies = [{ PolicyName: INLINE_POLICY_NAME, PolicyDocument: role.inlinePolicy }];
  }
  if (role.permissionsBoundaryArn) {
    properties.PermissionsBoundary = portable(role.permissionsBoundaryArn, spec.accountId);
  }
  properties.Tags = role.tags;
  return { Type: 'AWS::IAM::Role', DependsOn: PROVIDER_IDS[spec.provider.kind], Properties: properties };
}

function providerResource(provider: ProviderSpec): Record<string, unknown> {
  if (provider.kind === 'oidc') {
    return {
      Type: 'AWS::IAM::OIDCProvider',
      Properties: {
        Url: provider.url,
        ClientIdList: provider.clientIds,
        ...(provider.thumbprints.length > 0 ? { ThumbprintList: provider.thumbprints } : {}),
        Tags: provider.tags,
      },
    };
  }
  return {
    Type: 'AWS::IAM::SAMLProvider',
    Properties: { Name: provider.name, SamlMetadataDocument: provider.metadata, Tags: provider.tags },
  };
}

/**
 * The template of one account.
 *
 * @example
 * const template = cloudFormationTemplate(spec);
 * template.Resources.SamlProvider.Type // 'AWS::IAM::SAMLProvider'
 */
export function cloudFormationTemplate(spec: AccountSpec): Template {
  const providerId = PROVIDER_IDS[spec.provider.kind];
  const resources: Record<string, unknown> = { [providerId]: providerResource(spec.provider) };
  const ids = logicalIds(spec.roles);
  spec.roles.forEach((role, i) => {
    resources[ids[i] ?? `Role${i}`] = roleResource(role, spec);
  });
  const outputs: Record<string, unknown> = {
    [`${providerId}Arn`]: {
      Description: `The ${spec.provider.kind === 'oidc' ? 'OIDC' : 'SAML'} provider that trusts idcenter`,
      Value: { Ref: providerId },
    },
  };
  spec.roles.forEach((role, i) => {
    const id = ids[i] ?? `Role${i}`;
    outputs[`${id}Arn`] = {
      Description: `The role of permission set ${role.permissionSet}`,
      Value: { 'Fn::GetAtt': [id, 'Arn'] },
    };
  });
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `idcenter: the ${spec.provider.kind === 'oidc' ? 'OIDC' : 'SAML'} provider and the roles of the permission sets assigned in account ${spec.accountId} (partition ${spec.partition}), as idcenter apply provisions them.`,
    Resources: resources,
    Outputs: outputs,
  };
}
