/**
 * Apply step: set the organization's management account when the plan changes it.
 */
import type { Plan } from '../plan.ts';
import type { ApplyTx } from './step.ts';

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
