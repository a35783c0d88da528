/**
 * Table types of the store, shared by both dialects. Times are epoch milliseconds (integers),
 * booleans are 0/1 integers, JSON is text: the same bytes on SQLite and PostgreSQL.
 * Columns are snake_case; the domain maps them to its own names in `storage/repos`.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface InstanceTable {
  id: string; // always 'default': one instance per server
  instance_id: string; // ssoins-<16>
  identity_store_id: string; // d-<10 hex>
  organization_id: string; // o-<10..32>
  root_id: string; // r-<4..32>
  management_account_id: string | null;
  /** Bumped by every change to directory, organization, permission sets or assignments. */
  generation: number;
  created_at: number;
}

export interface OuTable {
  id: string; // ou-xxxx-xxxxxxxx
  parent_id: string; // root id or OU id
  name: string;
  /** Full path like /Workloads/Prod, unique. */
  path: string;
  created_at: number;
}

export interface AccountTable {
  id: string; // 12 digits
  name: string;
  email: string;
  ou_id: string | null; // null: directly under the root
  status: string; // ACTIVE | SUSPENDED | PENDING_CLOSURE
  joined_method: string; // CREATED | INVITED
  created_at: number;
  updated_at: number;
  /** `local` | `aws` (migration 012). */
  access: Generated<string>;
  /** aws | aws-us-gov | aws-cn; null: the instance's (`federation_settings.partition`). */
  partition: string | null;
  /** For `aws` accounts, `saml` | `oidc` (migration 018). */
  federation: Generated<string>;
}

export interface UserTable {
  id: string; // UUID
  user_name: string;
  user_name_lower: string;
  display_name: string;
  given_name: string | null;
  family_name: string | null;
  email: string | null;
  status: string; // ENABLED | DISABLED
  password_hash: string | null;
  external_id: string | null;
  created_at: number;
  updated_at: number;
  created_by: string;
  updated_by: string;
  /** JSON object of the organization file's free attributes, or null (migration 018). */
  custom_attributes: string | null;
  /** `local` | `directory` (migration 020). */
  source: Generated<string>;
  /** The directory entry's DN, for a user from a directory (migration 020). */
  directory_dn: string | null;
  /** JSON of the identitystore attributes beyond these columns, or null (migration 019). */
  profile: string | null;
}

export interface GroupTable {
  id: string;
  display_name: string;
  display_name_lower: string;
  description: string | null;
  external_id: string | null;
  created_at: number;
  updated_at: number;
  created_by: string;
  updated_by: string;
  /** `local` | `directory` (migration 020). */
  source: Generated<string>;
  directory_dn: string | null;
}

export interface MembershipTable {
  id: string;
  group_id: string;
  user_id: string;
  created_at: number;
  created_by: string;
}

export interface PermissionSetTable {
  id: string; // ps-<16>
  name: string;
  name_lower: string;
  description: string | null;
  session_duration: string; // ISO-8601 as given, e.g. PT4H
  session_seconds: number;
  relay_state: string | null;
  inline_policy: string | null;
  /** JSON: {"ManagedPolicyArn": …} or {"CustomerManagedPolicyReference": {Name, Path}} */
  permissions_boundary: string | null;
  /** Bumped by every definition change; provisioning records the version pushed. */
  version: number;
  created_at: number;
  updated_at: number;
  /** JSON object of session tag key to user attribute name, or null (migration 018). */
  session_tags: string | null;
  /** 1: its role credentials may call the admin APIs (migration 019). */
  administrators: Generated<number>;
}

/** An identifier an external identity provider gave a user (migration 019). */
export interface UserExternalIdTable {
  user_id: string;
  issuer: string;
  external_id: string;
  /** Order of the user's `ExternalIds`. */
  position: number;
}

/** An identifier an external identity provider gave a group (migration 019). */
export interface GroupExternalIdTable {
  group_id: string;
  issuer: string;
  external_id: string;
  position: number;
}

export interface PsManagedPolicyTable {
  permission_set_id: string;
  arn: string;
}

export interface PsCustomerPolicyTable {
  permission_set_id: string;
  name: string;
  path: string;
}

export interface PsTagTable {
  permission_set_id: string;
  key: string;
  value: string;
}

export interface AssignmentTable {
  id: string;
  account_id: string;
  permission_set_id: string;
  principal_type: string; // USER | GROUP
  principal_id: string;
  created_at: number;
  created_by: string;
}

/** One row per (account, permission set) that is provisioned: the role that exists there. */
export interface ProvisionedRoleTable {
  account_id: string;
  permission_set_id: string;
  /** 16 lower-case hex: the role name suffix AWSReservedSSO_<PS>_<hash>. */
  role_hash: string;
  /** AROA + 17 chars: the role id in UserId. */
  role_id: string;
  provisioned_version: number;
  created_at: number;
}

export interface AsyncRequestTable {
  id: string; // UUID
  kind: string; // assignment_create | assignment_delete | provision
  status: string; // IN_PROGRESS | SUCCEEDED | FAILED
  failure_reason: string | null;
  /** JSON of the request's subject fields, as the Describe…Status call returns them. */
  detail: string;
  created_at: number;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: number;
  actor: string; // 'cli:apply', 'user:<id>', 'admin:<key id>', 'system'
  action: string; // e.g. user.create, assignment.delete, signin.failure
  target_type: string | null;
  target_id: string | null;
  /** JSON with before/after ids and other details; never secrets. */
  detail: string | null;
  source_ip: string | null;
  request_id: string | null;
}

// ---- auth: sign-in and SSO OIDC ----

export interface OidcClientTable {
  id: string; // clientId
  secret_hash: string;
  name: string;
  client_type: string;
  scopes: string; // JSON array
  grant_types: string; // JSON array
  redirect_uris: string; // JSON array
  issuer_url: string | null;
  issued_at: number;
  expires_at: number;
}

export interface PortalSessionTable {
  id: string;
  token_hash: string;
  user_id: string;
  /** The public origin the session was made for (scheme://host:port); null before migration 008. */
  origin: string | null;
  /** 0 until the second factor passed (when the user has or needs MFA). */
  mfa_done: number;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  revoked_at: number | null;
  source_ip: string | null;
  user_agent: string | null;
}

export interface DeviceGrantTable {
  id: string;
  device_code_hash: string;
  user_code: string; // normalised, 8 letters without hyphen
  client_id: string;
  scopes: string; // JSON array
  status: string; // pending | approved | denied | redeemed
  user_id: string | null;
  session_id: string | null;
  interval_s: number;
  last_poll_at: number | null;
  created_at: number;
  expires_at: number;
}

export interface AuthCodeTable {
  code_hash: string;
  client_id: string;
  user_id: string;
  session_id: string;
  redirect_uri: string;
  code_challenge: string;
  scopes: string; // JSON array
  created_at: number;
  expires_at: number;
  redeemed_at: number | null;
}

export interface TokenFamilyTable {
  id: string;
  user_id: string;
  client_id: string;
  session_id: string | null;
  scopes: string; // JSON array
  created_at: number;
  /** End of life of the family: the portal session's expiry. */
  expires_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
}

export interface AccessTokenTable {
  token_hash: string;
  family_id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface RefreshTokenTable {
  token_hash: string;
  family_id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** Set when exchanged; a later use after the grace period revokes the family. */
  used_at: number | null;
  revoked_at: number | null;
}

export interface MfaDeviceTable {
  id: string;
  user_id: string;
  kind: string; // TOTP
  label: string;
  /** The TOTP secret sealed under the server key. */
  secret_sealed: string;
  confirmed_at: number | null;
  /** Last accepted 30 s time step, to refuse a code's replay. */
  last_step: number;
  created_at: number;
}

/** Failure counters for lockout and rate limits; shared by every replica. */
export interface ThrottleTable {
  key: string; // e.g. pw:<userId>, totp:<userId>, ucode:<userId>
  failures: number;
  window_start: number;
  last_failure_at: number;
  locked_until: number;
  /** Attempts a success gave back since the count last started again (migration 009). */
  forgiven: Generated<number>;
}

// ---- credentials ----

/** Revocations that stateless role credentials are checked against (every replica polls). */
export interface RevocationTable {
  id: Generated<number>;
  /** user | session | family | access | all */
  kind: string;
  /** user id, session id, family id, `<userId>|<accountId>|<permissionSetId>`, or `*` (all) */
  subject: string;
  /** Credentials issued before this instant (ms) for the subject stop verifying. */
  not_before: number;
  created_at: number;
  /** When the entry can be dropped: no credential issued before not_before outlives it. */
  expires_at: number;
}

export interface ServerKeyTable {
  id: string; // key id
  purpose: string; // credentials | mfa
  secret: string; // base64
  created_at: number;
  retired_at: number | null;
}

/** The id of a credential key a server of this store has used (migration 007). */
export interface CredentialKeyIdTable {
  key_id: string;
  recorded_at: number;
}

/** One row (id 1) that /readyz updates, proving the store accepts a write (migration 007). */
export interface StoreHeartbeatTable {
  id: number;
  beat_at: number;
}

/** One row (id 1): raised by trigger on every change that can take access away (migration 004). */
export interface StoreGenerationTable {
  id: number;
  value: number;
}

/** The instance's federation names (migration 012): one row, `default`; none means the defaults. */
export interface FederationSettingsTable {
  id: string;
  provider_name: string;
  role_name_pattern: string;
  role_path: string;
  partition: string;
  region: string;
  updated_at: number;
  /** The `aud` of web identity tokens (migration 018). */
  oidc_audience: Generated<string>;
}

/** A one-time console sign-in link for the command line (migration 018). */
export interface ConsoleLinkTable {
  /** SHA-256 (base64url) of the code in the link. */
  code_hash: string;
  user_id: string;
  account_id: string;
  /** Permission-set name. */
  role_name: string;
  destination: string | null;
  /** The portal session and token family of the bearer token that asked for it. */
  session_id: string | null;
  family_id: string | null;
  created_at: number;
  expires_at: number;
  redeemed_at: number | null;
}

export interface Database {
  instance: InstanceTable;
  ous: OuTable;
  accounts: AccountTable;
  users: UserTable;
  groups: GroupTable;
  group_memberships: MembershipTable;
  permission_sets: PermissionSetTable;
  ps_managed_policies: PsManagedPolicyTable;
  ps_customer_policies: PsCustomerPolicyTable;
  ps_tags: PsTagTable;
  account_assignments: AssignmentTable;
  provisioned_roles: ProvisionedRoleTable;
  async_requests: AsyncRequestTable;
  audit_events: AuditEventTable;
  oidc_clients: OidcClientTable;
  portal_sessions: PortalSessionTable;
  device_grants: DeviceGrantTable;
  auth_codes: AuthCodeTable;
  token_families: TokenFamilyTable;
  access_tokens: AccessTokenTable;
  refresh_tokens: RefreshTokenTable;
  mfa_devices: MfaDeviceTable;
  throttles: ThrottleTable;
  revocations: RevocationTable;
  server_keys: ServerKeyTable;
  store_generation: StoreGenerationTable;
  credential_key_ids: CredentialKeyIdTable;
  store_heartbeat: StoreHeartbeatTable;
  federation_settings: FederationSettingsTable;
  console_links: ConsoleLinkTable;
  identity_source: IdentitySourceTable;
  directory_sync: DirectorySyncTable;
  user_external_ids: UserExternalIdTable;
  group_external_ids: GroupExternalIdTable;
}

/** The instance's identity source, as `idcenter apply` stored it (migration 020). */
export interface IdentitySourceTable {
  id: string; // always 'default'
  /** JSON of `IdentitySource` (domain/identity/identity-source.ts). */
  settings: string;
  updated_at: number;
}

/** Where the directory sync stands, and who runs it (migration 020). */
export interface DirectorySyncTable {
  id: string; // always 'default'
  /** The highest uSNChanged (AD) or latest modifyTimestamp (LDAP) the last sync read. */
  cursor: string | null;
  last_full_at: number | null;
  last_run_at: number | null;
  /** JSON summary of the last run. */
  last_result: string | null;
  lease_owner: string | null;
  lease_until: number | null;
}

export type UserRow = Selectable<UserTable>;
export type NewUserRow = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type AccountRow = Selectable<AccountTable>;
export type GroupRow = Selectable<GroupTable>;
export type PermissionSetRow = Selectable<PermissionSetTable>;
export type AssignmentRow = Selectable<AssignmentTable>;
export type AuditEventRow = Selectable<AuditEventTable>;
