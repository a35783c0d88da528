/**
 * GetRoleCredentials — `GET /federation/credentials?role_name=&account_id=`: short-lived
 * credentials for one account and permission set (`app/credentials/vend.ts`). No access →
 * 403 ForbiddenException "No access", nothing minted. `answerGetRoleCredentials` is the whole
 * operation, whichever way the request came in (the Fastify route or the server's fast path).
 */
import type { ResolvedAccessToken } from '../../app/auth/resolved-token.ts';
import { vendRoleCredentials } from '../../app/credentials/vend.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import type { ErrorLog } from '../wire-error.ts';
import { authenticateBearer } from './auth.ts';
import { invalidRequest, portalError, portalErrorAnswer } from './errors.ts';
import { accountIdParam } from './list-account-roles.ts';
import { queryParam } from './pagination.ts';

export async function getRoleCredentials(
  deps: ServerDeps,
  who: ResolvedAccessToken,
  query: unknown,
  sourceIp: string,
  receivedAt?: number,
  since?: number,
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
    ...(receivedAt === undefined ? {} : { receivedAt }),
    ...(since === undefined ? {} : { since }),
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

/** What the operation needs of a request. */
export interface PortalCall {
  /** The `x-amz-sso_bearer_token` header as received. */
  bearer: unknown;
  /** Parsed query string (repeated names as arrays). */
  query: unknown;
  ip: string;
  log: ErrorLog;
  /** When the request arrived (`performance.now()`), see `Store.generation`. */
  receivedAt?: number;
}

/** A whole answer; the transport adds `x-amzn-RequestId` and `content-type: application/json`. */
export interface PortalAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Authenticate, vend, and answer the JSON result or the portal error (never throws). */
export async function answerGetRoleCredentials(deps: ServerDeps, call: PortalCall): Promise<PortalAnswer> {
  try {
    // Read before the token is checked: vending confirms nothing ended since (`vend.ts`).
    const since = await deps.ctx.store.generation(call.receivedAt);
    const who = await authenticateBearer(deps.ctx, call.bearer, call.receivedAt);
    const result = await getRoleCredentials(deps, who, call.query, call.ip, call.receivedAt, since);
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: JSON.stringify(result) };
  } catch (err) {
    const f = portalError(err, call.log, 'GetRoleCredentials');
    return { status: f.status, ...portalErrorAnswer(f) };
  }
}
