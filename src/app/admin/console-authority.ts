/**
 * What an administrator may do in the admin console: exactly what their administrators'
 * permission sets let them do through the admin APIs. A console user holds one or more of the
 * administrators' permission sets (assigned directly or through a group, in some account); each
 * becomes an `AdminCaller` as if its role credentials were signing (`caller.ts`), and a console
 * action is allowed when one of them may make the admin API call it stands for, with the same
 * action and resource ARNs the API adapters authorise (`protocol/admin/`). So a read-only
 * administrator reads in the console and changes nothing, and an explicit deny holds here too.
 *
 * Actions the admin APIs do not have are mapped to the nearest one: disabling, enabling, MFA
 * reset, signing a user out and ending one of their sessions are `identitystore:UpdateUser` on
 * that user; the sessions list and the audit log need only an administrators' permission set.
 */
import { DomainError } from '../../domain/errors.ts';
import {
  IDENTITY_STORE_ALL_GROUPS,
  IDENTITY_STORE_ALL_USERS,
  identityStoreArn,
  identityStoreGroupArn,
  identityStoreMembershipArn,
  identityStoreUserArn,
  organizationalUnitArn,
  organizationsAccountArn,
  organizationsRootArn,
  ssoAccountArn,
  ssoInstanceArn,
  ssoPermissionSetArn,
} from '../../domain/iam/arn.ts';
import { isRequestTagKey } from '../../domain/iam/context.ts';
import { type AdminService, operationAuthorization } from '../../domain/iam/operations.ts';
import { assignmentsOf } from '../access.ts';
import type { AppContext } from '../context.ts';
import type { RoleSessionClaims } from '../credentials/seal.ts';
import { ensureInstance, type Instance } from '../instance.ts';
import { type AdminCaller, type AdminRequestFacts, authorizeAdmin, loadAdminCaller } from './caller.ts';

/** A console user who holds at least one administrators' permission set. */
export interface ConsoleAdmin {
  userId: string;
  /** One per (account, administrators' permission set) the user holds. */
  callers: AdminCaller[];
  instance: Instance;
}

/** What a console page or form does, as the admin API call it stands for. */
export type ConsoleAct =
  | {
      op: 'ListUsers' | 'CreateUser' | 'ListGroups' | 'CreateGroup' | 'ListAccounts';
    }
  | { op: 'ListPermissionSets' | 'CreatePermissionSet' }
  | { op: 'DescribeUser' | 'UpdateUser'; userId: string }
  | { op: 'DescribeGroup' | 'DeleteGroup'; groupId: string }
  | { op: 'CreateGroupMembership'; groupId: string; userId: string }
  | { op: 'DeleteGroupMembership'; membershipId: string; groupId: string; userId: string }
  | { op: 'DescribeAccount'; accountId: string }
  | { op: 'DescribePermissionSet' | 'DeletePermissionSet' | PermissionSetChange; permissionSetId: string }
  | {
      /**
       * Tags a permission set; `tags` are the request's (aws:RequestTag, aws:TagKeys). Without
       * them: whether some tags may be added (to offer the form before one is typed).
       */
      op: 'TagResource';
      permissionSetId: string;
      tags?: Readonly<Record<string, string>>;
    }
  | {
      /** Untags a permission set; without `tagKeys`: whether some keys may be removed. */
      op: 'UntagResource';
      permissionSetId: string;
      tagKeys?: readonly string[];
    }
  | { op: 'CreateOrganizationalUnit'; parentId: string }
  | { op: 'UpdateOrganizationalUnit' | 'DeleteOrganizationalUnit'; ouId: string }
  | { op: 'MoveAccount'; accountId: string; sourceParentId: string; destinationParentId: string }
  | {
      op: 'CreateAccountAssignment' | 'DeleteAccountAssignment';
      accountId: string;
      permissionSetId: string;
    };

/** The sso-admin calls that change one permission set: its definition, or its roles' version. */
export type PermissionSetChange =
  | 'ProvisionPermissionSet'
  | 'UpdatePermissionSet'
  | 'AttachManagedPolicyToPermissionSet'
  | 'DetachManagedPolicyFromPermissionSet'
  | 'PutInlinePolicyToPermissionSet'
  | 'DeleteInlinePolicyFromPermissionSet'
  | 'AttachCustomerManagedPolicyReferenceToPermissionSet'
  | 'DetachCustomerManagedPolicyReferenceFromPermissionSet'
  | 'PutPermissionsBoundaryToPermissionSet'
  | 'DeletePermissionsBoundaryFromPermissionSet';

/** Most administrators' permission sets of one person that are looked at. */
const MAX_CALLERS = 20;

/** A role hash for a permission set not provisioned in the account yet (only names the role). */
const UNPROVISIONED = '0'.repeat(16);

/**
 * The console administrator a signed-in user is, or undefined when they hold no
 * administrators' permission set (or are disabled).
 */
export async function consoleAdmin(
  ctx: AppContext,
  session: { userId: string; userName: string; sessionId: string; expiresAt: number },
  partition: string,
): Promise<ConsoleAdmin | undefined> {
  const db = ctx.store.db;
  const held = await db
    .selectFrom(assignmentsOf(db, session.userId).as('a'))
    .innerJoin('permission_sets as ps', 'ps.id', 'a.permission_set_id')
    .leftJoin('provisioned_roles as pr', (j) =>
      j.onRef('pr.account_id', '=', 'a.account_id').onRef('pr.permission_set_id', '=', 'a.permission_set_id'),
    )
    .select(['a.account_id', 'a.permission_set_id', 'ps.name', 'pr.role_hash', 'pr.role_id'])
    .distinct()
    .where('ps.administrators', '=', 1)
    .orderBy('a.account_id')
    .orderBy('a.permission_set_id')
    .limit(MAX_CALLERS)
    .execute();
  const callers: AdminCaller[] = [];
  for (const h of held) {
    const claims: RoleSessionClaims = {
      accessKeyId: 'admin-console',
      userId: session.userId,
      userName: session.userName,
      accountId: h.account_id,
      permissionSetId: h.permission_set_id,
      roleName: h.name,
      roleHash: h.role_hash ?? UNPROVISIONED,
      roleId: h.role_id ?? 'AROAADMINCONSOLE00000',
      sessionId: session.sessionId,
      familyId: null,
      issuedAt: ctx.clock.now(),
      expiresAt: session.expiresAt,
    };
    const caller = await loadAdminCaller(ctx, claims, partition);
    if (caller?.administrator) callers.push(caller);
  }
  if (callers.length === 0) return undefined;
  return { userId: session.userId, callers, instance: await ensureInstance(ctx) };
}

const SERVICE: Record<ConsoleAct['op'], AdminService> = {
  ListUsers: 'identitystore',
  CreateUser: 'identitystore',
  DescribeUser: 'identitystore',
  UpdateUser: 'identitystore',
  ListGroups: 'identitystore',
  DescribeGroup: 'identitystore',
  CreateGroup: 'identitystore',
  DeleteGroup: 'identitystore',
  CreateGroupMembership: 'identitystore',
  DeleteGroupMembership: 'identitystore',
  ListAccounts: 'organizations',
  DescribeAccount: 'organizations',
  ListPermissionSets: 'sso-admin',
  DescribePermissionSet: 'sso-admin',
  CreatePermissionSet: 'sso-admin',
  DeletePermissionSet: 'sso-admin',
  UpdatePermissionSet: 'sso-admin',
  ProvisionPermissionSet: 'sso-admin',
  AttachManagedPolicyToPermissionSet: 'sso-admin',
  DetachManagedPolicyFromPermissionSet: 'sso-admin',
  PutInlinePolicyToPermissionSet: 'sso-admin',
  DeleteInlinePolicyFromPermissionSet: 'sso-admin',
  AttachCustomerManagedPolicyReferenceToPermissionSet: 'sso-admin',
  DetachCustomerManagedPolicyReferenceFromPermissionSet: 'sso-admin',
  PutPermissionsBoundaryToPermissionSet: 'sso-admin',
  DeletePermissionsBoundaryFromPermissionSet: 'sso-admin',
  TagResource: 'sso-admin',
  UntagResource: 'sso-admin',
  CreateOrganizationalUnit: 'organizations',
  UpdateOrganizationalUnit: 'organizations',
  DeleteOrganizationalUnit: 'organizations',
  MoveAccount: 'organizations',
  CreateAccountAssignment: 'sso-admin',
  DeleteAccountAssignment: 'sso-admin',
};

/** The resource ARNs the admin API adapter authorises the call against. */
function resourcesOf(i: Instance, act: ConsoleAct): string[] {
  const store = identityStoreArn(i.management_account_id ?? '', i.identity_store_id);
  const instance = ssoInstanceArn(i.instance_id);
  switch (act.op) {
    case 'ListUsers':
      return [store, IDENTITY_STORE_ALL_USERS];
    case 'CreateUser':
    case 'CreateGroup':
      return [store];
    case 'DescribeUser':
    case 'UpdateUser':
      return [store, identityStoreUserArn(act.userId)];
    case 'ListGroups':
      return [store, IDENTITY_STORE_ALL_GROUPS];
    case 'DescribeGroup':
    case 'DeleteGroup':
      return [store, identityStoreGroupArn(act.groupId)];
    case 'CreateGroupMembership':
      return [store, identityStoreGroupArn(act.groupId), identityStoreUserArn(act.userId)];
    case 'DeleteGroupMembership':
      return [
        store,
        identityStoreMembershipArn(act.membershipId),
        identityStoreGroupArn(act.groupId),
        identityStoreUserArn(act.userId),
      ];
    case 'ListAccounts':
      return [];
    case 'DescribeAccount':
      return [organizationsAccountArn(i.management_account_id ?? '', i.organization_id, act.accountId)];
    case 'ListPermissionSets':
      return [instance];
    case 'CreatePermissionSet':
      // Its ARN is not known before it exists: any permission set of the instance, as the API.
      return [instance, ssoPermissionSetArn(i.instance_id, '*')];
    case 'DescribePermissionSet':
    case 'DeletePermissionSet':
    case 'UpdatePermissionSet':
    case 'ProvisionPermissionSet':
    case 'AttachManagedPolicyToPermissionSet':
    case 'DetachManagedPolicyFromPermissionSet':
    case 'PutInlinePolicyToPermissionSet':
    case 'DeleteInlinePolicyFromPermissionSet':
    case 'AttachCustomerManagedPolicyReferenceToPermissionSet':
    case 'DetachCustomerManagedPolicyReferenceFromPermissionSet':
    case 'PutPermissionsBoundaryToPermissionSet':
    case 'DeletePermissionsBoundaryFromPermissionSet':
      return [instance, ssoPermissionSetArn(i.instance_id, act.permissionSetId)];
    case 'TagResource':
    case 'UntagResource':
      // As the API: the resource the call names, the permission set.
      return [ssoPermissionSetArn(i.instance_id, act.permissionSetId)];
    case 'CreateOrganizationalUnit':
      return [parentArn(i, act.parentId)];
    case 'UpdateOrganizationalUnit':
    case 'DeleteOrganizationalUnit':
      return [organizationalUnitArn(i.management_account_id ?? '', i.organization_id, act.ouId)];
    case 'MoveAccount':
      return [
        organizationsAccountArn(i.management_account_id ?? '', i.organization_id, act.accountId),
        parentArn(i, act.sourceParentId),
        parentArn(i, act.destinationParentId),
      ];
    case 'CreateAccountAssignment':
    case 'DeleteAccountAssignment':
      return [
        instance,
        ssoPermissionSetArn(i.instance_id, act.permissionSetId),
        ssoAccountArn(act.accountId),
      ];
  }
}

/** The ARN of a parent as the organizations API names it: the root (its id, or `root`) or an OU. */
function parentArn(i: Instance, parentId: string): string {
  const management = i.management_account_id ?? '';
  return parentId === 'root' || parentId === i.root_id
    ? organizationsRootArn(management, i.organization_id, i.root_id)
    : organizationalUnitArn(management, i.organization_id, parentId);
}

/**
 * Throws `access_denied` (its message names the action) unless one of the administrator's
 * permission sets allows the admin API call `act` stands for.
 */
export function assertConsoleMay(
  admin: ConsoleAdmin,
  act: ConsoleAct,
  facts: AdminRequestFacts,
  now: number,
): void {
  const operation = operationAuthorization(SERVICE[act.op], act.op);
  if (!operation) throw new Error(`internal: no authorization for ${act.op}`);
  const resources = resourcesOf(admin.instance, act);
  // Tags not known yet: a condition on them may hold for an Allow, may fail for a Deny.
  const someTags = { unknownKeys: isRequestTagKey };
  const tags =
    act.op === 'TagResource'
      ? act.tags
        ? { requestTags: act.tags, tagKeys: Object.keys(act.tags) }
        : someTags
      : act.op === 'UntagResource'
        ? act.tagKeys
          ? { tagKeys: act.tagKeys }
          : someTags
        : {};
  let denial: unknown;
  for (const caller of admin.callers) {
    try {
      authorizeAdmin(caller, { operation, resources, facts, now, ...tags });
      return;
    } catch (err) {
      denial = err;
    }
  }
  throw new DomainError(
    'access_denied',
    `None of your administrators’ permission sets allows ${operation.action}${
      resources.length > 1 ? ` on ${resources.at(-1)}` : ''
    }, so the console does not either.`,
    { cause: denial },
  );
}

/** True when `assertConsoleMay` would allow `act` (to offer only the controls that work). */
export function consoleMay(
  admin: ConsoleAdmin,
  act: ConsoleAct,
  facts: AdminRequestFacts,
  now: number,
): boolean {
  try {
    assertConsoleMay(admin, act, facts, now);
    return true;
  } catch {
    return false;
  }
}
