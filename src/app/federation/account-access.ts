/**
 * How an account is reached, as the store has it: locally (`local`) or through AWS federation
 * (`aws`, with its partition and protocol). A server keeps the answers while the store
 * generation stands still (its context's `memory.accountAccess`; changing an account's access
 * raises it).
 */
import type { Partition } from '../../domain/federation/partitions.ts';
import { type AccountAccess, isFederationProtocol } from '../../domain/federation/settings.ts';
import type { AppContext } from '../context.ts';

export type { AccountAccess };

/** The account's access as the store has it (any mode), or undefined when there is no such account. */
export async function accountAccess(
  ctx: AppContext,
  generation: number,
  accountId: string,
): Promise<AccountAccess | undefined> {
  const cache = ctx.memory.accountAccess;
  let found = cache.get(generation, accountId);
  if (!found) {
    const row = await ctx.store.db
      .selectFrom('accounts')
      .select(['access', 'partition', 'federation'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!row) return undefined;
    found = {
      access: row.access,
      partition: row.partition as Partition | null,
      federation: isFederationProtocol(row.federation) ? row.federation : 'saml',
    };
    cache.set(generation, accountId, found);
  }
  return found;
}
