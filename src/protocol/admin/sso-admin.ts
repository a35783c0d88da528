/**
 * sso-admin (awsJson1.1, target prefix `SWBExternalService`, signing name `sso`): the instance,
 * permission sets and account assignments of this server (`app/admin/permission-sets.ts`,
 * `app/admin/assignments.ts`), each authorised on the instance, permission set and account ARNs
 * the Service Authorization Reference names.
 */
import {
  type AssignmentKey,
  type AsyncStatus,
  asyncStatus,
  createAssignment,
  deleteAssignment,
  listAssignments,
  listAsyncStatus,
  listProvisioned,
  provisionPermissionSet,
} from '../../app/admin/assignments.ts';
import {
  attachCustomerPolicy,
  attachManagedPolicy,
  createPermissionSet,
  customerPolicies,
  deletePermissionSet,
  describePermissionSet,
  detachCustomerPolicy,
  detachManagedPolicy,
  listPermissionSetIds,
  managedPolicies,
  permissionSetNotFound,
  permissionSetTags,
  putInlinePolicy,
  putPermissionsBoundary,
  type StoredPermissionSet,
  setPolicyColumn,
  tagPermissionSet,
  untagPermissionSet,
  updatePermissionSet,
} from '../../app/admin/permission-sets.ts';
import { noteRevocations } from '../../app/admin/who.ts';
import type { Instance } from '../../app/instance.ts';
import { DomainError } from '../../domain/errors.ts';
import { ssoAccountArn, ssoInstanceArn, ssoPermissionSetArn } from '../../domain/iam/arn.ts';
import { AdminError } from './errors.ts';
import { type AdminCall, type AdminOperation, type AdminServiceDef, op, pagedAnswer } from './handler.ts';
import { whoOf } from './identitystore.ts';
import { enumOf, int, list, str, struct } from './shapes.ts';

const INSTANCE_ARN = str(10, 1224, 'arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}');
const PS_ARN = str(
  10,
  1224,
  'arn:aws(-[a-z]{1,5}){0,3}:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}',
);
const TAGGABLE_ARN = str(
  10,
  2048,
  'arn:aws(-[a-z]{1,5}){0,3}:sso::((:instance/(sso)?ins-[a-zA-Z0-9-.]{16})|(:permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}))',
);
const ACCOUNT_ID = str(12, 12, '\\d{12}');
const PRINCIPAL_ID = str(
  1,
  47,
  '([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}',
);
const PRINCIPAL_TYPE = enumOf('USER', 'GROUP');
const TOKEN = str(0, 2048, '[-a-zA-Z0-9+=/_]*');
const MAX_RESULTS = int(1, 100);
const UUID = str(36, 36, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}');
const NAME = str(1, 32, '[\\w+=,.@-]+');
const DESCRIPTION = str(1, 700, '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*');
const DURATION = str(
  1,
  100,
  '(-?)P(?=\\d|T\\d)(?:(\\d+)Y)?(?:(\\d+)M)?(?:(\\d+)([DW]))?(?:T(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+(?:\\.\\d+)?)S)?)?',
);
const RELAY_STATE = str(1, 240, '[a-zA-Z0-9&$@#\\\\/%?=~\\-_\'"|!:,.;*+\\[\\] (){}]+');
const MANAGED_ARN = str(
  20,
  2048,
  'arn:aws(-[a-z]{1,5}){0,3}:iam::aws:policy((/[A-Za-z0-9.,+@=_-]+)*)/([A-Za-z0-9.,+=@_-]+)',
);
const POLICY_DOCUMENT = str(1, 32768, '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+');
const CUSTOMER_REF = struct(
  { Name: str(1, 128, '[\\w+=,.@-]+'), Path: str(1, 512, '((/[A-Za-z0-9.,+@=_-]+)*)/') },
  ['Name'],
);
const TAG_TEXT = '([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)';
const TAGS = list(
  struct({ Key: str(1, 128, TAG_TEXT), Value: str(0, 256, TAG_TEXT) }, ['Key', 'Value']),
  0,
  75,
);
const STATUS_FILTER = struct({ Status: enumOf('IN_PROGRESS', 'FAILED', 'SUCCEEDED') });
const PROVISIONING_STATUS = enumOf(
  'LATEST_PERMISSION_SET_PROVISIONED',
  'LATEST_PERMISSION_SET_NOT_PROVISIONED',
);

const I = { InstanceArn: INSTANCE_ARN };
const IP = { InstanceArn: INSTANCE_ARN, PermissionSetArn: PS_ARN };
const PAGE = { MaxResults: MAX_RESULTS, NextToken: TOKEN };

interface InstanceInput {
  InstanceArn: string;
  PermissionSetArn?: string;
  MaxResults?: number;
  NextToken?: string;
}

const seconds = (ms: number) => ms / 1000;

/** The instance the request names must be this server's one (else ResourceNotFoundException). */
function checkInstance(call: AdminCall<InstanceInput>): string {
  const arn = ssoInstanceArn(call.instance.instance_id);
  if (call.input.InstanceArn !== arn) {
    throw new DomainError('not_found', `Could not find Instance ${call.input.InstanceArn}`, {
      resourceType: 'INSTANCE',
    });
  }
  return arn;
}

/** The permission-set id of an ARN of this instance (else ResourceNotFoundException). */
function permissionSetId(instance: Instance, arn: string): string {
  const prefix = `${ssoPermissionSetArn(instance.instance_id, '')}`;
  if (!arn.startsWith(prefix)) throw permissionSetNotFound(arn);
  return arn.slice(prefix.length);
}

/** Authorise on the instance and permission set (and more), then read the permission-set id. */
function enterPs(call: AdminCall<InstanceInput>, more: readonly string[] = []): string {
  const psArn = call.input.PermissionSetArn ?? '';
  call.authorize([ssoInstanceArn(call.instance.instance_id), psArn, ...more]);
  checkInstance(call);
  return permissionSetId(call.instance, psArn);
}

function enterInstance(call: AdminCall<InstanceInput>, more: readonly string[] = []): void {
  call.authorize([ssoInstanceArn(call.instance.instance_id), ...more]);
  checkInstance(call);
}

function permissionSetWire(instance: Instance, ps: StoredPermissionSet): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Name: ps.name,
    PermissionSetArn: ssoPermissionSetArn(instance.instance_id, ps.id),
    CreatedDate: seconds(ps.created_at),
    SessionDuration: ps.session_duration,
  };
  if (ps.description !== null) out.Description = ps.description;
  if (ps.relay_state !== null) out.RelayState = ps.relay_state;
  return out;
}

function statusWire(instance: Instance, s: AsyncStatus): Record<string, unknown> {
  const d = s.detail as Partial<AssignmentKey> & { accountId?: string | null };
  const out: Record<string, unknown> = {
    Status: s.status,
    RequestId: s.requestId,
    CreatedDate: seconds(s.createdAt),
  };
  if (s.failureReason !== null) out.FailureReason = s.failureReason;
  if (d.permissionSetId) out.PermissionSetArn = ssoPermissionSetArn(instance.instance_id, d.permissionSetId);
  if (d.principalType) {
    out.TargetId = d.accountId;
    out.TargetType = 'AWS_ACCOUNT';
    out.PrincipalType = d.principalType;
    out.PrincipalId = d.principalId;
  } else if (d.accountId) out.AccountId = d.accountId;
  return out;
}

function paged<T>(
  call: AdminCall<InstanceInput>,
  query: readonly unknown[],
  list: (page: {
    after: string | undefined;
    limit: number;
  }) => Promise<{ items: T[]; after: string | undefined }>,
  member: string,
  wire: (item: T) => unknown,
): Promise<Record<string, unknown>> {
  const limit = call.input.MaxResults ?? 100;
  return pagedAnswer(
    call,
    call.input.NextToken || undefined,
    query,
    (after) => list({ after, limit }),
    member,
    wire,
  );
}

/** Tags in one page of ListTagsForResource (a permission set has at most 50). */
const TAGS_PAGE_SIZE = 20;

/**
 * One page of a short list held in memory (a permission set's policies and tags, bounded by
 * their quotas): the items after the cursor `after`, in the byte order of `keyOf`, the same on
 * every store (SQL collations differ).
 */
function pageOf<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  page: { after: string | undefined; limit: number },
): { items: T[]; after: string | undefined } {
  const keyed = items.map((item) => ({ key: keyOf(item), item }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const start = page.after === undefined ? keyed : keyed.filter((k) => k.key > (page.after as string));
  const slice = start.slice(0, page.limit);
  return {
    items: slice.map((k) => k.item),
    after: start.length > page.limit ? slice.at(-1)?.key : undefined,
  };
}

type AssignmentInput = InstanceInput & {
  TargetId: string;
  TargetType: string;
  PermissionSetArn: string;
  PrincipalType: 'USER' | 'GROUP';
  PrincipalId: string;
};

const ASSIGNMENT = struct(
  {
    ...IP,
    TargetId: ACCOUNT_ID,
    TargetType: enumOf('AWS_ACCOUNT'),
    PrincipalType: PRINCIPAL_TYPE,
    PrincipalId: PRINCIPAL_ID,
  },
  ['InstanceArn', 'TargetId', 'TargetType', 'PermissionSetArn', 'PrincipalType', 'PrincipalId'],
);

function assignmentKey(call: AdminCall<AssignmentInput>): AssignmentKey {
  const psId = enterPs(call, [ssoAccountArn(call.input.TargetId)]);
  return {
    accountId: call.input.TargetId,
    permissionSetId: psId,
    principalType: call.input.PrincipalType,
    principalId: call.input.PrincipalId,
  };
}

type CustomerPolicyInput = InstanceInput & {
  CustomerManagedPolicyReference: { Name: string; Path?: string };
};

/** Attach… or Detach…CustomerManagedPolicyReference…: one reference, its path `/` unless named. */
function customerPolicyOp(change: typeof attachCustomerPolicy) {
  return op<CustomerPolicyInput>(
    struct({ ...IP, CustomerManagedPolicyReference: CUSTOMER_REF }, [
      'InstanceArn',
      'PermissionSetArn',
      'CustomerManagedPolicyReference',
    ]),
    async (call) => {
      const { Name, Path } = call.input.CustomerManagedPolicyReference;
      await change(call.deps.ctx, whoOf(call), enterPs(call), { name: Name, path: Path ?? '/' });
      return {};
    },
  );
}

type AsyncKind = Parameters<typeof asyncStatus>[1];

/** Describe…Status: the kept request of `kind` whose id is the input's `idMember`. */
function describeStatusOp(kind: AsyncKind, idMember: string, answerMember: string) {
  return op<InstanceInput & Record<string, string>>(
    struct({ ...I, [idMember]: UUID }, ['InstanceArn', idMember]),
    async (call) => {
      enterInstance(call);
      const s = await asyncStatus(call.deps.ctx, kind, call.input[idMember] as string);
      return { [answerMember]: statusWire(call.instance, s) };
    },
  );
}

/** List…Status: the kept requests of `kind`, a page, filtered on their status. */
function listStatusOp(
  kind: AsyncKind,
  member: string,
  wire: (s: AsyncStatus, instance: Instance) => unknown = (s, instance) => statusWire(instance, s),
) {
  return op<InstanceInput & { Filter?: { Status?: string } }>(
    struct({ ...I, ...PAGE, Filter: STATUS_FILTER }, ['InstanceArn']),
    async (call) => {
      enterInstance(call);
      const status = call.input.Filter?.Status;
      return paged(
        call,
        [status ?? null],
        (page) => listAsyncStatus(call.deps.ctx, kind, status, page),
        member,
        (s) => wire(s, call.instance),
      );
    },
  );
}

const operations: Record<string, AdminOperation> = {
  ListInstances: op<InstanceInput>(struct(PAGE), async (call) => {
    call.authorize([]);
    const i = call.instance;
    return {
      Instances: [
        {
          InstanceArn: ssoInstanceArn(i.instance_id),
          IdentityStoreId: i.identity_store_id,
          ...(i.management_account_id ? { OwnerAccountId: i.management_account_id } : {}),
          Name: 'idcenter',
          CreatedDate: seconds(i.created_at),
          Status: 'ACTIVE',
        },
      ],
    };
  }),
  DescribeInstance: op<InstanceInput>(struct(I, ['InstanceArn']), async (call) => {
    enterInstance(call);
    const i = call.instance;
    return {
      InstanceArn: ssoInstanceArn(i.instance_id),
      IdentityStoreId: i.identity_store_id,
      ...(i.management_account_id ? { OwnerAccountId: i.management_account_id } : {}),
      Name: 'idcenter',
      CreatedDate: seconds(i.created_at),
      Status: 'ACTIVE',
    };
  }),

  CreatePermissionSet: op<
    InstanceInput & {
      Name: string;
      Description?: string;
      SessionDuration?: string;
      RelayState?: string;
      Tags?: Array<{ Key: string; Value: string }>;
    }
  >(
    struct(
      {
        ...I,
        Name: NAME,
        Description: DESCRIPTION,
        SessionDuration: DURATION,
        RelayState: RELAY_STATE,
        Tags: TAGS,
      },
      ['Name', 'InstanceArn'],
    ),
    async (call) => {
      const tags = Object.fromEntries((call.input.Tags ?? []).map((t) => [t.Key, t.Value]));
      // The new permission set's ARN is not known before it exists: any permission set of the instance.
      call.authorize(
        [ssoInstanceArn(call.instance.instance_id), ssoPermissionSetArn(call.instance.instance_id, '*')],
        {
          requestTags: tags,
        },
      );
      checkInstance(call);
      const ps = await createPermissionSet(call.deps.ctx, whoOf(call), {
        name: call.input.Name,
        description: call.input.Description,
        sessionDuration: call.input.SessionDuration,
        relayState: call.input.RelayState,
        tags: call.input.Tags,
      });
      return { PermissionSet: permissionSetWire(call.instance, ps) };
    },
  ),
  DescribePermissionSet: op<InstanceInput>(struct(IP, ['InstanceArn', 'PermissionSetArn']), async (call) => {
    const id = enterPs(call);
    return {
      PermissionSet: permissionSetWire(call.instance, await describePermissionSet(call.deps.ctx, id)),
    };
  }),
  UpdatePermissionSet: op<
    InstanceInput & { Description?: string; SessionDuration?: string; RelayState?: string }
  >(
    struct({ ...IP, Description: DESCRIPTION, SessionDuration: DURATION, RelayState: RELAY_STATE }, [
      'InstanceArn',
      'PermissionSetArn',
    ]),
    async (call) => {
      const id = enterPs(call);
      const { Description, SessionDuration, RelayState } = call.input;
      await updatePermissionSet(call.deps.ctx, whoOf(call), id, {
        description: Description,
        sessionDuration: SessionDuration,
        relayState: RelayState,
      });
      return {};
    },
  ),
  DeletePermissionSet: op<InstanceInput>(struct(IP, ['InstanceArn', 'PermissionSetArn']), async (call) => {
    await deletePermissionSet(call.deps.ctx, whoOf(call), enterPs(call));
    return {};
  }),
  ListPermissionSets: op<InstanceInput>(struct({ ...I, ...PAGE }, ['InstanceArn']), async (call) => {
    enterInstance(call);
    return paged(
      call,
      [],
      (page) => listPermissionSetIds(call.deps.ctx, page),
      'PermissionSets',
      (id) => ssoPermissionSetArn(call.instance.instance_id, id),
    );
  }),

  AttachManagedPolicyToPermissionSet: op<InstanceInput & { ManagedPolicyArn: string }>(
    struct({ ...IP, ManagedPolicyArn: MANAGED_ARN }, ['InstanceArn', 'PermissionSetArn', 'ManagedPolicyArn']),
    async (call) => {
      await attachManagedPolicy(call.deps.ctx, whoOf(call), enterPs(call), call.input.ManagedPolicyArn);
      return {};
    },
  ),
  DetachManagedPolicyFromPermissionSet: op<InstanceInput & { ManagedPolicyArn: string }>(
    struct({ ...IP, ManagedPolicyArn: MANAGED_ARN }, ['InstanceArn', 'PermissionSetArn', 'ManagedPolicyArn']),
    async (call) => {
      await detachManagedPolicy(call.deps.ctx, whoOf(call), enterPs(call), call.input.ManagedPolicyArn);
      return {};
    },
  ),
  ListManagedPoliciesInPermissionSet: op<InstanceInput>(
    struct({ ...IP, ...PAGE }, ['InstanceArn', 'PermissionSetArn']),
    async (call) => {
      const arns = await managedPolicies(call.deps.ctx, enterPs(call));
      return paged(
        call,
        [call.input.PermissionSetArn],
        async (page) => pageOf(arns, (arn) => arn, page),
        'AttachedManagedPolicies',
        (Arn) => ({ Name: Arn.slice(Arn.lastIndexOf('/') + 1), Arn }),
      );
    },
  ),
  PutInlinePolicyToPermissionSet: op<InstanceInput & { InlinePolicy: string }>(
    struct({ ...IP, InlinePolicy: POLICY_DOCUMENT }, ['InstanceArn', 'PermissionSetArn', 'InlinePolicy']),
    async (call) => {
      await putInlinePolicy(call.deps.ctx, whoOf(call), enterPs(call), call.input.InlinePolicy);
      return {};
    },
  ),
  GetInlinePolicyForPermissionSet: op<InstanceInput>(
    struct(IP, ['InstanceArn', 'PermissionSetArn']),
    async (call) => {
      const ps = await describePermissionSet(call.deps.ctx, enterPs(call));
      return ps.inline_policy === null ? {} : { InlinePolicy: ps.inline_policy };
    },
  ),
  DeleteInlinePolicyFromPermissionSet: op<InstanceInput>(
    struct(IP, ['InstanceArn', 'PermissionSetArn']),
    async (call) => {
      await setPolicyColumn(call.deps.ctx, whoOf(call), enterPs(call), 'inline_policy', null);
      return {};
    },
  ),
  AttachCustomerManagedPolicyReferenceToPermissionSet: customerPolicyOp(attachCustomerPolicy),
  DetachCustomerManagedPolicyReferenceFromPermissionSet: customerPolicyOp(detachCustomerPolicy),
  ListCustomerManagedPolicyReferencesInPermissionSet: op<InstanceInput>(
    struct({ ...IP, ...PAGE }, ['InstanceArn', 'PermissionSetArn']),
    async (call) => {
      const refs = await customerPolicies(call.deps.ctx, enterPs(call));
      return paged(
        call,
        [call.input.PermissionSetArn],
        async (page) => pageOf(refs, (r) => JSON.stringify([r.path, r.name]), page),
        'CustomerManagedPolicyReferences',
        (r) => ({ Name: r.name, Path: r.path }),
      );
    },
  ),
  PutPermissionsBoundaryToPermissionSet: op<
    InstanceInput & {
      PermissionsBoundary: {
        ManagedPolicyArn?: string;
        CustomerManagedPolicyReference?: { Name: string; Path?: string };
      };
    }
  >(
    struct(
      {
        ...IP,
        PermissionsBoundary: struct({
          ManagedPolicyArn: MANAGED_ARN,
          CustomerManagedPolicyReference: CUSTOMER_REF,
        }),
      },
      ['InstanceArn', 'PermissionSetArn', 'PermissionsBoundary'],
    ),
    async (call) => {
      const id = enterPs(call);
      const b = call.input.PermissionsBoundary;
      await putPermissionsBoundary(call.deps.ctx, whoOf(call), id, {
        managedPolicyArn: b.ManagedPolicyArn,
        customerPolicy: b.CustomerManagedPolicyReference && {
          name: b.CustomerManagedPolicyReference.Name,
          path: b.CustomerManagedPolicyReference.Path ?? '/',
        },
      });
      return {};
    },
  ),
  GetPermissionsBoundaryForPermissionSet: op<InstanceInput>(
    struct(IP, ['InstanceArn', 'PermissionSetArn']),
    async (call) => {
      const ps = await describePermissionSet(call.deps.ctx, enterPs(call));
      if (ps.permissions_boundary === null) {
        throw new DomainError('not_found', 'The permission set has no permissions boundary');
      }
      return { PermissionsBoundary: JSON.parse(ps.permissions_boundary) };
    },
  ),
  DeletePermissionsBoundaryFromPermissionSet: op<InstanceInput>(
    struct(IP, ['InstanceArn', 'PermissionSetArn']),
    async (call) => {
      await setPolicyColumn(call.deps.ctx, whoOf(call), enterPs(call), 'permissions_boundary', null);
      return {};
    },
  ),

  TagResource: op<InstanceInput & { ResourceArn: string; Tags: Array<{ Key: string; Value: string }> }>(
    struct({ ...I, ResourceArn: TAGGABLE_ARN, Tags: TAGS }, ['ResourceArn', 'Tags']),
    async (call) => {
      const tags = Object.fromEntries(call.input.Tags.map((t) => [t.Key, t.Value]));
      call.authorize([call.input.ResourceArn], { requestTags: tags });
      await tagPermissionSet(call.deps.ctx, whoOf(call), taggable(call), call.input.Tags);
      return {};
    },
  ),
  UntagResource: op<InstanceInput & { ResourceArn: string; TagKeys: string[] }>(
    struct({ ...I, ResourceArn: TAGGABLE_ARN, TagKeys: list(str(1, 128, TAG_TEXT), 1, 75) }, [
      'ResourceArn',
      'TagKeys',
    ]),
    async (call) => {
      call.authorize([call.input.ResourceArn], { tagKeys: call.input.TagKeys });
      await untagPermissionSet(call.deps.ctx, whoOf(call), taggable(call), call.input.TagKeys);
      return {};
    },
  ),
  ListTagsForResource: op<InstanceInput & { ResourceArn: string }>(
    struct({ ...I, ResourceArn: TAGGABLE_ARN, NextToken: TOKEN }, ['ResourceArn']),
    async (call) => {
      call.authorize([call.input.ResourceArn]);
      if (call.input.ResourceArn === ssoInstanceArn(call.instance.instance_id)) return { Tags: [] };
      const id = taggable(call);
      await describePermissionSet(call.deps.ctx, id);
      const tags = Object.entries(await permissionSetTags(call.deps.ctx, id));
      // The operation has no MaxResults: pages of a fixed size, walked with NextToken.
      return pagedAnswer(
        call,
        call.input.NextToken || undefined,
        [call.input.ResourceArn],
        async (after) => pageOf(tags, ([key]) => key, { after, limit: TAGS_PAGE_SIZE }),
        'Tags',
        ([Key, Value]) => ({ Key, Value }),
      );
    },
  ),

  CreateAccountAssignment: op<AssignmentInput>(ASSIGNMENT, async (call) => {
    const status = await createAssignment(call.deps.ctx, whoOf(call), assignmentKey(call));
    return { AccountAssignmentCreationStatus: statusWire(call.instance, status) };
  }),
  DeleteAccountAssignment: op<AssignmentInput>(ASSIGNMENT, async (call) => {
    const { status, written } = await deleteAssignment(call.deps.ctx, whoOf(call), assignmentKey(call));
    noteRevocations(call.deps.credentials, written);
    return { AccountAssignmentDeletionStatus: statusWire(call.instance, status) };
  }),
  DescribeAccountAssignmentCreationStatus: describeStatusOp(
    'assignment_create',
    'AccountAssignmentCreationRequestId',
    'AccountAssignmentCreationStatus',
  ),
  DescribeAccountAssignmentDeletionStatus: describeStatusOp(
    'assignment_delete',
    'AccountAssignmentDeletionRequestId',
    'AccountAssignmentDeletionStatus',
  ),
  ListAccountAssignmentCreationStatus: listStatusOp('assignment_create', 'AccountAssignmentsCreationStatus'),
  ListAccountAssignmentDeletionStatus: listStatusOp('assignment_delete', 'AccountAssignmentsDeletionStatus'),
  ListAccountAssignments: op<InstanceInput & { AccountId: string }>(
    struct({ ...IP, AccountId: ACCOUNT_ID, ...PAGE }, ['InstanceArn', 'AccountId', 'PermissionSetArn']),
    async (call) => {
      const psId = enterPs(call, [ssoAccountArn(call.input.AccountId)]);
      await describePermissionSet(call.deps.ctx, psId);
      return paged(
        call,
        [call.input.AccountId, psId],
        (page) =>
          listAssignments(call.deps.ctx, { accountId: call.input.AccountId, permissionSetId: psId }, page),
        'AccountAssignments',
        (a) => assignmentWire(call.instance, a),
      );
    },
  ),
  ListAccountAssignmentsForPrincipal: op<
    InstanceInput & { PrincipalId: string; PrincipalType: string; Filter?: { AccountId?: string } }
  >(
    struct(
      {
        ...I,
        PrincipalId: PRINCIPAL_ID,
        PrincipalType: PRINCIPAL_TYPE,
        Filter: struct({ AccountId: ACCOUNT_ID }),
        ...PAGE,
      },
      ['InstanceArn', 'PrincipalId', 'PrincipalType'],
    ),
    async (call) => {
      enterInstance(call);
      const { PrincipalId, PrincipalType, Filter } = call.input;
      return paged(
        call,
        [PrincipalId, PrincipalType, Filter?.AccountId ?? null],
        (page) =>
          listAssignments(
            call.deps.ctx,
            {
              principalId: PrincipalId,
              principalType: PrincipalType,
              ...(Filter?.AccountId ? { accountId: Filter.AccountId } : {}),
            },
            page,
          ),
        'AccountAssignments',
        (a) => assignmentWire(call.instance, a),
      );
    },
  ),
  ListAccountsForProvisionedPermissionSet: op<InstanceInput & { ProvisioningStatus?: string }>(
    struct({ ...IP, ProvisioningStatus: PROVISIONING_STATUS, ...PAGE }, ['InstanceArn', 'PermissionSetArn']),
    async (call) => {
      const psId = enterPs(call);
      await describePermissionSet(call.deps.ctx, psId);
      const latest = latestOf(call.input.ProvisioningStatus);
      return paged(
        call,
        [psId, call.input.ProvisioningStatus ?? null],
        (page) =>
          listProvisioned(
            call.deps.ctx,
            { permissionSetId: psId, ...(latest === undefined ? {} : { latest }) },
            page,
          ),
        'AccountIds',
        (p) => p.accountId,
      );
    },
  ),
  ListPermissionSetsProvisionedToAccount: op<
    InstanceInput & { AccountId: string; ProvisioningStatus?: string }
  >(
    struct({ ...I, AccountId: ACCOUNT_ID, ProvisioningStatus: PROVISIONING_STATUS, ...PAGE }, [
      'InstanceArn',
      'AccountId',
    ]),
    async (call) => {
      enterInstance(call, [ssoAccountArn(call.input.AccountId)]);
      const latest = latestOf(call.input.ProvisioningStatus);
      return paged(
        call,
        [call.input.AccountId, call.input.ProvisioningStatus ?? null],
        (page) =>
          listProvisioned(
            call.deps.ctx,
            { accountId: call.input.AccountId, ...(latest === undefined ? {} : { latest }) },
            page,
          ),
        'PermissionSets',
        (p) => ssoPermissionSetArn(call.instance.instance_id, p.permissionSetId),
      );
    },
  ),
  ProvisionPermissionSet: op<InstanceInput & { TargetId?: string; TargetType: string }>(
    struct({ ...IP, TargetId: ACCOUNT_ID, TargetType: enumOf('AWS_ACCOUNT', 'ALL_PROVISIONED_ACCOUNTS') }, [
      'InstanceArn',
      'PermissionSetArn',
      'TargetType',
    ]),
    async (call) => {
      const { TargetId, TargetType } = call.input;
      if ((TargetType === 'AWS_ACCOUNT') !== (TargetId !== undefined)) {
        throw new AdminError(
          'ValidationException',
          'TargetId is required with TargetType AWS_ACCOUNT, and only with it',
        );
      }
      const psId = enterPs(call, TargetId ? [ssoAccountArn(TargetId)] : []);
      const s = await provisionPermissionSet(call.deps.ctx, whoOf(call), psId, TargetId);
      return { PermissionSetProvisioningStatus: statusWire(call.instance, s) };
    },
  ),
  DescribePermissionSetProvisioningStatus: describeStatusOp(
    'provision',
    'ProvisionPermissionSetRequestId',
    'PermissionSetProvisioningStatus',
  ),
  ListPermissionSetProvisioningStatus: listStatusOp('provision', 'PermissionSetsProvisioningStatus', (s) => ({
    Status: s.status,
    RequestId: s.requestId,
    CreatedDate: seconds(s.createdAt),
  })),
};

function latestOf(status: string | undefined): boolean | undefined {
  return status === undefined ? undefined : status === 'LATEST_PERMISSION_SET_PROVISIONED';
}

function assignmentWire(instance: Instance, a: AssignmentKey): Record<string, unknown> {
  return {
    AccountId: a.accountId,
    PermissionSetArn: ssoPermissionSetArn(instance.instance_id, a.permissionSetId),
    PrincipalType: a.principalType,
    PrincipalId: a.principalId,
  };
}

/** The permission set a tagging call names (the instance itself takes no tags here). */
function taggable(call: AdminCall<InstanceInput & { ResourceArn: string }>): string {
  if (call.input.ResourceArn === ssoInstanceArn(call.instance.instance_id)) {
    throw new AdminError('ValidationException', 'Tags on the instance are not supported by this server');
  }
  return permissionSetId(call.instance, call.input.ResourceArn);
}

export const ssoAdminService: AdminServiceDef = {
  service: 'sso-admin',
  targetPrefix: 'SWBExternalService',
  signingName: 'sso',
  operations,
  badToken: () => new AdminError('ValidationException', 'The NextToken is not valid or has expired'),
};
