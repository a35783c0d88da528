/**
 * Apply step: create and update the groups of the plan, and note the ids of the new ones for
 * the memberships and assignments that name them. Deleting groups is part of `prune.ts`.
 */
import { newDirectoryId } from '../../../domain/ids.ts';
import type { Plan } from '../plan.ts';
import { insertChunked, updateByIds } from './bulk.ts';
import type { ApplyTx } from './step.ts';

export async function writeGroups(tx: ApplyTx, groups: Plan['groups']): Promise<void> {
  const { db, dialect, now, random, actor, progress, ev, groupIds, state } = tx;
  const { identity_store_id: storeId } = state.instance;
  await insertChunked(
    db,
    dialect,
    'groups',
    groups.create.map((g) => {
      const id = newDirectoryId(random, storeId);
      groupIds.set(g.key, id);
      ev('group.create', 'GROUP', id, { name: g.name });
      return {
        id,
        display_name: g.name,
        display_name_lower: g.key,
        description: g.description,
        external_id: null,
        created_at: now,
        updated_at: now,
        created_by: actor,
        updated_by: actor,
      };
    }),
    progress,
    'groups',
  );
  await updateByIds(
    db,
    dialect,
    'groups',
    groups.update.map((u) => {
      ev('group.update', 'GROUP', u.stored.id, { changes: u.changes });
      return {
        id: u.stored.id,
        set: {
          display_name: u.want.name,
          description: u.want.description,
          updated_at: now,
          updated_by: actor,
        },
      };
    }),
    progress,
    'group updates',
  );
}
