/**
 * Apply step: credentials already issued for access that was just lost stop verifying. Returns
 * how many revocations it recorded.
 */
import { accessSubject, recordRevocations } from '../../revocation.ts';
import type { Plan } from '../plan.ts';
import type { ApplyTx } from './step.ts';

export async function revokeLostAccess(tx: ApplyTx, lostAccess: Plan['lostAccess']): Promise<number> {
  const { db, now, state } = tx;
  const revocations = lostAccess.flatMap((l) => {
    const userId = state.users.get(l.userKey)?.id;
    const psId = state.permissionSets.get(l.permissionSet)?.id;
    return userId && psId
      ? [{ kind: 'access' as const, subject: accessSubject(userId, l.accountId, psId) }]
      : [];
  });
  await recordRevocations(db, now, revocations);
  return revocations.length;
}
