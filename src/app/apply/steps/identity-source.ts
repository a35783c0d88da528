/**
 * Apply step: store the instance's identity source (`identitySource:`) when the plan changes it.
 * The next directory sync reads it; the bind password stays in the environment.
 */
import { saveIdentitySource } from '../../directory/settings.ts';
import type { Plan } from '../plan.ts';
import type { ApplyTx } from './step.ts';

export async function writeIdentitySource(tx: ApplyTx, change: Plan['identitySource']): Promise<void> {
  if (!change) return;
  const { db, ev, now, state } = tx;
  await saveIdentitySource(db, change.want, now);
  ev('identity_source.update', 'ORGANIZATION', state.instance.organization_id, {
    from: change.from,
    to: change.to,
  });
}
