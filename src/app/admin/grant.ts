/**
 * The first administrator, made on the server host (`idcenter admin grant`): the named
 * permission set becomes one of the administrators' (its role credentials may call the admin
 * APIs, which its policies then decide) and the user is assigned it in the account, in one
 * transaction with its audit rows. Nothing is made up: the user, the account and the permission
 * set must exist (the organization file or `idcenter apply` makes them).
 */
import { DomainError } from '../../domain/errors.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { type AssignmentKey, assignmentIdOf, insertAssignment } from './assignments.ts';

export interface GrantInput {
  userName: string;
  accountId: string;
  permissionSet: string;
  actor: string;
}

export interface GrantResult {
  /** False when the permission set was already the administrators'. */
  markedAdministrators: boolean;
  /** False when the user already had the assignment. */
  assigned: boolean;
}

export async function grantAdministrator(ctx: AppContext, input: GrantInput): Promise<GrantResult> {
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'user_name'])
      .where('user_name_lower', '=', input.userName.toLowerCase())
      .executeTakeFirst();
    if (!user) throw new DomainError('not_found', `no user named "${input.userName}"`);
    const account = await trx
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', input.accountId)
      .executeTakeFirst();
    if (!account) throw new DomainError('not_found', `no account ${input.accountId}`);
    const ps = await trx
      .selectFrom('permission_sets')
      .select(['id', 'name', 'administrators'])
      .where('name_lower', '=', input.permissionSet.toLowerCase())
      .executeTakeFirst();
    if (!ps) throw new DomainError('not_found', `no permission set named "${input.permissionSet}"`);
    const markedAdministrators = ps.administrators !== 1;
    if (markedAdministrators) {
      await trx.updateTable('permission_sets').set({ administrators: 1 }).where('id', '=', ps.id).execute();
      await writeAudit(trx, {
        at: now,
        actor: input.actor,
        action: 'permission_set.update',
        targetType: 'PERMISSION_SET',
        targetId: ps.id,
        detail: { administrators: true },
      });
    }
    const key: AssignmentKey = {
      accountId: account.id,
      permissionSetId: ps.id,
      principalType: 'USER',
      principalId: user.id,
    };
    const existing = await assignmentIdOf(trx, key);
    if (existing === undefined) {
      const id = await insertAssignment(trx, ctx.random, now, input.actor, key);
      await writeAudit(trx, {
        at: now,
        actor: input.actor,
        action: 'assignment.create',
        targetType: 'ASSIGNMENT',
        targetId: id,
        detail: { ...key },
      });
    }
    return { markedAdministrators, assigned: existing === undefined };
  });
}
