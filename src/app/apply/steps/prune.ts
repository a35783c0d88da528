/**
 * Apply step, only with --prune: delete what the file no longer names, dependants first
 * (assignments, memberships, permission sets, users, groups, accounts, OUs). Deleted users'
 * sessions end; deleting the management account clears it unless the plan names another.
 */
import { revokeUserSessions } from '../../users.ts';
import type { Plan } from '../plan.ts';
import { deleteByIds } from './bulk.ts';
import type { ApplyTx } from './step.ts';

export async function prune(tx: ApplyTx, plan: Plan): Promise<void> {
  const { db, now, ev, state } = tx;
  const storedAssignments = new Map(state.assignments.map((a) => [a.id, a]));
  for (const a of plan.assignments.delete) {
    const row = a.id ? storedAssignments.get(a.id) : undefined;
    if (!row) continue;
    ev('assignment.delete', 'ASSIGNMENT', row.id, {
      accountId: row.account_id,
      permissionSetId: row.permission_set_id,
      principalType: row.principal_type,
      principalId: row.principal_id,
    });
  }
  await deleteByIds(
    db,
    'account_assignments',
    plan.assignments.delete.flatMap((a) => (a.id ? [a.id] : [])),
  );
  for (const m of plan.memberships.delete) if (m.id) ev('membership.delete', 'MEMBERSHIP', m.id);
  await deleteByIds(
    db,
    'group_memberships',
    plan.memberships.delete.flatMap((m) => (m.id ? [m.id] : [])),
  );
  for (const p of plan.permissionSets.delete)
    ev('permission_set.delete', 'PERMISSION_SET', p.id, { name: p.name });
  await deleteByIds(
    db,
    'permission_sets',
    plan.permissionSets.delete.map((p) => p.id),
  );
  for (const u of plan.users.delete) {
    await revokeUserSessions(db, u.id, now, 'user_deleted');
    ev('user.delete', 'USER', u.id, { userName: u.user_name });
  }
  await deleteByIds(
    db,
    'users',
    plan.users.delete.map((u) => u.id),
  );
  for (const g of plan.groups.delete) ev('group.delete', 'GROUP', g.id, { name: g.display_name });
  await deleteByIds(
    db,
    'groups',
    plan.groups.delete.map((g) => g.id),
  );
  for (const a of plan.accounts.delete) ev('account.delete', 'ACCOUNT', a.id, { name: a.name });
  await deleteByIds(
    db,
    'accounts',
    plan.accounts.delete.map((a) => a.id),
  );
  if (
    state.instance.management_account_id !== null &&
    plan.accounts.delete.some((a) => a.id === state.instance.management_account_id) &&
    !plan.managementAccount
  ) {
    await db
      .updateTable('instance')
      .set({ management_account_id: null })
      .where('id', '=', 'default')
      .execute();
    ev('organization.update', 'ORGANIZATION', state.instance.organization_id, {
      managementAccount: { from: state.instance.management_account_id, to: null },
    });
  }
  for (const o of plan.ous.delete) {
    ev('ou.delete', 'OU', o.id, { path: o.path });
    await db.deleteFrom('ous').where('id', '=', o.id).execute();
  }
}
