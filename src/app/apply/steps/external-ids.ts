/**
 * Apply step: the external ids of the users and groups the plan creates or whose external ids
 * change. Written after the deletions of --prune, so that an external id a pruned user or group
 * held can go to another; the rows of every owner that changes are deleted before any is
 * inserted, so that two entries of the file may trade theirs.
 */

import { sameExternalIds } from '../../org-file/user-profile.ts';
import type { Plan } from '../plan.ts';
import { insertChunked } from './bulk.ts';
import { type ApplyTx, mustGet } from './step.ts';

export async function writeExternalIds(tx: ApplyTx, plan: Plan): Promise<void> {
  const { db, dialect, progress, userIds, groupIds } = tx;
  const users = [
    ...plan.users.create.filter((u) => u.externalIds.length > 0).map((u) => ({ want: u, changed: false })),
    ...plan.users.update.filter((u) => u.externalIdsChanged).map((u) => ({ want: u.want, changed: true })),
  ];
  const groups = [
    ...plan.groups.create.filter((g) => g.externalIds.length > 0).map((g) => ({ want: g, changed: false })),
    ...plan.groups.update
      .filter((g) => !sameExternalIds(g.stored.externalIds, g.want.externalIds))
      .map((g) => ({ want: g.want, changed: true })),
  ];
  if (users.length + groups.length === 0) return;
  const userOwners = users.map((u) => ({ id: mustGet(userIds, u.want.key, 'user'), ...u }));
  const groupOwners = groups.map((g) => ({ id: mustGet(groupIds, g.want.key, 'group'), ...g }));
  const changedUsers = userOwners.filter((u) => u.changed).map((u) => u.id);
  for (let i = 0; i < changedUsers.length; i += 1000)
    await db
      .deleteFrom('user_external_ids')
      .where('user_id', 'in', changedUsers.slice(i, i + 1000))
      .execute();
  const changedGroups = groupOwners.filter((g) => g.changed).map((g) => g.id);
  for (let i = 0; i < changedGroups.length; i += 1000)
    await db
      .deleteFrom('group_external_ids')
      .where('group_id', 'in', changedGroups.slice(i, i + 1000))
      .execute();
  await insertChunked(
    db,
    dialect,
    'user_external_ids',
    userOwners.flatMap((u) =>
      u.want.externalIds.map((e, position) => ({
        user_id: u.id,
        issuer: e.issuer,
        external_id: e.id,
        position,
      })),
    ),
    progress,
    'user external ids',
  );
  await insertChunked(
    db,
    dialect,
    'group_external_ids',
    groupOwners.flatMap((g) =>
      g.want.externalIds.map((e, position) => ({
        group_id: g.id,
        issuer: e.issuer,
        external_id: e.id,
        position,
      })),
    ),
    progress,
    'group external ids',
  );
}
