/**
 * Making one planned IAM change (`domain/federation/iam-diff.ts`) with the IAM API, through the
 * account's client. Policy documents go as JSON text; tags on what is created mark it as
 * idcenter's. Each call is bounded like every other (`aws-access.ts`).
 */
import type { IamChange } from '../../domain/federation/iam-diff.ts';
import type { AwsAccess, ReachedAccount } from './aws-access.ts';

/** The IAM request id of a change, when IAM gave one (for the audit log). */
export type ChangeResult = { requestId: string | undefined };

export async function executeChange(
  access: AwsAccess,
  account: ReachedAccount,
  change: IamChange,
): Promise<ChangeResult> {
  const { iam, sdk, accountId, endpoint } = account;
  const c = change.call;
  const out = await access.call({ action: c.call, accountId, service: 'IAM', endpoint }, (abortSignal) => {
    const o = { abortSignal };
    switch (c.call) {
      case 'CreateSAMLProvider':
        return iam.send(
          new sdk.CreateSAMLProviderCommand({ Name: c.name, SAMLMetadataDocument: c.metadata, Tags: c.tags }),
          o,
        );
      case 'UpdateSAMLProvider':
        return iam.send(
          new sdk.UpdateSAMLProviderCommand({ SAMLProviderArn: c.arn, SAMLMetadataDocument: c.metadata }),
          o,
        );
      case 'DeleteSAMLProvider':
        return iam.send(new sdk.DeleteSAMLProviderCommand({ SAMLProviderArn: c.arn }), o);
      case 'CreateOpenIDConnectProvider':
        return iam.send(
          new sdk.CreateOpenIDConnectProviderCommand({
            Url: c.url,
            ClientIDList: c.clientIds,
            // Left out when the file gives none: IAM then works out the issuer's thumbprint itself.
            ...(c.thumbprints.length > 0 ? { ThumbprintList: c.thumbprints } : {}),
            Tags: c.tags,
          }),
          o,
        );
      case 'AddClientIDToOpenIDConnectProvider':
        return iam.send(
          new sdk.AddClientIDToOpenIDConnectProviderCommand({
            OpenIDConnectProviderArn: c.arn,
            ClientID: c.clientId,
          }),
          o,
        );
      case 'RemoveClientIDFromOpenIDConnectProvider':
        return iam.send(
          new sdk.RemoveClientIDFromOpenIDConnectProviderCommand({
            OpenIDConnectProviderArn: c.arn,
            ClientID: c.clientId,
          }),
          o,
        );
      case 'UpdateOpenIDConnectProviderThumbprint':
        return iam.send(
          new sdk.UpdateOpenIDConnectProviderThumbprintCommand({
            OpenIDConnectProviderArn: c.arn,
            ThumbprintList: c.thumbprints,
          }),
          o,
        );
      case 'DeleteOpenIDConnectProvider':
        return iam.send(new sdk.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: c.arn }), o);
      case 'CreateRole': {
        const r = c.role;
        return iam.send(
          new sdk.CreateRoleCommand({
            RoleName: r.name,
            Path: r.path,
            Description: r.description,
            AssumeRolePolicyDocument: JSON.stringify(r.trustPolicy),
            MaxSessionDuration: r.maxSessionDuration,
            ...(r.permissionsBoundaryArn ? { PermissionsBoundary: r.permissionsBoundaryArn } : {}),
            Tags: r.tags,
          }),
          o,
        );
      }
      case 'UpdateAssumeRolePolicy':
        return iam.send(
          new sdk.UpdateAssumeRolePolicyCommand({
            RoleName: c.roleName,
            PolicyDocument: JSON.stringify(c.document),
          }),
          o,
        );
      case 'UpdateRole':
        return iam.send(
          new sdk.UpdateRoleCommand({
            RoleName: c.roleName,
            MaxSessionDuration: c.maxSessionDuration,
            Description: c.description,
          }),
          o,
        );
      case 'PutRolePermissionsBoundary':
        return iam.send(
          new sdk.PutRolePermissionsBoundaryCommand({ RoleName: c.roleName, PermissionsBoundary: c.arn }),
          o,
        );
      case 'DeleteRolePermissionsBoundary':
        return iam.send(new sdk.DeleteRolePermissionsBoundaryCommand({ RoleName: c.roleName }), o);
      case 'AttachRolePolicy':
        return iam.send(new sdk.AttachRolePolicyCommand({ RoleName: c.roleName, PolicyArn: c.arn }), o);
      case 'DetachRolePolicy':
        return iam.send(new sdk.DetachRolePolicyCommand({ RoleName: c.roleName, PolicyArn: c.arn }), o);
      case 'PutRolePolicy':
        return iam.send(
          new sdk.PutRolePolicyCommand({
            RoleName: c.roleName,
            PolicyName: c.policyName,
            PolicyDocument: JSON.stringify(c.document),
          }),
          o,
        );
      case 'DeleteRolePolicy':
        return iam.send(
          new sdk.DeleteRolePolicyCommand({ RoleName: c.roleName, PolicyName: c.policyName }),
          o,
        );
      case 'TagRole':
        return iam.send(new sdk.TagRoleCommand({ RoleName: c.roleName, Tags: c.tags }), o);
      case 'DeleteRole':
        return iam.send(new sdk.DeleteRoleCommand({ RoleName: c.roleName }), o);
    }
  });
  return { requestId: (out as { $metadata?: { requestId?: string } }).$metadata?.requestId };
}
