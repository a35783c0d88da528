/**
 * The organization a file describes, after validation and reference resolution: what
 * `idcenter apply` reconciles the store to. Names are keyed case-insensitively (`key`), OU
 * targets are already expanded to the accounts under them.
 */
import type { Partition } from '../../domain/federation/partitions.ts';
import type {
  AccessMode,
  FederationProtocol,
  FederationSettings,
  ProvisioningSettings,
} from '../../domain/federation/settings.ts';
import type { IdentitySource } from '../../domain/identity/identity-source.ts';
import type { ExternalIdRef } from './user-profile.ts';

export interface DesiredAccount {
  id: string;
  name: string;
  email: string;
  /** `/` when the account sits directly under the root. */
  ouPath: string;
  /** `local` (the default) or `aws` (federated with IAM SAML). */
  access: AccessMode;
  /** null: the instance's partition (`federation.partition`). */
  partition: Partition | null;
  /** For `aws` accounts: SAML (the default) or OIDC federation; `saml` for `local` ones. */
  federation: FederationProtocol;
}

export interface DesiredGroup {
  key: string;
  name: string;
  description: string | null;
  /** `externalIds:`, in the file's order; empty for none. */
  externalIds: ExternalIdRef[];
}

export interface DesiredUser {
  key: string;
  userName: string;
  displayName: string;
  /** null: none (the identitystore API makes users without one). */
  givenName: string | null;
  familyName: string | null;
  /** The primary e-mail: `email:`, or the primary (else the first) of `emails:`. */
  email: string | null;
  /**
   * The identitystore attributes beyond the fields above, in the identitystore shape
   * (`org-file/user-profile.ts`), `Emails` included; empty when the file sets none.
   */
  profile: Record<string, unknown>;
  /** `externalIds:`, in the file's order; empty for none. */
  externalIds: ExternalIdRef[];
  /** Initial password: set only when the user is created or has none. Never logged. */
  password: string | undefined;
  /** Group keys. */
  groups: string[];
  /** undefined: leave the status as it is (new users are enabled). */
  disabled: boolean | undefined;
  /** Free attributes (`attributes:`), for session tags. */
  attributes: Record<string, string>;
}

export interface DesiredPermissionSet {
  key: string;
  name: string;
  description: string | null;
  sessionDuration: string;
  sessionSeconds: number;
  relayState: string | null;
  /** The JSON text to store, or null. */
  inlinePolicy: string | null;
  /** JSON `{"ManagedPolicyArn": …}` or `{"CustomerManagedPolicyReference": {Name, Path}}`, or null. */
  permissionsBoundary: string | null;
  /** Sorted, unique. */
  managedPolicies: string[];
  /** Sorted by path then name, unique. */
  customerPolicies: Array<{ name: string; path: string }>;
  tags: Record<string, string>;
  /** Session tag key → user attribute name (`sessionTags:`). */
  sessionTags: Record<string, string>;
}

export type PrincipalType = 'USER' | 'GROUP';

export interface DesiredAssignment {
  principalType: PrincipalType;
  /** User or group key. */
  principal: string;
  /** Permission-set key. */
  permissionSet: string;
  accountId: string;
}

export interface DesiredOrg {
  managementAccount: string | undefined;
  /** The file's `federation:` with every default filled in. */
  federation: FederationSettings;
  /** The file's `federation.provisioning` with every default filled in (not stored). */
  provisioning: ProvisioningSettings;
  /** `identitySource:` with every default filled in; `builtIn` when the file has none. */
  identitySource: IdentitySource;
  /**
   * Groups that assignments name but `groups:` does not define, when the source is a directory:
   * apply refuses them unless the directory has them (synced here). With the path to report.
   */
  directoryGroups: Array<{ key: string; name: string; path: Array<string | number> }>;
  /** Every OU path the accounts need, parents before children. */
  ous: string[];
  accounts: DesiredAccount[];
  groups: DesiredGroup[];
  users: DesiredUser[];
  permissionSets: DesiredPermissionSet[];
  /** Unique (principal, permission set, account) rows, OU targets expanded. */
  assignments: DesiredAssignment[];
  /**
   * Permission-set keys whose role credentials may call the admin APIs (`administrators:`);
   * undefined when the file leaves the key out: the store keeps what it has.
   */
  administrators: string[] | undefined;
}

/** Canonical form of a policy JSON text, for comparing what is stored with what is wanted. */
export function canonicalJson(text: string | null): string | null {
  if (text === null) return null;
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}
