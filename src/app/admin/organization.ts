/**
 * The organization as the organizations API sees it: the root, OUs and accounts the
 * organization file writes (`ous` keeps each OU's full path, `/Workloads/Prod`, which the file
 * names OUs by; renaming an OU renames the paths under it). New accounts are registered
 * (CreateAccount), not made in AWS: the status is SUCCEEDED within the call, or FAILED with
 * AWS's reason (EMAIL_ALREADY_EXISTS), kept in `async_requests`. Every change is audited with
 * the caller, in its transaction.
 */
import type { Kysely } from 'kysely';
import { DomainError } from '../../domain/errors.ts';
import { MAX_OU_DEPTH } from '../../domain/identity/organization.ts';
import { hex, newOuId } from '../../domain/ids.ts';
import type { AccountRow, Database } from '../../storage/schema.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import type { Instance } from '../instance.ts';
import { type AdminWho, auditOf } from './who.ts';

export type StoredAccount = AccountRow;

export interface StoredOu {
  id: string;
  parent_id: string;
  name: string;
  path: string;
}

/** An error the organizations model names by its own exception (carried as the reason). */
function orgError(
  code: 'not_found' | 'conflict' | 'validation',
  exception: string,
  message: string,
): DomainError {
  return new DomainError(code, message, { reason: exception });
}

export const accountNotFound = (id: string) =>
  orgError('not_found', 'AccountNotFoundException', `You specified an account that doesn't exist: ${id}`);
const childNotFound = (id: string) =>
  orgError(
    'not_found',
    'ChildNotFoundException',
    `We can't find an organizational unit (OU) or AWS account with the ChildId that you specified: ${id}`,
  );
const ouNotFound = (id: string) =>
  orgError(
    'not_found',
    'OrganizationalUnitNotFoundException',
    `We can't find an OU with the OrganizationalUnitId that you specified: ${id}`,
  );
export const parentNotFound = (id: string, exception = 'ParentNotFoundException') =>
  orgError('not_found', exception, `We can't find a root or OU with the ParentId that you specified: ${id}`);

export async function readAccount(ctx: AppContext, id: string): Promise<StoredAccount> {
  const row = await ctx.store.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw accountNotFound(id);
  return row;
}

export async function listAccounts(ctx: AppContext, ouId?: string | null): Promise<StoredAccount[]> {
  return ctx.store.db
    .selectFrom('accounts')
    .selectAll()
    .$if(ouId !== undefined, (q) =>
      ouId === null ? q.where('ou_id', 'is', null) : q.where('ou_id', '=', ouId ?? ''),
    )
    .orderBy('id')
    .execute();
}

export async function readOu(db: Kysely<Database>, id: string): Promise<StoredOu> {
  const row = await db
    .selectFrom('ous')
    .select(['id', 'parent_id', 'name', 'path'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw ouNotFound(id);
  return row;
}

export function describeOu(ctx: AppContext, id: string): Promise<StoredOu> {
  return readOu(ctx.store.db, id);
}

/** The parent's OU id (null for the root); ParentNotFoundException for neither. */
async function parentOf(
  db: Kysely<Database>,
  instance: Instance,
  parentId: string,
  exception?: string,
): Promise<StoredOu | null> {
  if (parentId === instance.root_id) return null;
  const ou = await db
    .selectFrom('ous')
    .select(['id', 'parent_id', 'name', 'path'])
    .where('id', '=', parentId)
    .executeTakeFirst();
  if (!ou) throw parentNotFound(parentId, exception);
  return ou;
}

export async function listOus(ctx: AppContext, instance: Instance, parentId: string): Promise<StoredOu[]> {
  await parentOf(ctx.store.db, instance, parentId);
  return ctx.store.db
    .selectFrom('ous')
    .select(['id', 'parent_id', 'name', 'path'])
    .where('parent_id', '=', parentId)
    .orderBy('id')
    .execute();
}

export async function accountsForParent(
  ctx: AppContext,
  instance: Instance,
  parentId: string,
): Promise<StoredAccount[]> {
  const parent = await parentOf(ctx.store.db, instance, parentId);
  return listAccounts(ctx, parent ? parent.id : null);
}

/** ListParents: the one parent of an account or OU. */
export async function parentOfChild(
  ctx: AppContext,
  instance: Instance,
  childId: string,
): Promise<{ id: string; type: 'ROOT' | 'ORGANIZATIONAL_UNIT' }> {
  const db = ctx.store.db;
  if (/^\d{12}$/.test(childId)) {
    const a = await db.selectFrom('accounts').select('ou_id').where('id', '=', childId).executeTakeFirst();
    if (!a) throw childNotFound(childId);
    return a.ou_id === null
      ? { id: instance.root_id, type: 'ROOT' }
      : { id: a.ou_id, type: 'ORGANIZATIONAL_UNIT' };
  }
  const ou = await db.selectFrom('ous').select('parent_id').where('id', '=', childId).executeTakeFirst();
  if (!ou) throw childNotFound(childId);
  return ou.parent_id === instance.root_id
    ? { id: instance.root_id, type: 'ROOT' }
    : { id: ou.parent_id, type: 'ORGANIZATIONAL_UNIT' };
}

function checkOuName(name: string): void {
  if (name.includes('/')) {
    throw orgError(
      'validation',
      'InvalidInputException',
      'An OU name here may not contain "/": OUs are named by their path',
    );
  }
}

export async function createOu(
  ctx: AppContext,
  who: AdminWho,
  instance: Instance,
  parentId: string,
  name: string,
): Promise<StoredOu> {
  checkOuName(name);
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const parent = await parentOf(trx, instance, parentId);
    const path = `${parent ? parent.path : ''}/${name}`;
    if (path.split('/').length - 1 > MAX_OU_DEPTH) {
      throw orgError(
        'conflict',
        'ConstraintViolationException',
        `OUs nest at most ${MAX_OU_DEPTH} levels deep`,
      );
    }
    await refuseTakenPath(trx, path);
    const ou = { id: newOuId(ctx.random, instance.root_id), parent_id: parentId, name, path };
    await trx
      .insertInto('ous')
      .values({ ...ou, created_at: now })
      .execute();
    await writeAudit(trx, auditOf(who, now, 'ou.create', 'OU', ou.id, { path }));
    return ou;
  });
}

/** @throws the model's DuplicateOrganizationalUnitException when an OU has that path already */
async function refuseTakenPath(trx: Kysely<Database>, path: string): Promise<void> {
  const same = await trx.selectFrom('ous').select('id').where('path', '=', path).executeTakeFirst();
  if (same) {
    throw orgError(
      'conflict',
      'DuplicateOrganizationalUnitException',
      'An OU with the same name already exists.',
    );
  }
}

export async function renameOu(ctx: AppContext, who: AdminWho, id: string, name: string): Promise<StoredOu> {
  checkOuName(name);
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const ou = await readOu(trx, id);
    const path = `${ou.path.slice(0, ou.path.lastIndexOf('/'))}/${name}`;
    if (path === ou.path) return ou;
    await refuseTakenPath(trx, path);
    // The OU and every OU under it take the new path.
    const under = await trx
      .selectFrom('ous')
      .select(['id', 'path'])
      .where('path', 'like', `${ou.path}/%`)
      .execute();
    await trx.updateTable('ous').set({ name, path }).where('id', '=', id).execute();
    for (const u of under) {
      await trx
        .updateTable('ous')
        .set({ path: path + u.path.slice(ou.path.length) })
        .where('id', '=', u.id)
        .execute();
    }
    await writeAudit(trx, auditOf(who, now, 'ou.update', 'OU', id, { from: ou.path, to: path }));
    return { ...ou, name, path };
  });
}

export async function deleteOu(ctx: AppContext, who: AdminWho, id: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const ou = await readOu(trx, id);
    const child = await trx.selectFrom('ous').select('id').where('parent_id', '=', id).executeTakeFirst();
    const account = await trx.selectFrom('accounts').select('id').where('ou_id', '=', id).executeTakeFirst();
    if (child || account) {
      throw orgError(
        'conflict',
        'OrganizationalUnitNotEmptyException',
        'The specified OU is not empty. Move all accounts to another root or OU and delete all child OUs, then try the operation again.',
      );
    }
    await trx.deleteFrom('ous').where('id', '=', id).execute();
    await writeAudit(trx, auditOf(who, now, 'ou.delete', 'OU', id, { path: ou.path }));
  });
}

export async function moveAccount(
  ctx: AppContext,
  who: AdminWho,
  instance: Instance,
  move: { accountId: string; from: string; to: string },
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const account = await trx
      .selectFrom('accounts')
      .select(['id', 'ou_id'])
      .where('id', '=', move.accountId)
      .executeTakeFirst();
    if (!account) throw accountNotFound(move.accountId);
    const from = await parentOf(trx, instance, move.from, 'SourceParentNotFoundException');
    const to = await parentOf(trx, instance, move.to, 'DestinationParentNotFoundException');
    if ((from?.id ?? null) !== account.ou_id) {
      throw orgError(
        'not_found',
        'AccountNotFoundException',
        `The account ${move.accountId} is not in ${move.from}`,
      );
    }
    if ((from?.id ?? null) === (to?.id ?? null)) {
      throw orgError(
        'conflict',
        'DuplicateAccountException',
        'That account is already present in the specified destination.',
      );
    }
    await trx
      .updateTable('accounts')
      .set({ ou_id: to?.id ?? null, updated_at: now })
      .where('id', '=', account.id)
      .execute();
    await writeAudit(
      trx,
      auditOf(who, now, 'account.update', 'ACCOUNT', account.id, { from: move.from, to: move.to }),
    );
  });
}

export interface CreateAccountStatus {
  id: string;
  accountName: string;
  state: 'SUCCEEDED' | 'FAILED';
  requestedAt: number;
  completedAt: number;
  accountId?: string;
  failureReason?: string;
}

/** Register a new account under the root: a free 12-digit id, status SUCCEEDED at once. */
export async function createAccount(
  ctx: AppContext,
  who: AdminWho,
  input: { name: string; email: string },
): Promise<CreateAccountStatus> {
  const now = ctx.clock.now();
  const requestId = `car-${hex(ctx.random, 32)}`;
  return ctx.store.db.transaction().execute(async (trx) => {
    let status: CreateAccountStatus;
    const taken = await trx
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', input.email)
      .executeTakeFirst();
    if (taken) {
      status = {
        id: requestId,
        accountName: input.name,
        state: 'FAILED',
        requestedAt: now,
        completedAt: now,
        failureReason: 'EMAIL_ALREADY_EXISTS',
      };
    } else {
      let id = '';
      do {
        id = Array.from(ctx.random.bytes(12), (b) => String(b % 10)).join('');
      } while (await trx.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst());
      await trx
        .insertInto('accounts')
        .values({
          id,
          name: input.name,
          email: input.email,
          ou_id: null,
          status: 'ACTIVE',
          joined_method: 'CREATED',
          created_at: now,
          updated_at: now,
          partition: null,
        })
        .execute();
      await writeAudit(trx, auditOf(who, now, 'account.create', 'ACCOUNT', id, { name: input.name }));
      status = {
        id: requestId,
        accountName: input.name,
        state: 'SUCCEEDED',
        requestedAt: now,
        completedAt: now,
        accountId: id,
      };
    }
    await trx
      .insertInto('async_requests')
      .values({
        id: requestId,
        kind: 'account_create',
        status: status.state,
        failure_reason: status.failureReason ?? null,
        detail: JSON.stringify(status),
        created_at: now,
      })
      .execute();
    return status;
  });
}

export async function createAccountStatus(ctx: AppContext, requestId: string): Promise<CreateAccountStatus> {
  const row = await ctx.store.db
    .selectFrom('async_requests')
    .select('detail')
    .where('id', '=', requestId)
    .where('kind', '=', 'account_create')
    .executeTakeFirst();
  if (!row) {
    throw orgError(
      'not_found',
      'CreateAccountStatusNotFoundException',
      `We can't find a create account request with the CreateAccountRequestId that you specified: ${requestId}`,
    );
  }
  return JSON.parse(row.detail) as CreateAccountStatus;
}

export async function listCreateAccountStatus(
  ctx: AppContext,
  states: readonly string[] | undefined,
): Promise<CreateAccountStatus[]> {
  const rows = await ctx.store.db
    .selectFrom('async_requests')
    .select('detail')
    .where('kind', '=', 'account_create')
    .$if(states !== undefined && states.length > 0, (q) => q.where('status', 'in', states ?? []))
    .orderBy('id')
    .execute();
  return rows.map((r) => JSON.parse(r.detail) as CreateAccountStatus);
}
