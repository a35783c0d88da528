/**
 * organizations (awsJson1.1, target prefix `AWSOrganizationsV20161128`, signing name
 * `organizations`): the organization, its root, OUs and accounts (`app/admin/organization.ts`),
 * each call authorised on the root, OU and account ARNs the Service Authorization Reference
 * names. Errors are the model's own exceptions (AccountNotFoundException,
 * DuplicateOrganizationalUnitException…); input that breaks the model is InvalidInputException.
 */
import {
  accountsForParent,
  type CreateAccountStatus,
  createAccount,
  createAccountStatus,
  createOu,
  deleteOu,
  describeOu,
  listAccounts,
  listCreateAccountStatus,
  listOus,
  moveAccount,
  parentOfChild,
  readAccount,
  renameOu,
  type StoredAccount,
  type StoredOu,
} from '../../app/admin/organization.ts';
import type { Instance } from '../../app/instance.ts';
import {
  organizationArn,
  organizationalUnitArn,
  organizationsAccountArn,
  organizationsRootArn,
} from '../../domain/iam/arn.ts';
import { AdminError } from './errors.ts';
import { type AdminCall, type AdminOperation, type AdminServiceDef, op } from './handler.ts';
import { whoOf } from './identitystore.ts';
import { enumOf, int, list, str, struct } from './shapes.ts';

const ACCOUNT_ID = str(undefined, 12, '\\d{12}');
const OU_ID = str(undefined, 68, 'ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}');
const PARENT_ID = str(undefined, 100, '(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})');
const CHILD_ID = str(undefined, 100, '(\\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})');
const OU_NAME = str(1, 128, '[\\s\\S]*');
const EMAIL = str(6, 64, '[^\\s@]+@[^\\s@]+\\.[^\\s@]+');
const ACCOUNT_NAME = str(1, 50, '[\\u0020-\\u007E]+');
const TOKEN = str(undefined, 100000, '[\\s\\S]*');
const MAX_RESULTS = int(1, 20);
const TAGS = list(struct({ Key: str(1, 128), Value: str(0, 256) }, ['Key', 'Value']));
const PAGE = { NextToken: TOKEN, MaxResults: MAX_RESULTS };

interface PageInput {
  NextToken?: string;
  MaxResults?: number;
}

const seconds = (ms: number) => ms / 1000;
const mgmt = (i: Instance) => i.management_account_id ?? '';
const rootArn = (i: Instance) => organizationsRootArn(mgmt(i), i.organization_id, i.root_id);
const ouArn = (i: Instance, id: string) => organizationalUnitArn(mgmt(i), i.organization_id, id);
const accountArn = (i: Instance, id: string) => organizationsAccountArn(mgmt(i), i.organization_id, id);
const parentArn = (i: Instance, id: string) => (id.startsWith('r-') ? rootArn(i) : ouArn(i, id));

function accountWire(i: Instance, a: StoredAccount): Record<string, unknown> {
  return {
    Id: a.id,
    Arn: accountArn(i, a.id),
    Email: a.email,
    Name: a.name,
    Status: a.status,
    State: a.status,
    JoinedMethod: a.joined_method,
    JoinedTimestamp: seconds(a.created_at),
  };
}

function ouWire(i: Instance, ou: StoredOu): Record<string, unknown> {
  return { Id: ou.id, Arn: ouArn(i, ou.id), Name: ou.name };
}

function statusWire(s: CreateAccountStatus): Record<string, unknown> {
  return {
    Id: s.id,
    AccountName: s.accountName,
    State: s.state,
    RequestedTimestamp: seconds(s.requestedAt),
    CompletedTimestamp: seconds(s.completedAt),
    ...(s.accountId ? { AccountId: s.accountId } : {}),
    ...(s.failureReason ? { FailureReason: s.failureReason } : {}),
  };
}

/** A page of `items` (already in a stable order) after the token's key, with the next token. */
async function paged<T>(
  call: AdminCall<PageInput>,
  query: readonly unknown[],
  items: readonly T[],
  keyOf: (item: T) => string,
  member: string,
  wire: (item: T) => unknown,
): Promise<Record<string, unknown>> {
  const after = await call.pageStart(call.input.NextToken || undefined, query);
  const start = after === undefined ? 0 : items.findIndex((it) => keyOf(it) > after);
  const from = start < 0 ? items.length : start;
  const limit = call.input.MaxResults ?? 20;
  const page = items.slice(from, from + limit);
  const out: Record<string, unknown> = { [member]: page.map(wire) };
  const last = page.at(-1);
  if (from + limit < items.length && last !== undefined)
    out.NextToken = await call.nextToken(keyOf(last), query);
  return out;
}

const operations: Record<string, AdminOperation> = {
  DescribeOrganization: op(struct({}), async (call) => {
    call.authorize([]);
    const i = call.instance;
    const m = i.management_account_id;
    const management = m ? await readAccount(call.deps.ctx, m).catch(() => undefined) : undefined;
    return {
      Organization: {
        Id: i.organization_id,
        Arn: organizationArn(mgmt(i), i.organization_id),
        FeatureSet: 'ALL',
        ...(m ? { MasterAccountArn: accountArn(i, m), MasterAccountId: m } : {}),
        ...(management ? { MasterAccountEmail: management.email } : {}),
        AvailablePolicyTypes: [],
      },
    };
  }),
  ListRoots: op<PageInput>(struct(PAGE), async (call) => {
    call.authorize([]);
    const i = call.instance;
    return { Roots: [{ Id: i.root_id, Arn: rootArn(i), Name: 'Root', PolicyTypes: [] }] };
  }),
  ListAccounts: op<PageInput>(struct(PAGE), async (call) => {
    call.authorize([]);
    const accounts = await listAccounts(call.deps.ctx);
    return paged(
      call,
      [],
      accounts,
      (a) => a.id,
      'Accounts',
      (a) => accountWire(call.instance, a),
    );
  }),
  DescribeAccount: op<{ AccountId: string }>(
    struct({ AccountId: ACCOUNT_ID }, ['AccountId']),
    async (call) => {
      call.authorize([accountArn(call.instance, call.input.AccountId)]);
      return { Account: accountWire(call.instance, await readAccount(call.deps.ctx, call.input.AccountId)) };
    },
  ),
  ListOrganizationalUnitsForParent: op<PageInput & { ParentId: string }>(
    struct({ ParentId: PARENT_ID, ...PAGE }, ['ParentId']),
    async (call) => {
      call.authorize([parentArn(call.instance, call.input.ParentId)]);
      const ous = await listOus(call.deps.ctx, call.instance, call.input.ParentId);
      return paged(
        call,
        [call.input.ParentId],
        ous,
        (o) => o.id,
        'OrganizationalUnits',
        (o) => ouWire(call.instance, o),
      );
    },
  ),
  ListAccountsForParent: op<PageInput & { ParentId: string }>(
    struct({ ParentId: PARENT_ID, ...PAGE }, ['ParentId']),
    async (call) => {
      call.authorize([parentArn(call.instance, call.input.ParentId)]);
      const accounts = await accountsForParent(call.deps.ctx, call.instance, call.input.ParentId);
      return paged(
        call,
        [call.input.ParentId],
        accounts,
        (a) => a.id,
        'Accounts',
        (a) => accountWire(call.instance, a),
      );
    },
  ),
  ListChildren: op<PageInput & { ParentId: string; ChildType: string }>(
    struct({ ParentId: PARENT_ID, ChildType: enumOf('ACCOUNT', 'ORGANIZATIONAL_UNIT'), ...PAGE }, [
      'ParentId',
      'ChildType',
    ]),
    async (call) => {
      const { ParentId, ChildType } = call.input;
      call.authorize([parentArn(call.instance, ParentId)]);
      const ids =
        ChildType === 'ACCOUNT'
          ? (await accountsForParent(call.deps.ctx, call.instance, ParentId)).map((a) => a.id)
          : (await listOus(call.deps.ctx, call.instance, ParentId)).map((o) => o.id);
      return paged(
        call,
        [ParentId, ChildType],
        ids,
        (id) => id,
        'Children',
        (Id) => ({ Id, Type: ChildType }),
      );
    },
  ),
  ListParents: op<PageInput & { ChildId: string }>(
    struct({ ChildId: CHILD_ID, ...PAGE }, ['ChildId']),
    async (call) => {
      const { ChildId } = call.input;
      call.authorize([
        /^\d{12}$/.test(ChildId) ? accountArn(call.instance, ChildId) : ouArn(call.instance, ChildId),
      ]);
      const parent = await parentOfChild(call.deps.ctx, call.instance, ChildId);
      return { Parents: [{ Id: parent.id, Type: parent.type }] };
    },
  ),
  DescribeOrganizationalUnit: op<{ OrganizationalUnitId: string }>(
    struct({ OrganizationalUnitId: OU_ID }, ['OrganizationalUnitId']),
    async (call) => {
      call.authorize([ouArn(call.instance, call.input.OrganizationalUnitId)]);
      return {
        OrganizationalUnit: ouWire(
          call.instance,
          await describeOu(call.deps.ctx, call.input.OrganizationalUnitId),
        ),
      };
    },
  ),
  CreateOrganizationalUnit: op<{
    ParentId: string;
    Name: string;
    Tags?: Array<{ Key: string; Value: string }>;
  }>(struct({ ParentId: PARENT_ID, Name: OU_NAME, Tags: TAGS }, ['ParentId', 'Name']), async (call) => {
    const tags = Object.fromEntries((call.input.Tags ?? []).map((t) => [t.Key, t.Value]));
    call.authorize([parentArn(call.instance, call.input.ParentId)], { requestTags: tags });
    const ou = await createOu(
      call.deps.ctx,
      whoOf(call),
      call.instance,
      call.input.ParentId,
      call.input.Name,
    );
    return { OrganizationalUnit: ouWire(call.instance, ou) };
  }),
  UpdateOrganizationalUnit: op<{ OrganizationalUnitId: string; Name?: string }>(
    struct({ OrganizationalUnitId: OU_ID, Name: OU_NAME }, ['OrganizationalUnitId']),
    async (call) => {
      const id = call.input.OrganizationalUnitId;
      call.authorize([ouArn(call.instance, id)]);
      const ou =
        call.input.Name === undefined
          ? await describeOu(call.deps.ctx, id)
          : await renameOu(call.deps.ctx, whoOf(call), id, call.input.Name);
      return { OrganizationalUnit: ouWire(call.instance, ou) };
    },
  ),
  DeleteOrganizationalUnit: op<{ OrganizationalUnitId: string }>(
    struct({ OrganizationalUnitId: OU_ID }, ['OrganizationalUnitId']),
    async (call) => {
      call.authorize([ouArn(call.instance, call.input.OrganizationalUnitId)]);
      await deleteOu(call.deps.ctx, whoOf(call), call.input.OrganizationalUnitId);
      return {};
    },
  ),
  MoveAccount: op<{ AccountId: string; SourceParentId: string; DestinationParentId: string }>(
    struct({ AccountId: ACCOUNT_ID, SourceParentId: PARENT_ID, DestinationParentId: PARENT_ID }, [
      'AccountId',
      'SourceParentId',
      'DestinationParentId',
    ]),
    async (call) => {
      const { AccountId, SourceParentId, DestinationParentId } = call.input;
      call.authorize([
        accountArn(call.instance, AccountId),
        parentArn(call.instance, SourceParentId),
        parentArn(call.instance, DestinationParentId),
      ]);
      await moveAccount(call.deps.ctx, whoOf(call), call.instance, {
        accountId: AccountId,
        from: SourceParentId,
        to: DestinationParentId,
      });
      return {};
    },
  ),
  CreateAccount: op<{ Email: string; AccountName: string; Tags?: Array<{ Key: string; Value: string }> }>(
    struct(
      {
        Email: EMAIL,
        AccountName: ACCOUNT_NAME,
        RoleName: str(undefined, 64, '[\\w+=,.@-]{1,64}'),
        IamUserAccessToBilling: enumOf('ALLOW', 'DENY'),
        Tags: TAGS,
      },
      ['Email', 'AccountName'],
    ),
    async (call) => {
      const tags = Object.fromEntries((call.input.Tags ?? []).map((t) => [t.Key, t.Value]));
      call.authorize([], { requestTags: tags });
      const s = await createAccount(call.deps.ctx, whoOf(call), {
        name: call.input.AccountName,
        email: call.input.Email,
      });
      return { CreateAccountStatus: statusWire(s) };
    },
  ),
  DescribeCreateAccountStatus: op<{ CreateAccountRequestId: string }>(
    struct({ CreateAccountRequestId: str(undefined, 36, 'car-[a-z0-9]{8,32}') }, ['CreateAccountRequestId']),
    async (call) => {
      call.authorize([]);
      return {
        CreateAccountStatus: statusWire(
          await createAccountStatus(call.deps.ctx, call.input.CreateAccountRequestId),
        ),
      };
    },
  ),
  ListCreateAccountStatus: op<PageInput & { States?: string[] }>(
    struct({ States: list(enumOf('IN_PROGRESS', 'SUCCEEDED', 'FAILED')), ...PAGE }),
    async (call) => {
      call.authorize([]);
      const statuses = await listCreateAccountStatus(call.deps.ctx, call.input.States);
      return paged(
        call,
        [call.input.States ?? null],
        statuses,
        (s) => s.id,
        'CreateAccountStatuses',
        statusWire,
      );
    },
  ),
};

export const organizationsService: AdminServiceDef = {
  service: 'organizations',
  targetPrefix: 'AWSOrganizationsV20161128',
  signingName: 'organizations',
  operations,
  badToken: () =>
    new AdminError(
      'InvalidInputException',
      'You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.',
      {
        Reason: 'INVALID_PAGINATION_TOKEN',
      },
    ),
};
