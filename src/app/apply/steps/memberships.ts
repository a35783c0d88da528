/**
 * Apply step: create the group memberships of the plan. Deleting memberships is part of
 * `prune.ts`.
 */
import { newDirectoryId } from '../../../domain/ids.ts';
import type { Plan } from '../plan.ts';
import { insertChunked } from './bulk.ts';
import { type ApplyTx, mustGet } from './step.ts';

export async function createMemberships(tx: ApplyTx, memberships: Plan['memberships']): Promise<void> {
  const { db, dialect, now, random, actor, progress, ev, groupIds, userIds, state } = tx;
  const { identity_store_id: storeId } = state.instance;
  await insertChunked(
    db,
    dialect,
    'group_memberships',
    memberships.create.map((m) => {
      const id = newDirectoryId(random, storeId);
      const groupId = mustGet(groupIds, m.groupKey, 'group');
      const userId = mustGet(userIds, m.userKey, 'user');
      ev('membership.create', 'MEMBERSHIP', id, { groupId, userId });
      return { id, group_id: groupId, user_id: userId, created_at: now, created_by: actor };
    }),
    progress,
    'memberships',
  );
}
