/** ListAccounts — `GET /assignment/accounts`: the accounts the token's user may use, by id. */
import { listAccessibleAccounts } from '../../app/access.ts';
import type { AppContext } from '../../app/context.ts';
import { decodeCursor, encodeCursor, pageSize } from './pagination.ts';

export async function listAccounts(ctx: AppContext, userId: string, query: unknown) {
  const limit = pageSize(query);
  const after = decodeCursor(query, 'accounts', /^\d{12}$/);
  const rows = await listAccessibleAccounts(ctx.store, userId, { after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    accountList: page.map((a) => ({
      accountId: a.accountId,
      accountName: a.accountName,
      emailAddress: a.emailAddress,
    })),
    ...(rows.length > limit && last ? { nextToken: encodeCursor('accounts', last.accountId) } : {}),
  };
}
