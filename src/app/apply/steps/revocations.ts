/**
 * Apply step: credentials already issued for access that was just lost stop verifying. The
 * revocations are queued in the transaction and written, stamped, when it ends (`revocation.ts`).
 * Returns how many it queued.
 */
import { accessSubject, recordRevocations } from '../../revocation.ts';
import type { Plan } from '../plan.ts';
import type { ApplyTx } from './step.ts';

export function revokeLostAccess(tx: ApplyTx, lostAccess: Plan['lostAccess']): number {
  const { db, state } = tx;
  const revocations = lostAccess.flatMap((l) => {
    const userId = state.users.get(l.userKey)?.id;
    const psId = state.permissionSets.get(l.permissionSet)?.id;
    return userId && psId
      ? [{ kind: 'access' as const, subject: accessSubject(userId, l.accountId, psId) }]
      : [];
  });
  recordRevocations(db, revocations);
  return revocations.length;
}
