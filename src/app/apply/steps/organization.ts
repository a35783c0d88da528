/**
 * Apply step: set the organization's management account when the plan changes it.
 */
import type { Plan } from '../plan.ts';
import type { ApplyTx } from './step.ts';

/**
 * Mark the permission sets whose role credentials may call the admin APIs, and unmark the ones
 * the file no longer names (`administrators:`); after `writePermissionSets`, so new ones exist.
 */
export async function setAdministrators(tx: ApplyTx, administrators: Plan['administrators']): Promise<void> {
  const { db, ev, state, psIds } = tx;
  for (const [keys, flag] of [
    [administrators.grant, 1],
    [administrators.revoke, 0],
  ] as const) {
    for (const key of keys) {
      const id = psIds.get(key) ?? state.permissionSets.get(key)?.id;
      if (!id) continue;
      await db.updateTable('permission_sets').set({ administrators: flag }).where('id', '=', id).execute();
      ev('permission_set.update', 'PERMISSION_SET', id, { administrators: flag === 1 });
    }
  }
}

export async function setManagementAccount(
  tx: ApplyTx,
  managementAccount: Plan['managementAccount'],
): Promise<void> {
  const { db, ev, state } = tx;
  if (managementAccount) {
    await db
      .updateTable('instance')
      .set({ management_account_id: managementAccount.to })
      .where('id', '=', 'default')
      .execute();
    ev('organization.update', 'ORGANIZATION', state.instance.organization_id, {
      managementAccount,
    });
  }
}
