/**
 * How this organization's accounts are reached in AWS: per account an access mode (`local`, the
 * server's own sealed credentials; `aws`, real credentials through IAM federation, SAML or OIDC)
 * and, for the instance, the names that the IAM side of every `aws` account uses — the SAML
 * provider, the role of each permission set (`idcenter-{permissionSet}` under `/idcenter/`), the
 * audience of web identity tokens — with the default partition and region. They come from the organization file (`federation:`), because the roles
 * `idcenter apply` will provision and the roles the server asks STS for must be the same ones.
 *
 * Each check returns the problem as a sentence, or undefined; the limits are IAM's own
 * (`CreateRole` RoleName and Path, `CreateSAMLProvider` Name).
 */
import { defaultRegion, type Partition, regionInPartition } from './partitions.ts';
import { DEFAULT_OIDC_AUDIENCE } from './web-identity.ts';

export const ACCESS_MODES = ['local', 'aws'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/**
 * How an `aws` account's credentials are obtained: `saml` (STS `AssumeRoleWithSAML`, the default;
 * also what console sign-in uses) or `oidc` (STS `AssumeRoleWithWebIdentity` with this server as
 * an OpenID Connect issuer, for a server reachable over https).
 */
export const FEDERATION_PROTOCOLS = ['saml', 'oidc'] as const;
export type FederationProtocol = (typeof FEDERATION_PROTOCOLS)[number];

/** How one account is reached, as the store has it: `local`, or `aws` with its partition and protocol. */
export interface AccountAccess {
  access: string;
  partition: Partition | null;
  /** SAML or OIDC, for an `aws` account. */
  federation: FederationProtocol;
}

export function isFederationProtocol(value: string): value is FederationProtocol {
  return (FEDERATION_PROTOCOLS as readonly string[]).includes(value);
}

/** Where a role name pattern puts the permission set's name. */
export const PERMISSION_SET_PLACEHOLDER = '{permissionSet}';

/** The longest permission-set name (`checkPermissionSetName`). */
const MAX_PERMISSION_SET_NAME = 32;
const MAX_ROLE_NAME = 64;

export interface FederationSettings {
  /** The IAM SAML provider's name in every `aws` account. */
  providerName: string;
  /** The role name of a permission set: `{permissionSet}` is replaced by its name. */
  roleNamePattern: string;
  /** IAM path of those roles: `/` or `/name/…/`. */
  rolePath: string;
  /** Partition of an account that names none. */
  partition: Partition;
  /** Region whose STS endpoint is called, for accounts in `partition`. */
  region: string;
  /** The `aud` of web identity tokens (`federation: oidc` accounts): the IAM OIDC provider's client id. */
  oidcAudience: string;
}

export const DEFAULT_FEDERATION: Readonly<FederationSettings> = Object.freeze({
  providerName: 'idcenter',
  roleNamePattern: `idcenter-${PERMISSION_SET_PLACEHOLDER}`,
  rolePath: '/idcenter/',
  partition: 'aws',
  region: 'us-east-1',
  oidcAudience: DEFAULT_OIDC_AUDIENCE,
});

/** The settings' fields, in the order the organization file writes them. */
export const FEDERATION_FIELDS = Object.keys(DEFAULT_FEDERATION) as ReadonlyArray<keyof FederationSettings>;

export function isAccessMode(value: string): value is AccessMode {
  return (ACCESS_MODES as readonly string[]).includes(value);
}

/** An IAM SAML provider name: 1–128 of letters, digits and `._-`. */
export function checkProviderName(value: string): string | undefined {
  return /^[\w.-]{1,128}$/.test(value)
    ? undefined
    : `SAML provider name "${value}" must be 1 to 128 letters, digits and . _ - (an IAM SAML provider name)`;
}

/**
 * A role name pattern: `{permissionSet}` once, the rest letters, digits and `+=,.@_-`, and short
 * enough that the longest permission-set name still gives an IAM role name (64 characters).
 */
export function checkRoleNamePattern(value: string): string | undefined {
  const parts = value.split(PERMISSION_SET_PLACEHOLDER);
  if (parts.length !== 2) {
    return `role name pattern "${value}" must contain ${PERMISSION_SET_PLACEHOLDER} exactly once`;
  }
  const fixed = parts.join('');
  if (!/^[\w+=,.@-]*$/.test(fixed)) {
    return `role name pattern "${value}" may contain only letters, digits and + = , . @ _ - around ${PERMISSION_SET_PLACEHOLDER}`;
  }
  if (fixed.length + MAX_PERMISSION_SET_NAME > MAX_ROLE_NAME) {
    return `role name pattern "${value}" leaves room for ${MAX_ROLE_NAME - fixed.length} characters of permission-set name; IAM role names are at most ${MAX_ROLE_NAME} characters and permission-set names up to ${MAX_PERMISSION_SET_NAME}`;
  }
  return undefined;
}

/** An IAM path: `/`, or `/` + printable ASCII + `/`, at most 512 characters. */
export function checkRolePath(value: string): string | undefined {
  return value.length <= 512 && /^\/(?:[\x21-\x7e]*\/)?$/.test(value) && !value.includes('//')
    ? undefined
    : `role path "${value}" must be an IAM path: "/" or "/name/" (printable characters, starting and ending with "/")`;
}

/** A region name such as `us-east-1` that belongs to `partition`. */
export function checkRegion(value: string, partition: Partition): string | undefined {
  if (!/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(value)) {
    return `region "${value}" is not an AWS region name (such as us-east-1)`;
  }
  return regionInPartition(value, partition)
    ? undefined
    : `region ${value} is not in partition ${partition} (its regions start with ${partition === 'aws-cn' ? 'cn-' : partition === 'aws-us-gov' ? 'us-gov-' : 'neither cn- nor us-gov-'})`;
}

/** The IAM role name of a permission set under `pattern`. */
export function roleNameFor(pattern: string, permissionSetName: string): string {
  return pattern.replace(PERMISSION_SET_PLACEHOLDER, permissionSetName);
}

/** The region to call STS in for an account of `partition`: the instance's when it is there. */
export function regionFor(settings: FederationSettings, partition: Partition): string {
  return regionInPartition(settings.region, partition) ? settings.region : defaultRegion(partition);
}

/**
 * How `idcenter apply` reaches the IAM of `aws` accounts to provision their SAML provider and
 * roles (the organization file's `federation.provisioning`): AWS's default credential chain, or
 * a named profile, for a credential of the management account; then `sts:AssumeRole` into
 * `roleName` in every other account. Not stored: only apply needs them.
 */
export interface ProvisioningSettings {
  /** False: apply leaves IAM alone (the roles come from `idcenter aws template` or by hand). */
  enabled: boolean;
  /** An AWS profile (shared config and credentials files); null: the default credential chain. */
  profile: string | null;
  /** The role assumed in each account the credential does not belong to. */
  roleName: string;
  /** `sts:ExternalId` for that role, when its trust policy asks for one. */
  externalId: string | null;
  /**
   * The SHA-1 thumbprints of the issuer's certificate authority to register on the IAM OIDC
   * provider of `federation: oidc` accounts; empty: IAM works the thumbprint out itself.
   */
  oidcThumbprints: string[];
}

export const DEFAULT_PROVISIONING: Readonly<ProvisioningSettings> = Object.freeze({
  enabled: true,
  profile: null,
  roleName: 'OrganizationAccountAccessRole',
  externalId: null,
  oidcThumbprints: [],
});

/** The role assumed in member accounts: an IAM role name, 1–64 of letters, digits and `+=,.@_-`. */
export function checkProvisioningRoleName(value: string): string | undefined {
  return /^[\w+=,.@-]{1,64}$/.test(value)
    ? undefined
    : `role name "${value}" must be an IAM role name: 1 to 64 letters, digits and + = , . @ _ -`;
}

/** An AWS profile name as the shared config file writes it: no whitespace or brackets. */
export function checkProfileName(value: string): string | undefined {
  return /^[^\s[\]#;]{1,128}$/.test(value)
    ? undefined
    : `profile "${value}" must be an AWS profile name (1 to 128 characters, no spaces, brackets, # or ;)`;
}

/** A certificate thumbprint as IAM takes it: the SHA-1 digest in 40 hex digits. */
export function checkThumbprint(value: string): string | undefined {
  return /^[0-9A-Fa-f]{40}$/.test(value)
    ? undefined
    : `thumbprint "${value}" must be 40 hex digits (the SHA-1 digest of the issuer's top CA certificate)`;
}

/** `sts:ExternalId`: 2–1224 of letters, digits and `+=,.@:/-` (STS `AssumeRole` ExternalId). */
export function checkExternalId(value: string): string | undefined {
  return /^[\w+=,.@:/-]{2,1224}$/.test(value)
    ? undefined
    : 'externalId must be 2 to 1224 letters, digits and + = , . @ : / - (an STS external id)';
}
