/**
 * GetRoleCredentials — `GET /federation/credentials?role_name=&account_id=`: short-lived
 * credentials for one account and permission set (`app/credentials/vend.ts`). No access →
 * 403 ForbiddenException "No access", nothing minted.
 */
import type { ResolvedAccessToken } from '../../app/auth/tokens.ts';
import { vendRoleCredentials } from '../../app/credentials/vend.ts';
import type { ServerDeps } from '../../http/deps.ts';
import { invalidRequest } from './errors.ts';
import { accountIdParam } from './list-account-roles.ts';
import { queryParam } from './pagination.ts';

export async function getRoleCredentials(
  deps: ServerDeps,
  who: ResolvedAccessToken,
  query: unknown,
  sourceIp: string,
) {
  const roleName = queryParam(query, 'role_name');
  if (roleName === undefined || roleName === '') throw invalidRequest('role_name is required');
  if (roleName.length > 32 || !/^[\w+=,.@-]+$/.test(roleName)) {
    throw invalidRequest('role_name must be a permission-set name (1-32 characters of [\\w+=,.@-])');
  }
  const accountId = accountIdParam(query);
  const c = await vendRoleCredentials(deps, {
    userId: who.userId,
    userName: who.userName,
    accountId,
    roleName,
    sessionId: who.sessionId,
    familyId: who.familyId,
    sourceIp,
    channel: 'sso-api',
  });
  return {
    roleCredentials: {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      expiration: c.expiration,
    },
  };
}
