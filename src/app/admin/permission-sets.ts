/**
 * Permission sets as sso-admin sees them, on the rows the organization file writes: create,
 * describe, update, delete, list, their AWS managed policies, customer managed policy
 * references, inline policy, permissions boundary and tags. A change of what the role may do
 * raises the permission set's `version` (the roles provisioned from it are then behind until
 * ProvisionPermissionSet); every change is audited with the caller, in its transaction.
 */
import type { Kysely } from 'kysely';
import { DomainError } from '../../domain/errors.ts';
import {
  checkTagKey,
  checkTagKeyText,
  checkTagValue,
  MAX_ATTACHED_POLICIES,
  MAX_TAGS,
  parseSessionDuration,
} from '../../domain/identity/permission-set.ts';
import { checkPolicyDocument } from '../../domain/identity/policy-document.ts';
import { newPermissionSetId } from '../../domain/ids.ts';
import type { Database, PermissionSetRow } from '../../storage/schema.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { type AdminWho, auditOf, isUniqueViolation } from './who.ts';

/** A permission set as stored. */
export type StoredPermissionSet = PermissionSetRow;

export function permissionSetNotFound(id: string): DomainError {
  return new DomainError('not_found', `Could not find PermissionSet with id ${id}`, {
    resourceType: 'PERMISSION_SET',
    resourceId: id,
  });
}

export async function readPermissionSet(db: Kysely<Database>, id: string): Promise<PermissionSetRow> {
  const row = await db.selectFrom('permission_sets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw permissionSetNotFound(id);
  return row;
}

/** A permission set by id (ResourceNotFoundException when there is none). */
export function describePermissionSet(ctx: AppContext, id: string): Promise<PermissionSetRow> {
  return readPermissionSet(ctx.store.db, id);
}

function sessionSeconds(duration: string): number {
  const parsed = parseSessionDuration(duration);
  if ('problem' in parsed) throw new DomainError('validation', parsed.problem);
  return parsed.seconds;
}

export interface NewPermissionSet {
  name: string;
  description?: string | undefined;
  sessionDuration?: string | undefined;
  relayState?: string | undefined;
  tags?: ReadonlyArray<{ Key: string; Value: string }> | undefined;
}

export async function createPermissionSet(
  ctx: AppContext,
  who: AdminWho,
  input: NewPermissionSet,
): Promise<PermissionSetRow> {
  if (input.tags) checkTags(input.tags);
  const id = newPermissionSetId(ctx.random);
  const now = ctx.clock.now();
  const duration = input.sessionDuration ?? 'PT1H';
  const row = {
    id,
    name: input.name,
    name_lower: input.name.toLowerCase(),
    description: input.description ?? null,
    session_duration: duration,
    session_seconds: sessionSeconds(duration),
    relay_state: input.relayState ?? null,
    inline_policy: null,
    permissions_boundary: null,
    version: 1,
    created_at: now,
    updated_at: now,
    session_tags: null,
  };
  try {
    await ctx.store.db.transaction().execute(async (trx) => {
      await trx.insertInto('permission_sets').values(row).execute();
      if (input.tags && input.tags.length > 0) await putTags(trx, id, input.tags);
      await writeAudit(
        trx,
        auditOf(who, now, 'permission_set.create', 'PERMISSION_SET', id, { name: input.name }),
      );
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new DomainError('conflict', `PermissionSet with name ${input.name} already exists.`);
    }
    throw err;
  }
  return { ...row, administrators: 0 };
}

/**
 * Change a permission set inside one transaction: `change` does the writes; the version moves
 * when `definition` is true (what the role may do changed), and the audit row names `what`.
 */
export async function changePermissionSet(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  what: Record<string, unknown>,
  change: (trx: Kysely<Database>, row: PermissionSetRow) => Promise<void>,
  definition = true,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    // A write first: the row is locked (PostgreSQL) or the write lock taken (SQLite).
    const touched = await trx
      .updateTable('permission_sets')
      .set((eb) => ({ updated_at: now, version: definition ? eb('version', '+', 1) : eb.ref('version') }))
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(touched.numUpdatedRows) === 0) throw permissionSetNotFound(id);
    const row = await readPermissionSet(trx, id);
    await change(trx, row);
    await writeAudit(trx, auditOf(who, now, 'permission_set.update', 'PERMISSION_SET', id, what));
  });
}

export async function updatePermissionSet(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  input: {
    description?: string | undefined;
    sessionDuration?: string | undefined;
    relayState?: string | undefined;
  },
): Promise<void> {
  const set: Partial<PermissionSetRow> = {};
  if (input.description !== undefined) set.description = input.description;
  if (input.sessionDuration !== undefined) {
    set.session_duration = input.sessionDuration;
    set.session_seconds = sessionSeconds(input.sessionDuration);
  }
  if (input.relayState !== undefined) set.relay_state = input.relayState;
  // The attributes the caller gave, not every key the adapter passes (some undefined).
  const changed = Object.entries(input)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
  await changePermissionSet(ctx, who, id, { changed }, async (trx) => {
    if (Object.keys(set).length > 0)
      await trx.updateTable('permission_sets').set(set).where('id', '=', id).execute();
  });
}

/** Delete a permission set that is neither assigned nor provisioned (ConflictException otherwise). */
export async function deletePermissionSet(ctx: AppContext, who: AdminWho, id: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const row = await readPermissionSet(trx, id);
    const used =
      (await trx
        .selectFrom('account_assignments')
        .select('id')
        .where('permission_set_id', '=', id)
        .executeTakeFirst()) ??
      (await trx
        .selectFrom('provisioned_roles')
        .select('account_id as id')
        .where('permission_set_id', '=', id)
        .executeTakeFirst());
    if (used) {
      throw new DomainError(
        'conflict',
        'The permission set is still provisioned to accounts; delete its account assignments first',
      );
    }
    await trx.deleteFrom('permission_sets').where('id', '=', id).execute();
    await writeAudit(
      trx,
      auditOf(who, now, 'permission_set.delete', 'PERMISSION_SET', id, { name: row.name }),
    );
  });
}

export async function listPermissionSetIds(
  ctx: AppContext,
  page: { after: string | undefined; limit: number },
): Promise<{ items: string[]; after: string | undefined }> {
  const rows = await ctx.store.db
    .selectFrom('permission_sets')
    .select('id')
    .$if(page.after !== undefined, (q) => q.where('id', '>', page.after ?? ''))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit).map((r) => r.id);
  return { items, after: rows.length > page.limit ? items.at(-1) : undefined };
}

async function attachedCount(trx: Kysely<Database>, id: string): Promise<number> {
  const [m, c] = await Promise.all([
    trx.selectFrom('ps_managed_policies').select('arn').where('permission_set_id', '=', id).execute(),
    trx.selectFrom('ps_customer_policies').select('name').where('permission_set_id', '=', id).execute(),
  ]);
  return m.length + c.length;
}

export async function attachManagedPolicy(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  arn: string,
): Promise<void> {
  await changePermissionSet(ctx, who, id, { attachManagedPolicy: arn }, async (trx) => {
    const existing = await trx
      .selectFrom('ps_managed_policies')
      .select('arn')
      .where('permission_set_id', '=', id)
      .where('arn', '=', arn)
      .executeTakeFirst();
    if (existing)
      throw new DomainError('conflict', `Managed policy ${arn} is already attached to the permission set`);
    if ((await attachedCount(trx, id)) >= MAX_ATTACHED_POLICIES) {
      throw new DomainError(
        'conflict',
        `A permission set takes at most ${MAX_ATTACHED_POLICIES} managed policies`,
        {
          reason: 'ServiceQuotaExceededException',
        },
      );
    }
    await trx.insertInto('ps_managed_policies').values({ permission_set_id: id, arn }).execute();
  });
}

export async function detachManagedPolicy(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  arn: string,
): Promise<void> {
  await changePermissionSet(ctx, who, id, { detachManagedPolicy: arn }, async (trx) => {
    const r = await trx
      .deleteFrom('ps_managed_policies')
      .where('permission_set_id', '=', id)
      .where('arn', '=', arn)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) {
      throw new DomainError('not_found', `Managed policy ${arn} is not attached to the permission set`);
    }
  });
}

export async function managedPolicies(ctx: AppContext, id: string): Promise<string[]> {
  await readPermissionSet(ctx.store.db, id);
  const rows = await ctx.store.db
    .selectFrom('ps_managed_policies')
    .select('arn')
    .where('permission_set_id', '=', id)
    .orderBy('arn')
    .execute();
  return rows.map((r) => r.arn);
}

export async function attachCustomerPolicy(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  ref: { name: string; path: string },
): Promise<void> {
  await changePermissionSet(ctx, who, id, { attachCustomerManagedPolicy: ref }, async (trx) => {
    const existing = await trx
      .selectFrom('ps_customer_policies')
      .select('name')
      .where('permission_set_id', '=', id)
      .where('name', '=', ref.name)
      .where('path', '=', ref.path)
      .executeTakeFirst();
    if (existing)
      throw new DomainError('conflict', `Customer managed policy ${ref.path}${ref.name} is already attached`);
    if ((await attachedCount(trx, id)) >= MAX_ATTACHED_POLICIES) {
      throw new DomainError(
        'conflict',
        `A permission set takes at most ${MAX_ATTACHED_POLICIES} managed policies`,
        {
          reason: 'ServiceQuotaExceededException',
        },
      );
    }
    await trx
      .insertInto('ps_customer_policies')
      .values({ permission_set_id: id, ...ref })
      .execute();
  });
}

export async function detachCustomerPolicy(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  ref: { name: string; path: string },
): Promise<void> {
  await changePermissionSet(ctx, who, id, { detachCustomerManagedPolicy: ref }, async (trx) => {
    const r = await trx
      .deleteFrom('ps_customer_policies')
      .where('permission_set_id', '=', id)
      .where('name', '=', ref.name)
      .where('path', '=', ref.path)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) {
      throw new DomainError('not_found', `Customer managed policy ${ref.path}${ref.name} is not attached`);
    }
  });
}

export async function customerPolicies(
  ctx: AppContext,
  id: string,
): Promise<Array<{ name: string; path: string }>> {
  await readPermissionSet(ctx.store.db, id);
  return ctx.store.db
    .selectFrom('ps_customer_policies')
    .select(['name', 'path'])
    .where('permission_set_id', '=', id)
    .orderBy('path')
    .orderBy('name')
    .execute();
}

/** Set (text) or remove (null) the inline policy or the permissions boundary (stored JSON). */
export async function setPolicyColumn(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  column: 'inline_policy' | 'permissions_boundary',
  value: string | null,
): Promise<void> {
  await changePermissionSet(ctx, who, id, { [column]: value === null ? 'removed' : 'set' }, async (trx) => {
    await trx
      .updateTable('permission_sets')
      .set({ [column]: value })
      .where('id', '=', id)
      .execute();
  });
}

/**
 * What is wrong with an inline policy, as one sentence naming every problem, or undefined when
 * IAM would accept it (`domain/identity/policy-document.ts`).
 */
export function inlinePolicyProblem(text: string): string | undefined {
  const problems = checkPolicyDocument(text);
  return problems.length === 0
    ? undefined
    : `The inline policy is not valid: ${problems.map((p) => p.message).join('; ')}`;
}

/** PutInlinePolicyToPermissionSet: a policy IAM would accept (`validation` otherwise, nothing changed). */
export async function putInlinePolicy(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  text: string,
): Promise<void> {
  const problem = inlinePolicyProblem(text);
  if (problem) throw new DomainError('validation', problem);
  await setPolicyColumn(ctx, who, id, 'inline_policy', text);
}

/**
 * PutPermissionsBoundaryToPermissionSet: exactly one of a managed policy ARN and a customer
 * managed policy reference (`validation` otherwise), stored as the wire's structure.
 */
export async function putPermissionsBoundary(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  boundary: {
    managedPolicyArn?: string | undefined;
    customerPolicy?: { name: string; path: string } | undefined;
  },
): Promise<void> {
  if ((boundary.managedPolicyArn === undefined) === (boundary.customerPolicy === undefined)) {
    throw new DomainError(
      'validation',
      'A permissions boundary is one managed policy ARN or one customer managed policy reference',
    );
  }
  const stored = boundary.managedPolicyArn
    ? { ManagedPolicyArn: boundary.managedPolicyArn }
    : {
        CustomerManagedPolicyReference: {
          Name: boundary.customerPolicy?.name,
          Path: boundary.customerPolicy?.path,
        },
      };
  await setPolicyColumn(ctx, who, id, 'permissions_boundary', JSON.stringify(stored));
}

/**
 * Throws `validation` (ValidationException; a 400 page in the console) unless every tag is one
 * AWS takes: a key of 1–128 and a value of 0–256 letters, digits, spaces and `_.:/=+-@`, the key
 * not starting with `aws:`. The one rule of CreatePermissionSet, TagResource and the console;
 * the organization file's (`checkTagKey`, `checkTagValue`) too. The count is `putTags`'s.
 */
export function checkTags(tags: ReadonlyArray<{ Key: string; Value: string }>): void {
  for (const t of tags) {
    const problem = checkTagKey(t.Key) ?? checkTagValue(t.Value);
    if (problem) throw new DomainError('validation', sentence(problem));
  }
}

/** As `checkTags`, for the keys UntagResource names (a reserved `aws:` key may be removed). */
export function checkTagKeys(keys: readonly string[]): void {
  for (const key of keys) {
    const problem = checkTagKeyText(key);
    if (problem) throw new DomainError('validation', sentence(problem));
  }
}

function sentence(problem: string): string {
  return `${problem.charAt(0).toUpperCase()}${problem.slice(1)}`;
}

async function putTags(
  trx: Kysely<Database>,
  id: string,
  tags: ReadonlyArray<{ Key: string; Value: string }>,
) {
  for (const t of tags) {
    await trx.deleteFrom('ps_tags').where('permission_set_id', '=', id).where('key', '=', t.Key).execute();
    await trx.insertInto('ps_tags').values({ permission_set_id: id, key: t.Key, value: t.Value }).execute();
  }
  const count = await trx.selectFrom('ps_tags').select('key').where('permission_set_id', '=', id).execute();
  if (count.length > MAX_TAGS) {
    throw new DomainError('conflict', `A permission set takes at most ${MAX_TAGS} tags`, {
      reason: 'ServiceQuotaExceededException',
    });
  }
}

export async function tagPermissionSet(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  tags: ReadonlyArray<{ Key: string; Value: string }>,
): Promise<void> {
  checkTags(tags);
  await changePermissionSet(
    ctx,
    who,
    id,
    { tagged: tags.map((t) => t.Key) },
    (trx) => putTags(trx, id, tags),
    false,
  );
}

export async function untagPermissionSet(
  ctx: AppContext,
  who: AdminWho,
  id: string,
  keys: readonly string[],
): Promise<void> {
  checkTagKeys(keys);
  await changePermissionSet(
    ctx,
    who,
    id,
    { untagged: keys },
    async (trx) => {
      await trx.deleteFrom('ps_tags').where('permission_set_id', '=', id).where('key', 'in', keys).execute();
    },
    false,
  );
}

export async function permissionSetTags(ctx: AppContext, id: string): Promise<Record<string, string>> {
  const rows = await ctx.store.db
    .selectFrom('ps_tags')
    .select(['key', 'value'])
    .where('permission_set_id', '=', id)
    .orderBy('key')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
