/**
 * Access a change took away (an admin call, a directory sync): for each (user, account,
 * permission set) a removed membership, group or assignment granted, whether the user still
 * reaches it another way (a direct assignment or another group), by the rule vending uses
 * (`accessPairsOf`, `access.ts`); where not, an `access` revocation, written stamped when the
 * transaction ends (`revocation.ts`), stops the role credentials already issued for it. Run it
 * after every write of the transaction, so access regained in the same change is kept.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.ts';
import { accessPairsOf } from './access.ts';
import { accessSubject, recordRevocations } from './revocation.ts';

export interface Reach {
  userId: string;
  accountId: string;
  permissionSetId: string;
}

/** Queue `access` revocations for the candidates the user no longer reaches; returns how many. */
export async function revokeUnreachable(db: Kysely<Database>, candidates: readonly Reach[]): Promise<number> {
  const byUser = new Map<string, Map<string, Reach>>();
  for (const c of candidates) {
    let pairs = byUser.get(c.userId);
    if (!pairs) {
      pairs = new Map();
      byUser.set(c.userId, pairs);
    }
    pairs.set(`${c.accountId}|${c.permissionSetId}`, c);
  }
  const lost: Reach[] = [];
  // One read per user, whatever the number of pairs in question (of one account when they are).
  for (const [userId, pairs] of byUser) {
    const accounts = new Set([...pairs.values()].map((c) => c.accountId));
    const still = await accessPairsOf(db, userId, accounts.size === 1 ? [...accounts][0] : undefined);
    for (const [pair, c] of pairs) if (!still.has(pair)) lost.push(c);
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
