/**
 * Apply step: create the OUs of the plan, parents first (the plan keeps the file's depth order).
 * Deleting OUs is part of `prune.ts`.
 */
import { ouName, ouParent } from '../../../domain/identity/organization.ts';
import { newOuId } from '../../../domain/ids.ts';
import type { Plan } from '../plan.ts';
import { insertChunked } from './bulk.ts';
import type { ApplyTx } from './step.ts';

export async function createOus(tx: ApplyTx, ous: Plan['ous']): Promise<void> {
  const { db, dialect, now, random, progress, ev, ouIds, state } = tx;
  const { root_id: rootId } = state.instance;
  const ouRows = ous.create.map((path) => {
    const id = newOuId(random, rootId);
    const parent = ouParent(path);
    const row = {
      id,
      parent_id: parent === '/' ? rootId : (ouIds.get(parent) ?? rootId),
      name: ouName(path),
      path,
      created_at: now,
    };
    ouIds.set(path, id);
    ev('ou.create', 'OU', id, { path });
    return row;
  });
  await insertChunked(db, dialect, 'ous', ouRows, progress, 'OUs');
}
