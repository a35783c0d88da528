/**
 * Apply step: store the instance's federation settings (SAML provider name, role name pattern
 * and path, default partition and region) when the plan changes them.
 */
import { saveFederationSettings } from '../../federation/stored-settings.ts';
import type { Plan } from '../plan.ts';
import type { ApplyTx } from './step.ts';

export async function writeFederationSettings(tx: ApplyTx, federation: Plan['federation']): Promise<void> {
  if (!federation) return;
  const { db, ev, now, state } = tx;
  await saveFederationSettings(db, federation.want, now);
  ev('federation.update', 'ORGANIZATION', state.instance.organization_id, { changes: federation.changes });
}
