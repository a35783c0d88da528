/**
 * Apply step: provision one role per (account, permission set) that gains an assignment, and,
 * with --prune, remove the roles of pairs that lost their last one.
 */
import { newRoleHash, newRoleId } from '../../../domain/ids.ts';
import type { Plan } from '../plan.ts';
import { insertChunked } from './bulk.ts';
import { type ApplyTx, mustGet } from './step.ts';

export async function writeProvisionedRoles(
  tx: ApplyTx,
  provision: Plan['provision'],
  prune: boolean,
): Promise<void> {
  const { db, dialect, now, random, progress, psIds, psVersions } = tx;
  await insertChunked(
    db,
    dialect,
    'provisioned_roles',
    provision.create.map((p) => ({
      account_id: p.accountId,
      permission_set_id: mustGet(psIds, p.permissionSet, 'permission set'),
      role_hash: newRoleHash(random),
      role_id: newRoleId(random),
      provisioned_version: psVersions.get(p.permissionSet) ?? 1,
      created_at: now,
    })),
    progress,
    'provisioned roles',
  );
  if (prune) {
    for (const p of provision.delete) {
      await db
        .deleteFrom('provisioned_roles')
        .where('account_id', '=', p.accountId)
        .where('permission_set_id', '=', p.permissionSetId)
        .execute();
    }
  }
}
