/**
 * Access an admin change took away: for each (user, account, permission set) a removed
 * membership or assignment granted, whether the user still reaches it another way (a direct
 * assignment or another group); where not, an `access` revocation, written stamped when the
 * transaction ends (`revocation.ts`), stops the role credentials already issued for it.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.ts';
import { accessSubject, recordRevocations } from '../revocation.ts';

export interface Reach {
  userId: string;
  accountId: string;
  permissionSetId: string;
}

export async function revokeUnreachable(db: Kysely<Database>, candidates: readonly Reach[]): Promise<number> {
  const lost: Reach[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    const key = accessSubject(c.userId, c.accountId, c.permissionSetId);
    if (seen.has(key)) continue;
    seen.add(key);
    const still = await db
      .selectFrom('account_assignments as a')
      .select('a.id')
      .where('a.account_id', '=', c.accountId)
      .where('a.permission_set_id', '=', c.permissionSetId)
      .where((eb) =>
        eb.or([
          eb.and([eb('a.principal_type', '=', 'USER'), eb('a.principal_id', '=', c.userId)]),
          eb.and([
            eb('a.principal_type', '=', 'GROUP'),
            eb(
              'a.principal_id',
              'in',
              eb.selectFrom('group_memberships').select('group_id').where('user_id', '=', c.userId),
            ),
          ]),
        ]),
      )
      .executeTakeFirst();
    if (!still) lost.push(c);
  }
  recordRevocations(
    db,
    lost.map((l) => ({
      kind: 'access' as const,
      subject: accessSubject(l.userId, l.accountId, l.permissionSetId),
    })),
  );
  return lost.length;
}
