/**
 * The single Identity Center instance of this server: its identifiers are made once, on first
 * start, and kept in the store so every replica reports the same ones.
 */

import type { Kysely } from 'kysely';
import { newIdentityStoreId, newInstanceId, newOrganizationId, newRootId } from '../domain/ids.ts';
import { preparedRead } from '../storage/prepared.ts';
import type { Database, InstanceTable } from '../storage/schema.ts';
import type { AppContext } from './context.ts';

export type Instance = InstanceTable;

const instanceRow = preparedRead([] as const, (db) =>
  db.selectFrom('instance').selectAll().where('id', '=', 'default'),
);

/**
 * The instance for a hot path (every admin API call): a prepared read on the read connection,
 * creating the instance only when there is none yet. With `generation` (the store generation
 * the caller has just read), the row read is kept while it stands still (`memory.instance`):
 * the only column that ever changes, the management account, raises it (migration 025).
 */
export async function readInstance(ctx: AppContext, generation?: number): Promise<Instance> {
  if (generation !== undefined) {
    const kept = ctx.memory.instance.get(generation, 'default');
    if (kept) return kept;
  }
  const [row] = await instanceRow(ctx.store, {});
  const instance = row ?? (await ensureInstance(ctx));
  if (generation !== undefined) ctx.memory.instance.set(generation, 'default', instance);
  return instance;
}

/** Read the instance, creating it on first use. */
export async function ensureInstance(ctx: AppContext): Promise<Instance> {
  const existing = await ctx.store.db
    .selectFrom('instance')
    .selectAll()
    .where('id', '=', 'default')
    .executeTakeFirst();
  if (existing) return existing;
  const row: Instance = {
    id: 'default',
    instance_id: newInstanceId(ctx.random),
    identity_store_id: newIdentityStoreId(ctx.random),
    organization_id: newOrganizationId(ctx.random),
    root_id: newRootId(ctx.random),
    management_account_id: null,
    generation: 0,
    created_at: ctx.clock.now(),
  };
  // Two replicas may race on first start: the loser reads the winner's row.
  await ctx.store.db
    .insertInto('instance')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return await ctx.store.db
    .selectFrom('instance')
    .selectAll()
    .where('id', '=', 'default')
    .executeTakeFirstOrThrow();
}

/** Mark that directory/organization/access data changed (ETags and caches key on this). */
export async function bumpGeneration(db: Kysely<Database>): Promise<void> {
  await db
    .updateTable('instance')
    .set((eb) => ({ generation: eb('generation', '+', 1) }))
    .where('id', '=', 'default')
    .execute();
}

export async function currentGeneration(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('instance')
    .select('generation')
    .where('id', '=', 'default')
    .executeTakeFirst();
  return row?.generation ?? 0;
}

export function instanceArn(instance: Instance): string {
  return `arn:aws:sso:::instance/${instance.instance_id}`;
}

export function permissionSetArn(instance: Instance, permissionSetId: string): string {
  return `arn:aws:sso:::permissionSet/${instance.instance_id}/${permissionSetId}`;
}
