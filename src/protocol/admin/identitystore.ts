/**
 * identitystore (awsJson1.1, target prefix `AWSIdentityStore`, signing name `identitystore`):
 * every operation of the service model, over the store's users, groups and memberships
 * (`app/admin/directory.ts`). Inputs are checked against the model's shapes (`shapes.ts`);
 * each operation is authorised for its action on the resources the Service Authorization
 * Reference names (the identity store, the user, the group, the membership).
 */
import {
  createGroup,
  createMembership,
  createUser,
  deleteGroup,
  deleteMembership,
  deleteUser,
  describeGroup,
  describeMembership,
  describeUser,
  type ExternalId,
  findGroupId,
  findMembershipId,
  findUserId,
  listGroups,
  listMemberships,
  listUsers,
  membershipsAmong,
  updateGroup,
  updateUser,
  type Wire,
} from '../../app/admin/directory.ts';
import { type AdminWho, noteRevocations } from '../../app/admin/who.ts';
import type { Instance } from '../../app/instance.ts';
import { DomainError } from '../../domain/errors.ts';
import {
  IDENTITY_STORE_ALL_GROUPS,
  IDENTITY_STORE_ALL_MEMBERSHIPS,
  IDENTITY_STORE_ALL_USERS,
  identityStoreArn,
  identityStoreGroupArn,
  identityStoreMembershipArn,
  identityStoreUserArn,
} from '../../domain/iam/arn.ts';
import {
  EXTENSION_NAME_TEXT,
  EXTERNAL_ID_TEXT,
  MAX_ADDRESSES,
  MAX_EMAILS,
  MAX_EXTENSIONS,
  MAX_EXTERNAL_IDS,
  MAX_PHONE_NUMBERS,
  MAX_PHOTOS,
  MAX_ROLES,
  SENSITIVE_TEXT,
  type TextLimits,
} from '../../domain/identity/user-attributes.ts';
import { AdminError } from './errors.ts';
import { type AdminCall, type AdminOperation, type AdminServiceDef, op, pagedAnswer } from './handler.ts';
import {
  bool,
  check,
  doc,
  int,
  list,
  map,
  type Shape,
  str,
  struct,
  union,
  ValidationProblem,
} from './shapes.ts';

/** A string shape from the limits the organization file checks too (`domain/identity/user-attributes.ts`). */
const limited = (limits: TextLimits) => str(limits.min, limits.max, limits.pattern);
const STORE_ID = str(1, 36, 'd-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}');
const RESOURCE_ID = str(
  1,
  47,
  '([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}',
);
const USER_NAME = str(1, 128, '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+');
const SENSITIVE = limited(SENSITIVE_TEXT);
const GROUP_NAME = str(1, 1024, '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \\u00a0]+');
const ISSUER = limited(EXTERNAL_ID_TEXT);
const ATTRIBUTE_PATH = str(
  1,
  255,
  '(?:\\p{L}+:\\p{L}+:\\p{L}+(?:\\.\\p{L}+){0,3}|\\p{L}+(?:\\.\\p{L}+){0,2})',
);
const NEXT_TOKEN = str(1, 65535, '[-a-zA-Z0-9+=/:_]*');
const MAX_RESULTS = int(1, 100);
const EXTERNAL_ID = struct({ Issuer: ISSUER, Id: ISSUER }, ['Issuer', 'Id']);
const EXTERNAL_IDS = list(EXTERNAL_ID, 1, MAX_EXTERNAL_IDS);
const MEMBER_ID = union({ UserId: RESOURCE_ID });
const ALTERNATE_ID = union({
  ExternalId: EXTERNAL_ID,
  UniqueAttribute: struct({ AttributePath: ATTRIBUTE_PATH, AttributeValue: doc }, [
    'AttributePath',
    'AttributeValue',
  ]),
});
const FILTERS = list(
  struct({ AttributePath: ATTRIBUTE_PATH, AttributeValue: SENSITIVE }, ['AttributePath', 'AttributeValue']),
  0,
  1,
);
const OPERATIONS = list(
  struct({ AttributePath: ATTRIBUTE_PATH, AttributeValue: doc }, ['AttributePath']),
  1,
  100,
);
const EXTENSION_NAME = limited(EXTENSION_NAME_TEXT);
const typed = (members: Record<string, Shape>) => struct({ ...members, Type: SENSITIVE, Primary: bool });

/** The attributes of a user, as CreateUser takes them and UpdateUser may set them. */
const USER_ATTRIBUTES: Record<string, Shape> = {
  UserName: USER_NAME,
  Name: struct({
    Formatted: SENSITIVE,
    FamilyName: SENSITIVE,
    GivenName: SENSITIVE,
    MiddleName: SENSITIVE,
    HonorificPrefix: SENSITIVE,
    HonorificSuffix: SENSITIVE,
  }),
  DisplayName: SENSITIVE,
  NickName: SENSITIVE,
  ProfileUrl: SENSITIVE,
  Emails: list(typed({ Value: SENSITIVE }), 1, MAX_EMAILS),
  Addresses: list(
    typed({
      StreetAddress: SENSITIVE,
      Locality: SENSITIVE,
      Region: SENSITIVE,
      PostalCode: SENSITIVE,
      Country: SENSITIVE,
      Formatted: SENSITIVE,
    }),
    1,
    MAX_ADDRESSES,
  ),
  PhoneNumbers: list(typed({ Value: SENSITIVE }), 1, MAX_PHONE_NUMBERS),
  UserType: SENSITIVE,
  Title: SENSITIVE,
  PreferredLanguage: SENSITIVE,
  Locale: SENSITIVE,
  Timezone: SENSITIVE,
  Photos: list(
    struct({ Value: SENSITIVE, Type: SENSITIVE, Display: SENSITIVE, Primary: bool }, ['Value']),
    1,
    MAX_PHOTOS,
  ),
  Website: SENSITIVE,
  Birthdate: SENSITIVE,
  Roles: list(typed({ Value: SENSITIVE }), 1, MAX_ROLES),
  Extensions: map(EXTENSION_NAME, doc, 1, MAX_EXTENSIONS),
};
/** What UpdateUser may also set: the identifiers of external identity providers. */
const USER_UPDATABLE = struct({ ...USER_ATTRIBUTES, ExternalIds: EXTERNAL_IDS }, ['UserName', 'DisplayName']);
const GROUP_UPDATABLE = struct(
  { DisplayName: GROUP_NAME, Description: SENSITIVE, ExternalIds: EXTERNAL_IDS },
  ['DisplayName'],
);

function storeArn(instance: Instance): string {
  return identityStoreArn(instance.management_account_id ?? '', instance.identity_store_id);
}

/** The caller as the audit log names it. */
export function whoOf(call: AdminCall<unknown>): AdminWho {
  const c = call.caller.claims;
  return {
    actor: call.caller.actor,
    accessKeyId: c.accessKeyId,
    permissionSetId: c.permissionSetId,
    accountId: c.accountId,
    sourceIp: call.ip,
    requestId: call.requestId,
  };
}

interface StoreInput {
  IdentityStoreId: string;
}

/** Authorise, then make sure the request names this server's identity store. */
function enter(call: AdminCall<StoreInput>, resources: readonly string[]): string {
  call.authorize([storeArn(call.instance), ...resources]);
  const id = call.input.IdentityStoreId;
  if (id !== call.instance.identity_store_id) {
    throw new DomainError('not_found', 'Identity store not found', {
      resourceType: 'IDENTITY_STORE',
      resourceId: id,
    });
  }
  return id;
}

function validation(message: string): AdminError {
  return new AdminError('ValidationException', message);
}

/** The document value of an attribute path, as the attribute's shape wants it. */
function checkAttribute(shape: Shape, path: string, value: unknown): void {
  const problems = check(shape, value, path);
  if (problems.length > 0)
    throw new ValidationProblem(`${problems.length} validation error detected: ${problems.join('; ')}`);
}

/** Member name (in `shape`) of a path part, matched without regard to case. */
function memberOf(members: Readonly<Record<string, Shape>>, part: string): string | undefined {
  return Object.keys(members).find((k) => k.toLowerCase() === part.toLowerCase());
}

/**
 * UpdateUser/UpdateGroup: each AttributeOperation sets the attribute at its path (a top-level
 * attribute, `name.givenName`, or an extension's member), or removes it when no value is given.
 * The result must still be a valid user or group.
 */
function applyOperations(
  shape: Extract<Shape, { t: 'structure' }>,
  operations: ReadonlyArray<{ AttributePath: string; AttributeValue?: unknown }>,
): (doc: Wire) => Wire {
  return (stored) => {
    const out: Wire = structuredClone(stored);
    for (const { AttributePath: path, AttributeValue: value } of operations) {
      const remove = value === undefined || value === null;
      const [head = '', ...rest] = path.split('.');
      if (head.includes(':')) {
        // An extension: `aws:identitystore:enterprise` or one of its members.
        const extensions = { ...((out.Extensions as Wire | undefined) ?? {}) };
        if (rest.length === 0) {
          if (remove) delete extensions[head];
          else extensions[head] = value;
        } else {
          const ext = { ...((extensions[head] as Wire | undefined) ?? {}) };
          if (remove) delete ext[rest.join('.')];
          else ext[rest.join('.')] = value;
          extensions[head] = ext;
        }
        if (Object.keys(extensions).length === 0) delete out.Extensions;
        else out.Extensions = extensions;
        continue;
      }
      const top = memberOf(shape.members, head);
      if (!top || ['IdentityStoreId', 'UserId', 'GroupId'].includes(top)) {
        throw validation(`Invalid attribute path: ${path}`);
      }
      const topShape = shape.members[top] as Shape;
      if (rest.length === 0) {
        if (remove) delete out[top];
        else {
          checkAttribute(topShape, path, value);
          out[top] = value;
        }
        continue;
      }
      if (topShape.t !== 'structure' || rest.length > 1) throw validation(`Invalid attribute path: ${path}`);
      const sub = memberOf(topShape.members, rest[0] ?? '');
      if (!sub) throw validation(`Invalid attribute path: ${path}`);
      const parent = { ...((out[top] as Wire | undefined) ?? {}) };
      if (remove) delete parent[sub];
      else {
        checkAttribute(topShape.members[sub] as Shape, path, value);
        parent[sub] = value;
      }
      if (Object.keys(parent).length === 0) delete out[top];
      else out[top] = parent;
    }
    const attributes: Wire = {};
    for (const k of Object.keys(shape.members)) if (out[k] !== undefined) attributes[k] = out[k];
    const problems = check(shape, attributes);
    if (problems.length > 0) {
      throw new ValidationProblem(`${problems.length} validation error detected: ${problems.join('; ')}`);
    }
    return out;
  };
}

/** The value of a list's one filter, which may name only `path` (any case). */
function filterValue(
  filters: Readonly<Array<{ AttributePath: string; AttributeValue: string }>> | undefined,
  path: 'UserName' | 'DisplayName',
): string | undefined {
  const filter = filters?.[0];
  if (filter && filter.AttributePath.toLowerCase() !== path.toLowerCase()) {
    throw validation(`Filtering on ${filter.AttributePath} is not supported; filter on ${path}`);
  }
  return filter?.AttributeValue;
}

function page(limit: number | undefined): number {
  return limit ?? 100;
}

function paged(
  call: AdminCall<{ NextToken?: string }>,
  query: readonly unknown[],
  list: (after: string | undefined) => Promise<{ items: Wire[]; after: string | undefined }>,
  member: string,
): Promise<Record<string, unknown>> {
  return pagedAnswer(call, call.input.NextToken, query, list, member);
}

const STORE = { IdentityStoreId: STORE_ID };

type ListInput = StoreInput & {
  MaxResults?: number;
  NextToken?: string;
  Filters?: Array<{ AttributePath: string; AttributeValue: string }>;
};

const operations: Record<string, AdminOperation> = {
  CreateUser: op<StoreInput & Wire>(
    struct({ ...STORE, ...USER_ATTRIBUTES }, ['IdentityStoreId']),
    async (call) => {
      const storeId = enter(call, []);
      const { IdentityStoreId: _, ...attributes } = call.input;
      if (attributes.UserName === undefined) throw validation('UserName is required');
      if (attributes.DisplayName === undefined) throw validation('DisplayName is required');
      const id = await createUser(call.deps.ctx, whoOf(call), storeId, attributes);
      return { UserId: id, IdentityStoreId: storeId };
    },
  ),
  DescribeUser: op<StoreInput & { UserId: string }>(
    struct({ ...STORE, UserId: RESOURCE_ID, Extensions: list(EXTENSION_NAME, 1, 10) }, [
      'IdentityStoreId',
      'UserId',
    ]),
    async (call) => {
      const storeId = enter(call, [identityStoreUserArn(call.input.UserId)]);
      return describeUser(call.deps.ctx, storeId, call.input.UserId);
    },
  ),
  ListUsers: op<ListInput>(
    struct(
      {
        ...STORE,
        MaxResults: MAX_RESULTS,
        NextToken: NEXT_TOKEN,
        Filters: FILTERS,
        Extensions: list(EXTENSION_NAME, 1, 10),
      },
      ['IdentityStoreId'],
    ),
    async (call) => {
      const storeId = enter(call, [IDENTITY_STORE_ALL_USERS]);
      const userName = filterValue(call.input.Filters, 'UserName');
      const limit = page(call.input.MaxResults);
      return paged(
        call,
        [storeId, userName ?? null],
        (after) => listUsers(call.deps.ctx, storeId, { after, limit, userName }),
        'Users',
      );
    },
  ),
  UpdateUser: op<
    StoreInput & { UserId: string; Operations: Array<{ AttributePath: string; AttributeValue?: unknown }> }
  >(
    struct({ ...STORE, UserId: RESOURCE_ID, Operations: OPERATIONS }, [
      'IdentityStoreId',
      'UserId',
      'Operations',
    ]),
    async (call) => {
      const storeId = enter(call, [identityStoreUserArn(call.input.UserId)]);
      const written = await updateUser(
        call.deps.ctx,
        whoOf(call),
        storeId,
        call.input.UserId,
        applyOperations(USER_UPDATABLE, call.input.Operations),
      );
      noteRevocations(call.deps.credentials, written);
      return {};
    },
  ),
  DeleteUser: op<StoreInput & { UserId: string }>(
    struct({ ...STORE, UserId: RESOURCE_ID }, ['IdentityStoreId', 'UserId']),
    async (call) => {
      enter(call, [identityStoreUserArn(call.input.UserId)]);
      noteRevocations(call.deps.credentials, await deleteUser(call.deps.ctx, whoOf(call), call.input.UserId));
      return {};
    },
  ),
  GetUserId: op<StoreInput & { AlternateIdentifier: AlternateIdentifier }>(
    struct({ ...STORE, AlternateIdentifier: ALTERNATE_ID }, ['IdentityStoreId', 'AlternateIdentifier']),
    async (call) => {
      const storeId = enter(call, [IDENTITY_STORE_ALL_USERS]);
      const by = alternate(call.input.AlternateIdentifier, ['userName', 'emails.value']);
      return { IdentityStoreId: storeId, UserId: await findUserId(call.deps.ctx, by) };
    },
  ),

  CreateGroup: op<StoreInput & { DisplayName?: string; Description?: string }>(
    struct({ ...STORE, DisplayName: GROUP_NAME, Description: SENSITIVE }, ['IdentityStoreId']),
    async (call) => {
      const storeId = enter(call, []);
      if (call.input.DisplayName === undefined) throw validation('DisplayName is required');
      const id = await createGroup(call.deps.ctx, whoOf(call), storeId, {
        DisplayName: call.input.DisplayName,
        Description: call.input.Description,
      });
      return { GroupId: id, IdentityStoreId: storeId };
    },
  ),
  DescribeGroup: op<StoreInput & { GroupId: string }>(
    struct({ ...STORE, GroupId: RESOURCE_ID }, ['IdentityStoreId', 'GroupId']),
    async (call) => {
      const storeId = enter(call, [identityStoreGroupArn(call.input.GroupId)]);
      return describeGroup(call.deps.ctx, storeId, call.input.GroupId);
    },
  ),
  ListGroups: op<ListInput>(
    struct({ ...STORE, MaxResults: MAX_RESULTS, NextToken: NEXT_TOKEN, Filters: FILTERS }, [
      'IdentityStoreId',
    ]),
    async (call) => {
      const storeId = enter(call, [IDENTITY_STORE_ALL_GROUPS]);
      const displayName = filterValue(call.input.Filters, 'DisplayName');
      const limit = page(call.input.MaxResults);
      return paged(
        call,
        [storeId, displayName ?? null],
        (after) => listGroups(call.deps.ctx, storeId, { after, limit, displayName }),
        'Groups',
      );
    },
  ),
  UpdateGroup: op<
    StoreInput & { GroupId: string; Operations: Array<{ AttributePath: string; AttributeValue?: unknown }> }
  >(
    struct({ ...STORE, GroupId: RESOURCE_ID, Operations: OPERATIONS }, [
      'IdentityStoreId',
      'GroupId',
      'Operations',
    ]),
    async (call) => {
      const storeId = enter(call, [identityStoreGroupArn(call.input.GroupId)]);
      await updateGroup(
        call.deps.ctx,
        whoOf(call),
        storeId,
        call.input.GroupId,
        applyOperations(GROUP_UPDATABLE, call.input.Operations),
      );
      return {};
    },
  ),
  DeleteGroup: op<StoreInput & { GroupId: string }>(
    struct({ ...STORE, GroupId: RESOURCE_ID }, ['IdentityStoreId', 'GroupId']),
    async (call) => {
      enter(call, [identityStoreGroupArn(call.input.GroupId)]);
      await deleteGroup(call.deps.ctx, whoOf(call), call.input.GroupId);
      return {};
    },
  ),
  GetGroupId: op<StoreInput & { AlternateIdentifier: AlternateIdentifier }>(
    struct({ ...STORE, AlternateIdentifier: ALTERNATE_ID }, ['IdentityStoreId', 'AlternateIdentifier']),
    async (call) => {
      const storeId = enter(call, [IDENTITY_STORE_ALL_GROUPS]);
      const by = alternate(call.input.AlternateIdentifier, ['displayName']);
      return { IdentityStoreId: storeId, GroupId: await findGroupId(call.deps.ctx, by) };
    },
  ),

  CreateGroupMembership: op<StoreInput & { GroupId: string; MemberId: { UserId: string } }>(
    struct({ ...STORE, GroupId: RESOURCE_ID, MemberId: MEMBER_ID }, [
      'IdentityStoreId',
      'GroupId',
      'MemberId',
    ]),
    async (call) => {
      const { GroupId, MemberId } = call.input;
      const storeId = enter(call, [identityStoreGroupArn(GroupId), identityStoreUserArn(MemberId.UserId)]);
      const id = await createMembership(call.deps.ctx, whoOf(call), storeId, GroupId, MemberId.UserId);
      return { MembershipId: id, IdentityStoreId: storeId };
    },
  ),
  DeleteGroupMembership: op<StoreInput & { MembershipId: string }>(
    struct({ ...STORE, MembershipId: RESOURCE_ID }, ['IdentityStoreId', 'MembershipId']),
    async (call) => {
      const m = await describeMembershipFor(call, call.input.MembershipId);
      enter(call, membershipArns(m));
      noteRevocations(
        call.deps.credentials,
        await deleteMembership(call.deps.ctx, whoOf(call), call.input.MembershipId),
      );
      return {};
    },
  ),
  DescribeGroupMembership: op<StoreInput & { MembershipId: string }>(
    struct({ ...STORE, MembershipId: RESOURCE_ID }, ['IdentityStoreId', 'MembershipId']),
    async (call) => {
      const m = await describeMembershipFor(call, call.input.MembershipId);
      enter(call, membershipArns(m));
      return m;
    },
  ),
  GetGroupMembershipId: op<StoreInput & { GroupId: string; MemberId: { UserId: string } }>(
    struct({ ...STORE, GroupId: RESOURCE_ID, MemberId: MEMBER_ID }, [
      'IdentityStoreId',
      'GroupId',
      'MemberId',
    ]),
    async (call) => {
      const { GroupId, MemberId } = call.input;
      const storeId = enter(call, [
        identityStoreGroupArn(GroupId),
        identityStoreUserArn(MemberId.UserId),
        IDENTITY_STORE_ALL_MEMBERSHIPS,
      ]);
      return {
        MembershipId: await findMembershipId(call.deps.ctx, GroupId, MemberId.UserId),
        IdentityStoreId: storeId,
      };
    },
  ),
  IsMemberInGroups: op<StoreInput & { MemberId: { UserId: string }; GroupIds: string[] }>(
    struct({ ...STORE, MemberId: MEMBER_ID, GroupIds: list(RESOURCE_ID, 1, 100) }, [
      'IdentityStoreId',
      'MemberId',
      'GroupIds',
    ]),
    async (call) => {
      const { MemberId, GroupIds } = call.input;
      enter(call, [
        IDENTITY_STORE_ALL_MEMBERSHIPS,
        identityStoreUserArn(MemberId.UserId),
        ...GroupIds.map(identityStoreGroupArn),
      ]);
      const member = await membershipsAmong(call.deps.ctx, MemberId.UserId, GroupIds);
      return {
        Results: GroupIds.map((g) => ({
          GroupId: g,
          MemberId: { UserId: MemberId.UserId },
          MembershipExists: member.has(g),
        })),
      };
    },
  ),
  ListGroupMemberships: op<StoreInput & { GroupId: string; MaxResults?: number; NextToken?: string }>(
    struct({ ...STORE, GroupId: RESOURCE_ID, MaxResults: MAX_RESULTS, NextToken: NEXT_TOKEN }, [
      'IdentityStoreId',
      'GroupId',
    ]),
    async (call) => {
      const storeId = enter(call, [
        IDENTITY_STORE_ALL_MEMBERSHIPS,
        identityStoreGroupArn(call.input.GroupId),
      ]);
      const limit = page(call.input.MaxResults);
      return paged(
        call,
        [storeId, call.input.GroupId],
        (after) => listMemberships(call.deps.ctx, storeId, { groupId: call.input.GroupId }, { after, limit }),
        'GroupMemberships',
      );
    },
  ),
  ListGroupMembershipsForMember: op<
    StoreInput & { MemberId: { UserId: string }; MaxResults?: number; NextToken?: string }
  >(
    struct({ ...STORE, MemberId: MEMBER_ID, MaxResults: MAX_RESULTS, NextToken: NEXT_TOKEN }, [
      'IdentityStoreId',
      'MemberId',
    ]),
    async (call) => {
      const userId = call.input.MemberId.UserId;
      const storeId = enter(call, [IDENTITY_STORE_ALL_MEMBERSHIPS, identityStoreUserArn(userId)]);
      const limit = page(call.input.MaxResults);
      return paged(
        call,
        [storeId, userId],
        (after) => listMemberships(call.deps.ctx, storeId, { userId }, { after, limit }),
        'GroupMemberships',
      );
    },
  ),
};

interface AlternateIdentifier {
  ExternalId?: ExternalId;
  UniqueAttribute?: { AttributePath: string; AttributeValue: unknown };
}

/** The alternate identifier as a lookup: an external id, or one of the unique attributes. */
function alternate(
  id: AlternateIdentifier,
  paths: readonly string[],
): { externalId: ExternalId } | { path: string; value: string } {
  if (id.ExternalId) return { externalId: id.ExternalId };
  const u = id.UniqueAttribute as { AttributePath: string; AttributeValue: unknown };
  const path = paths.find((p) => p.toLowerCase() === u.AttributePath.toLowerCase());
  if (!path) throw validation(`${u.AttributePath} is not a unique attribute; use ${paths.join(' or ')}`);
  if (
    typeof u.AttributeValue !== 'string' ||
    u.AttributeValue.length === 0 ||
    u.AttributeValue.length > 1024
  ) {
    throw validation('The unique attribute value must be a string of 1 to 1024 characters');
  }
  return { path, value: u.AttributeValue };
}

/** A membership, read before it is authorised: its ARNs name its group and user. */
async function describeMembershipFor(call: AdminCall<StoreInput>, membershipId: string): Promise<Wire> {
  try {
    return await describeMembership(call.deps.ctx, call.instance.identity_store_id, membershipId);
  } catch (err) {
    // Not found is answered only to a caller who may look: authorise on the membership alone.
    call.authorize([storeArn(call.instance), identityStoreMembershipArn(membershipId)]);
    throw err;
  }
}

function membershipArns(m: Wire): string[] {
  return [
    identityStoreMembershipArn(m.MembershipId as string),
    identityStoreGroupArn(m.GroupId as string),
    identityStoreUserArn((m.MemberId as { UserId: string }).UserId),
  ];
}

export const identityStoreService: AdminServiceDef = {
  service: 'identitystore',
  targetPrefix: 'AWSIdentityStore',
  signingName: 'identitystore',
  operations,
  badToken: () => new AdminError('ValidationException', 'The NextToken is not valid or has expired'),
};
