/**
 * ListAccountRoles — `GET /assignment/roles?account_id=`: the permission sets the token's user
 * may use in one account, by name. An account without access answers an empty list.
 */
import { listAccessibleRoles } from '../../app/access.ts';
import type { AppContext } from '../../app/context.ts';
import { invalidRequest } from './errors.ts';
import { decodeCursor, encodeCursor, pageSize, queryParam } from './pagination.ts';

export function accountIdParam(query: unknown): string {
  const id = queryParam(query, 'account_id');
  if (id === undefined || id === '') throw invalidRequest('account_id is required');
  if (!/^\d{12}$/.test(id)) throw invalidRequest('account_id must be a 12-digit AWS account id');
  return id;
}

export async function listAccountRoles(ctx: AppContext, userId: string, query: unknown) {
  const accountId = accountIdParam(query);
  const limit = pageSize(query);
  const after = decodeCursor(query, `roles:${accountId}`, /^[\w+=,.@-]{1,32}$/);
  const rows = await listAccessibleRoles(ctx.store, userId, accountId, { after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    roleList: page.map((r) => ({ roleName: r.roleName, accountId: r.accountId })),
    ...(rows.length > limit && last ? { nextToken: encodeCursor(`roles:${accountId}`, last.roleName) } : {}),
  };
}
