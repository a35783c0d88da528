/**
 * Account assignments and provisioning as sso-admin sees them. AWS runs them asynchronously and
 * answers with a request to poll; here the work is done within the call, so the status it
 * returns (and `Describe…Status` later) is already SUCCEEDED — or FAILED with the reason, for a
 * principal, account or permission set that does not exist. Requests are kept in
 * `async_requests` for the status operations.
 *
 * Creating an assignment provisions the permission set's role in the account when it has none
 * (as AWS does); deleting one takes away what it granted: the role credentials its users hold
 * stop verifying (`access` revocations, as `apply --prune` does), and the role goes when no
 * assignment needs it any more.
 */
import type { Kysely } from 'kysely';
import { DomainError } from '../../domain/errors.ts';
import { newRoleHash, newRoleId, uuid } from '../../domain/ids.ts';
import type { Random } from '../../domain/runtime.ts';
import type { Database } from '../../storage/schema.ts';
import { revokeUnreachable } from '../access-loss.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { revokingTransaction, type WrittenRevocations } from '../revocation.ts';
import { type AdminWho, auditOf } from './who.ts';

export interface AssignmentKey {
  accountId: string;
  permissionSetId: string;
  principalType: 'USER' | 'GROUP';
  principalId: string;
}

export interface AsyncStatus {
  requestId: string;
  status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  failureReason: string | null;
  detail: Record<string, unknown>;
  createdAt: number;
}

type Kind = 'assignment_create' | 'assignment_delete' | 'provision';

async function record(
  db: Kysely<Database>,
  random: Random,
  now: number,
  kind: Kind,
  failure: string | null,
  detail: Record<string, unknown>,
): Promise<AsyncStatus> {
  const requestId = uuid(random);
  const status = failure === null ? 'SUCCEEDED' : 'FAILED';
  await db
    .insertInto('async_requests')
    .values({
      id: requestId,
      kind,
      status,
      failure_reason: failure,
      detail: JSON.stringify(detail),
      created_at: now,
    })
    .execute();
  return { requestId, status, failureReason: failure, detail, createdAt: now };
}

async function problemOf(db: Kysely<Database>, key: AssignmentKey): Promise<string | null> {
  const account = await db
    .selectFrom('accounts')
    .select('id')
    .where('id', '=', key.accountId)
    .executeTakeFirst();
  if (!account) return `Account ${key.accountId} is not in the organization`;
  const principal =
    key.principalType === 'USER'
      ? await db.selectFrom('users').select('id').where('id', '=', key.principalId).executeTakeFirst()
      : await db.selectFrom('groups').select('id').where('id', '=', key.principalId).executeTakeFirst();
  if (!principal)
    return `${key.principalType === 'USER' ? 'User' : 'Group'} ${key.principalId} does not exist`;
  return null;
}

async function ensureRole(
  db: Kysely<Database>,
  random: Random,
  now: number,
  accountId: string,
  psId: string,
  version: number,
) {
  const role = await db
    .selectFrom('provisioned_roles')
    .select('account_id')
    .where('account_id', '=', accountId)
    .where('permission_set_id', '=', psId)
    .executeTakeFirst();
  if (role) return;
  await db
    .insertInto('provisioned_roles')
    .values({
      account_id: accountId,
      permission_set_id: psId,
      role_hash: newRoleHash(random),
      role_id: newRoleId(random),
      provisioned_version: version,
      created_at: now,
    })
    .execute();
}

async function permissionSetVersion(db: Kysely<Database>, psId: string): Promise<number> {
  const ps = await db
    .selectFrom('permission_sets')
    .select('version')
    .where('id', '=', psId)
    .executeTakeFirst();
  if (!ps) {
    throw new DomainError('not_found', `Could not find PermissionSet with id ${psId}`, {
      resourceType: 'PERMISSION_SET',
      resourceId: psId,
    });
  }
  return ps.version;
}

/** The id of the assignment with this key, when there is one. */
export async function assignmentIdOf(db: Kysely<Database>, key: AssignmentKey): Promise<string | undefined> {
  const row = await db
    .selectFrom('account_assignments')
    .select('id')
    .where('principal_type', '=', key.principalType)
    .where('principal_id', '=', key.principalId)
    .where('account_id', '=', key.accountId)
    .where('permission_set_id', '=', key.permissionSetId)
    .executeTakeFirst();
  return row?.id;
}

/** Writes an assignment the caller found missing; its new id (the audit row is the caller's). */
export async function insertAssignment(
  db: Kysely<Database>,
  random: Random,
  now: number,
  actor: string,
  key: AssignmentKey,
): Promise<string> {
  const id = uuid(random);
  await db
    .insertInto('account_assignments')
    .values({
      id,
      account_id: key.accountId,
      permission_set_id: key.permissionSetId,
      principal_type: key.principalType,
      principal_id: key.principalId,
      created_at: now,
      created_by: actor,
    })
    .execute();
  return id;
}

export async function createAssignment(
  ctx: AppContext,
  who: AdminWho,
  key: AssignmentKey,
): Promise<AsyncStatus> {
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const version = await permissionSetVersion(trx, key.permissionSetId);
    const problem = await problemOf(trx, key);
    if (problem) return record(trx, ctx.random, now, 'assignment_create', problem, { ...key });
    if ((await assignmentIdOf(trx, key)) === undefined) {
      const id = await insertAssignment(trx, ctx.random, now, who.actor, key);
      await ensureRole(trx, ctx.random, now, key.accountId, key.permissionSetId, version);
      await writeAudit(trx, auditOf(who, now, 'assignment.create', 'ASSIGNMENT', id, { ...key }));
    }
    return record(trx, ctx.random, now, 'assignment_create', null, { ...key });
  });
}

export async function deleteAssignment(
  ctx: AppContext,
  who: AdminWho,
  key: AssignmentKey,
): Promise<{ status: AsyncStatus; written: WrittenRevocations }> {
  const now = ctx.clock.now();
  const { value, ...written } = await revokingTransaction(ctx, async (trx) => {
    await permissionSetVersion(trx, key.permissionSetId);
    const id = await assignmentIdOf(trx, key);
    if (id === undefined) {
      const problem = (await problemOf(trx, key)) ?? 'The account assignment does not exist';
      return record(trx, ctx.random, now, 'assignment_delete', problem, { ...key });
    }
    await trx.deleteFrom('account_assignments').where('id', '=', id).execute();
    const users =
      key.principalType === 'USER'
        ? [key.principalId]
        : (
            await trx
              .selectFrom('group_memberships')
              .select('user_id')
              .where('group_id', '=', key.principalId)
              .execute()
          ).map((m) => m.user_id);
    await revokeUnreachable(
      trx,
      users.map((userId) => ({ userId, accountId: key.accountId, permissionSetId: key.permissionSetId })),
    );
    const left = await trx
      .selectFrom('account_assignments')
      .select('id')
      .where('account_id', '=', key.accountId)
      .where('permission_set_id', '=', key.permissionSetId)
      .executeTakeFirst();
    if (!left) {
      await trx
        .deleteFrom('provisioned_roles')
        .where('account_id', '=', key.accountId)
        .where('permission_set_id', '=', key.permissionSetId)
        .execute();
    }
    await writeAudit(trx, auditOf(who, now, 'assignment.delete', 'ASSIGNMENT', id, { ...key }));
    return record(trx, ctx.random, now, 'assignment_delete', null, { ...key });
  });
  return { status: value, written };
}

/** ProvisionPermissionSet: the roles of one account, or of every account it is provisioned to, take its version. */
export async function provisionPermissionSet(
  ctx: AppContext,
  who: AdminWho,
  psId: string,
  accountId: string | undefined,
): Promise<AsyncStatus> {
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const version = await permissionSetVersion(trx, psId);
    if (accountId !== undefined) {
      const assigned = await trx
        .selectFrom('account_assignments')
        .select('id')
        .where('account_id', '=', accountId)
        .where('permission_set_id', '=', psId)
        .executeTakeFirst();
      if (!assigned) {
        return record(
          trx,
          ctx.random,
          now,
          'provision',
          `The permission set has no assignment in account ${accountId}`,
          {
            accountId,
            permissionSetId: psId,
          },
        );
      }
      await ensureRole(trx, ctx.random, now, accountId, psId, version);
    }
    await trx
      .updateTable('provisioned_roles')
      .set({ provisioned_version: version })
      .where('permission_set_id', '=', psId)
      .$if(accountId !== undefined, (q) => q.where('account_id', '=', accountId ?? ''))
      .where('provisioned_version', '<>', version)
      .execute();
    await writeAudit(
      trx,
      auditOf(who, now, 'permission_set.update', 'PERMISSION_SET', psId, {
        provisioned: accountId ?? 'all',
        version,
      }),
    );
    return record(trx, ctx.random, now, 'provision', null, {
      accountId: accountId ?? null,
      permissionSetId: psId,
    });
  });
}

export async function asyncStatus(ctx: AppContext, kind: Kind, requestId: string): Promise<AsyncStatus> {
  const row = await ctx.store.db
    .selectFrom('async_requests')
    .selectAll()
    .where('id', '=', requestId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', `Could not find the request ${requestId}`);
  return {
    requestId: row.id,
    status: row.status as AsyncStatus['status'],
    failureReason: row.failure_reason,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

export async function listAsyncStatus(
  ctx: AppContext,
  kind: Kind,
  status: string | undefined,
  page: { after: string | undefined; limit: number },
): Promise<{ items: AsyncStatus[]; after: string | undefined }> {
  const rows = await ctx.store.db
    .selectFrom('async_requests')
    .selectAll()
    .where('kind', '=', kind)
    .$if(status !== undefined, (q) => q.where('status', '=', status ?? ''))
    .$if(page.after !== undefined, (q) => q.where('id', '>', page.after ?? ''))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit).map((row) => ({
    requestId: row.id,
    status: row.status as AsyncStatus['status'],
    failureReason: row.failure_reason,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    createdAt: row.created_at,
  }));
  return { items, after: rows.length > page.limit ? items.at(-1)?.requestId : undefined };
}

export async function listAssignments(
  ctx: AppContext,
  where: { accountId?: string; permissionSetId?: string; principalType?: string; principalId?: string },
  page: { after: string | undefined; limit: number },
): Promise<{ items: AssignmentKey[]; after: string | undefined }> {
  const rows = await ctx.store.db
    .selectFrom('account_assignments')
    .select(['id', 'account_id', 'permission_set_id', 'principal_type', 'principal_id'])
    .$if(where.accountId !== undefined, (q) => q.where('account_id', '=', where.accountId ?? ''))
    .$if(where.permissionSetId !== undefined, (q) =>
      q.where('permission_set_id', '=', where.permissionSetId ?? ''),
    )
    .$if(where.principalType !== undefined, (q) => q.where('principal_type', '=', where.principalType ?? ''))
    .$if(where.principalId !== undefined, (q) => q.where('principal_id', '=', where.principalId ?? ''))
    .$if(page.after !== undefined, (q) => q.where('id', '>', page.after ?? ''))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  const kept = rows.slice(0, page.limit);
  return {
    items: kept.map((r) => ({
      accountId: r.account_id,
      permissionSetId: r.permission_set_id,
      principalType: r.principal_type as 'USER' | 'GROUP',
      principalId: r.principal_id,
    })),
    after: rows.length > page.limit ? kept.at(-1)?.id : undefined,
  };
}

/** Provisioned (account, permission set) pairs; `latest` filters on whether the role is current. */
export async function listProvisioned(
  ctx: AppContext,
  where: { accountId?: string; permissionSetId?: string; latest?: boolean },
  page: { after: string | undefined; limit: number },
): Promise<{ items: Array<{ accountId: string; permissionSetId: string }>; after: string | undefined }> {
  const rows = await ctx.store.db
    .selectFrom('provisioned_roles as r')
    .innerJoin('permission_sets as p', 'p.id', 'r.permission_set_id')
    .select(['r.account_id', 'r.permission_set_id', 'r.provisioned_version', 'p.version'])
    .$if(where.accountId !== undefined, (q) => q.where('r.account_id', '=', where.accountId ?? ''))
    .$if(where.permissionSetId !== undefined, (q) =>
      q.where('r.permission_set_id', '=', where.permissionSetId ?? ''),
    )
    .orderBy('r.account_id')
    .orderBy('r.permission_set_id')
    .execute();
  const filtered = rows.filter(
    (r) => where.latest === undefined || (r.provisioned_version === r.version) === where.latest,
  );
  const keyOf = (r: { account_id: string; permission_set_id: string }) =>
    `${r.account_id}|${r.permission_set_id}`;
  const start = page.after === undefined ? 0 : filtered.findIndex((r) => keyOf(r) > (page.after ?? ''));
  const from = start < 0 ? filtered.length : start;
  const kept = filtered.slice(from, from + page.limit);
  const last = kept.at(-1);
  return {
    items: kept.map((r) => ({ accountId: r.account_id, permissionSetId: r.permission_set_id })),
    after: from + page.limit < filtered.length && last ? keyOf(last) : undefined,
  };
}
