/**
 * idcenter extension: discovery — `GET /idcenter/v1/access` with the same bearer header as the
 * portal API. One response lists every account the user may use with its roles, so a client
 * needs one call instead of ListAccounts + ListAccountRoles per account (which AWS throttles).
 * The body is deterministic (accounts by id, roles by name); its SHA-256 is the strong ETag,
 * and `If-None-Match` with that ETag answers 304 without a body. Not throttled. A federated
 * account says `"access":"aws"` (its credentials are real AWS ones, for AWS's STS).
 */
import { createHash } from 'node:crypto';
import { listAllAccess } from '../../app/access.ts';
import type { AppContext } from '../../app/context.ts';

export const DISCOVERY_PATH = '/idcenter/v1/access';

export async function discoverAccess(
  ctx: AppContext,
  userId: string,
): Promise<{ body: string; etag: string }> {
  const rows = await listAllAccess(ctx.store, userId);
  const body = JSON.stringify({
    accountList: rows.map((a) => ({
      accountId: a.accountId,
      accountName: a.accountName,
      emailAddress: a.emailAddress,
      roleList: a.roles.map((roleName) => ({ roleName })),
      ...(a.access ? { access: a.access } : {}),
    })),
  });
  const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
  return { body, etag };
}

/** Whether an If-None-Match header names this ETag (list, weak prefix and `*` allowed). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
