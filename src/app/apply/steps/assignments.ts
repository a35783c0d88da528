/**
 * Apply step: create the account assignments of the plan. Deleting assignments is part of
 * `prune.ts`; the roles they need are `provisioned-roles.ts`.
 */
import { uuid } from '../../../domain/ids.ts';
import type { Plan } from '../plan.ts';
import { insertChunked } from './bulk.ts';
import { type ApplyTx, mustGet } from './step.ts';

export async function createAssignments(tx: ApplyTx, assignments: Plan['assignments']): Promise<void> {
  const { db, dialect, now, random, actor, progress, ev, groupIds, userIds, psIds } = tx;
  await insertChunked(
    db,
    dialect,
    'account_assignments',
    assignments.create.map((a) => {
      const id = uuid(random);
      const principalId = mustGet(
        a.principalType === 'USER' ? userIds : groupIds,
        a.principal,
        a.principalType,
      );
      const permissionSetId = mustGet(psIds, a.permissionSet, 'permission set');
      ev('assignment.create', 'ASSIGNMENT', id, {
        accountId: a.accountId,
        permissionSetId,
        principalType: a.principalType,
        principalId,
      });
      return {
        id,
        account_id: a.accountId,
        permission_set_id: permissionSetId,
        principal_type: a.principalType,
        principal_id: principalId,
        created_at: now,
        created_by: actor,
      };
    }),
    progress,
    'assignments',
  );
}
