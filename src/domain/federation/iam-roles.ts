/**
 * What IAM holds in an `aws` account for this server, as data: the identity provider the roles
 * trust (for `federation: saml` the SAML provider made from the server's metadata, for
 * `federation: oidc` the OIDC provider of the server's issuer URL with the token audience as its
 * client id), and one role per permission set assigned in the account. `idcenter apply`
 * reconciles IAM to these (`iam-diff.ts`), and `idcenter aws template` writes the same as a
 * CloudFormation template (`cloudformation.ts`), so both give an account the same roles.
 *
 * A role (IAM user guide, "Creating a role for SAML 2.0 federation" and "Creating a role for web
 * identity or OpenID Connect federation"):
 * - trusts the account's provider for `sts:AssumeRoleWithSAML` or `sts:AssumeRoleWithWebIdentity`
 *   (credentials), `sts:TagSession` (session tags) and `sts:SetSourceIdentity` (the source
 *   identity), on the condition that the audience is the one this server puts in everything it
 *   signs: `SAML:aud` the partition's sign-in endpoint, or `<issuer host/path>:aud` the token
 *   audience (`federation.oidcAudience`);
 * - has the permission set's AWS managed policies (in the account's partition), its customer
 *   managed policies (by name and path in the account), its inline policy and its permissions
 *   boundary;
 * - allows sessions as long as the permission set's (`MaxSessionDuration`, 1 to 12 hours);
 * - carries the tag `idcenter:managed-by=idcenter`, which is how apply knows a role is its own:
 *   it changes or removes no role without it.
 */
import { DomainError } from '../errors.ts';
import { oidcProviderArn, type Partition, roleArn, samlProviderArn } from './partitions.ts';
import { type FederationSettings, roleNameFor } from './settings.ts';

/** The tag on every role and provider this server creates. */
export const MANAGED_TAG_KEY = 'idcenter:managed-by';
export const MANAGED_TAG_VALUE = 'idcenter';
/** The permission set a role stands for (for people reading IAM; apply keys roles by name). */
export const PERMISSION_SET_TAG_KEY = 'idcenter:permission-set';
/** The name of the inline policy that carries a permission set's inline policy. */
export const INLINE_POLICY_NAME = 'idcenter-inline';
/** IAM's bounds on a role's `MaxSessionDuration`. */
export const MIN_ROLE_SESSION_SECONDS = 3600;
export const MAX_ROLE_SESSION_SECONDS = 43_200;

/** The actions the trust policy allows a SAML provider: credentials, session tags, source identity. */
export const TRUSTED_ACTIONS = ['sts:AssumeRoleWithSAML', 'sts:TagSession', 'sts:SetSourceIdentity'] as const;
/** The same for an OIDC provider. */
export const TRUSTED_WEB_IDENTITY_ACTIONS = [
  'sts:AssumeRoleWithWebIdentity',
  'sts:TagSession',
  'sts:SetSourceIdentity',
] as const;

export type PolicyDocument = Record<string, unknown>;

export interface Tag {
  Key: string;
  Value: string;
}

/** What a permission set gives its role (the fields of the organization file's permission set). */
export interface RoleDefinition {
  name: string;
  sessionSeconds: number;
  /** AWS managed policy ARNs, as the file writes them. */
  managedPolicies: readonly string[];
  customerPolicies: ReadonlyArray<{ name: string; path: string }>;
  /** JSON text, or null. */
  inlinePolicy: string | null;
  /** JSON `{"ManagedPolicyArn": …}` or `{"CustomerManagedPolicyReference": {Name, Path}}`, or null. */
  permissionsBoundary: string | null;
}

/** One policy a role needs, and where it comes from (for messages). */
export interface PolicyRef {
  arn: string;
  kind: 'aws-managed' | 'customer-managed';
}

export interface RoleSpec {
  permissionSet: string;
  name: string;
  path: string;
  arn: string;
  description: string;
  trustPolicy: PolicyDocument;
  maxSessionDuration: number;
  /** Sorted ARNs: the AWS managed ones in the account's partition, then the customer managed. */
  managedPolicyArns: string[];
  /** Parsed, or null. */
  inlinePolicy: PolicyDocument | null;
  permissionsBoundaryArn: string | null;
  tags: Tag[];
}

export interface SamlProviderSpec {
  kind: 'saml';
  name: string;
  arn: string;
  metadata: string;
  tags: Tag[];
}

export interface OidcProviderSpec {
  kind: 'oidc';
  /** The issuer URL (this server's public URL). */
  url: string;
  arn: string;
  /** The audiences tokens may carry: the one this server uses. */
  clientIds: string[];
  /** The issuer certificate thumbprints to register; empty: IAM works them out itself. */
  thumbprints: string[];
  tags: Tag[];
}

export type ProviderSpec = SamlProviderSpec | OidcProviderSpec;

export interface AccountSpec {
  accountId: string;
  partition: Partition;
  /** The identity provider the roles trust. */
  provider: ProviderSpec;
  /** By role name order. */
  roles: RoleSpec[];
}

export interface AccountSpecInput {
  accountId: string;
  partition: Partition;
  settings: Pick<FederationSettings, 'providerName' | 'roleNamePattern' | 'rolePath'>;
  /** The audience of this server's assertions for the partition: the sign-in endpoint. */
  audience: string;
  /** The server's SAML metadata document (SAML accounts). */
  metadata: string;
  /** OIDC accounts: the issuer URL, the audience of its tokens, and thumbprints to register (may be empty). */
  oidc?: { issuer: string; audience: string; thumbprints: readonly string[] } | undefined;
  /** The permission sets assigned in the account. */
  roles: readonly RoleDefinition[];
}

/** `arn:<partition>:iam::aws:policy/…` for an AWS managed policy ARN written in any partition. */
export function managedPolicyInPartition(arn: string, partition: Partition): string {
  return arn.replace(/^arn:[^:]+:/, `arn:${partition}:`);
}

/** `arn:<partition>:iam::<account>:policy<path><name>` */
export function customerPolicyArn(
  partition: Partition,
  accountId: string,
  path: string,
  name: string,
): string {
  return `arn:${partition}:iam::${accountId}:policy${path}${name}`;
}

/** The IAM condition key of an issuer's token audience: `<issuer without https://>:aud`. */
export function webIdentityAudienceKey(issuer: string): string {
  return `${issuer.replace(/^https?:\/\//, '')}:aud`;
}

/** A trust policy: `providerArn` may take `actions` when `audience` holds (one condition key and value). */
function trustOf(
  providerArn: string,
  actions: readonly string[],
  audience: Record<string, string>,
): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: [...actions],
        Condition: { StringEquals: audience },
      },
    ],
  };
}

/** The trust policy of a role of an OIDC account: the issuer's provider, with a token for `audience`. */
export function webIdentityTrustPolicy(
  providerArn: string,
  issuer: string,
  audience: string,
): PolicyDocument {
  return trustOf(providerArn, TRUSTED_WEB_IDENTITY_ACTIONS, { [webIdentityAudienceKey(issuer)]: audience });
}

/** The trust policy of every role: the provider may assume it with an assertion for `audience`. */
export function trustPolicy(providerArn: string, audience: string): PolicyDocument {
  return trustOf(providerArn, TRUSTED_ACTIONS, { 'SAML:aud': audience });
}

/** The boundary's ARN in the account, from the stored JSON form. */
export function boundaryArn(boundary: string | null, partition: Partition, accountId: string): string | null {
  if (boundary === null) return null;
  const b = JSON.parse(boundary) as {
    ManagedPolicyArn?: string;
    CustomerManagedPolicyReference?: { Name: string; Path?: string };
  };
  if (b.ManagedPolicyArn) return managedPolicyInPartition(b.ManagedPolicyArn, partition);
  const ref = b.CustomerManagedPolicyReference;
  if (ref) return customerPolicyArn(partition, accountId, ref.Path ?? '/', ref.Name);
  return null;
}

/**
 * The longest session of a role: the permission set's, at least IAM's minimum of an hour. A
 * permission set longer than IAM allows is refused by name (the organization file already
 * refuses one; this holds for any caller).
 */
export function roleSessionSeconds(definition: Pick<RoleDefinition, 'name' | 'sessionSeconds'>): number {
  if (definition.sessionSeconds > MAX_ROLE_SESSION_SECONDS) {
    throw new DomainError(
      'validation',
      `permission set ${definition.name} lasts ${definition.sessionSeconds} s, longer than the ${MAX_ROLE_SESSION_SECONDS} s (12 hours) an IAM role allows; lower its sessionDuration to PT12H or less`,
    );
  }
  return Math.max(MIN_ROLE_SESSION_SECONDS, definition.sessionSeconds);
}

export function roleSpec(
  definition: RoleDefinition,
  input: Pick<AccountSpecInput, 'accountId' | 'partition' | 'settings' | 'audience' | 'oidc'>,
  providerArn: string,
): RoleSpec {
  const { accountId, partition, settings } = input;
  const name = roleNameFor(settings.roleNamePattern, definition.name);
  const managed = definition.managedPolicies.map((a) => managedPolicyInPartition(a, partition)).sort();
  const customer = definition.customerPolicies
    .map((c) => customerPolicyArn(partition, accountId, c.path, c.name))
    .sort();
  return {
    permissionSet: definition.name,
    name,
    path: settings.rolePath,
    arn: roleArn(partition, accountId, settings.rolePath, name),
    description: `idcenter permission set ${definition.name}`,
    trustPolicy: input.oidc
      ? webIdentityTrustPolicy(providerArn, input.oidc.issuer, input.oidc.audience)
      : trustPolicy(providerArn, input.audience),
    maxSessionDuration: roleSessionSeconds(definition),
    managedPolicyArns: [...managed, ...customer],
    inlinePolicy:
      definition.inlinePolicy === null ? null : (JSON.parse(definition.inlinePolicy) as PolicyDocument),
    permissionsBoundaryArn: boundaryArn(definition.permissionsBoundary, partition, accountId),
    tags: [
      { Key: MANAGED_TAG_KEY, Value: MANAGED_TAG_VALUE },
      { Key: PERMISSION_SET_TAG_KEY, Value: definition.name },
    ],
  };
}

/**
 * The provider and roles of one account.
 *
 * @example
 * accountSpec({ accountId: '123456789012', partition: 'aws', settings, audience:
 *   'https://signin.aws.amazon.com/saml', metadata, roles: [readOnly] }).roles[0].name
 * // 'idcenter-ReadOnly'
 */
export function accountSpec(input: AccountSpecInput): AccountSpec {
  const provider = providerSpec(input);
  const roles = input.roles
    .map((r) => roleSpec(r, input, provider.arn))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { accountId: input.accountId, partition: input.partition, provider, roles };
}

/** The provider of an account: the issuer's OIDC provider when `oidc` is given, else the SAML provider. */
function providerSpec(input: AccountSpecInput): ProviderSpec {
  const tags = [{ Key: MANAGED_TAG_KEY, Value: MANAGED_TAG_VALUE }];
  if (input.oidc) {
    return {
      kind: 'oidc',
      url: input.oidc.issuer,
      arn: oidcProviderArn(input.partition, input.accountId, input.oidc.issuer),
      clientIds: [input.oidc.audience],
      thumbprints: [...input.oidc.thumbprints],
      tags,
    };
  }
  return {
    kind: 'saml',
    name: input.settings.providerName,
    arn: samlProviderArn(input.partition, input.accountId, input.settings.providerName),
    metadata: input.metadata,
    tags,
  };
}

/** The policies a role needs that must exist in the account before they can be attached. */
export function policiesOf(role: RoleSpec): PolicyRef[] {
  const refs: PolicyRef[] = role.managedPolicyArns.map((arn) => ({
    arn,
    kind: arn.includes(':iam::aws:policy') ? 'aws-managed' : 'customer-managed',
  }));
  const boundary = role.permissionsBoundaryArn;
  if (boundary !== null && !refs.some((r) => r.arn === boundary)) {
    refs.push({
      arn: boundary,
      kind: boundary.includes(':iam::aws:policy') ? 'aws-managed' : 'customer-managed',
    });
  }
  return refs;
}

/** Whether `tags` mark a resource as created by this server. */
export function isManaged(
  tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }>,
): boolean {
  return tags.some((t) => t.Key === MANAGED_TAG_KEY && t.Value === MANAGED_TAG_VALUE);
}
