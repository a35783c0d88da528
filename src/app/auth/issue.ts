/**
 * Turning an approved login (device grant or authorization code) into tokens, the same way for
 * both flows: a new token family bound to the portal session, so the family ends when the
 * session ends (refresh tokens live until the portal session ends: docs/behaviour.md,
 * "Lifetimes and limits"). Clients registered with scopes (sso-session configs)
 * get a refresh token and a 1 h access token; legacy clients (no scopes) get no refresh token and
 * an access token for the rest of the portal session, as AWS does.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../config/schema.ts';
import type { Database } from '../../storage/schema.ts';
import { type AuditAction, type AuditEvent, writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { issueTokenFamily } from './tokens.ts';

export interface AuthSettings {
  accessTokenTtlMs: number;
  sessionTtlMs: number;
  requireMfa: boolean;
}

export function authSettings(config: Config): AuthSettings {
  return {
    accessTokenTtlMs: config.accessTokenTtl * 1000,
    sessionTtlMs: config.portalSessionDuration * 1000,
    requireMfa: config.requireMfa,
  };
}

export interface RequestMeta {
  sourceIp?: string | null;
  requestId?: string | null;
}

/**
 * The audit row of a person's answer to an OIDC client's request (Allow or Deny on the PKCE or
 * the device consent page): the person, the client and what the flow adds.
 */
export function clientDecisionEvent(
  at: number,
  decision: { userId: string; action: AuditAction; clientId: string; detail: Record<string, unknown> },
  meta: RequestMeta,
): AuditEvent {
  return {
    at,
    actor: `user:${decision.userId}`,
    action: decision.action,
    targetType: 'OIDC_CLIENT',
    targetId: decision.clientId,
    detail: decision.detail,
    sourceIp: meta.sourceIp ?? null,
    requestId: meta.requestId ?? null,
  };
}

/** What CreateToken answers. */
export interface TokenResult {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken?: string;
}

export async function issueLoginTokens(
  ctx: AppContext,
  db: Kysely<Database>,
  input: {
    userId: string;
    clientId: string;
    sessionId: string;
    scopes: string[];
    sessionExpiresAt: number;
    /** `administrator`: made on the server host by `idcenter user sso-token` (admin-signin.ts). */
    grant: 'device_code' | 'authorization_code' | 'administrator';
    settings: AuthSettings;
    meta: RequestMeta;
    /** Who the audit row names; the user by default. */
    actor?: string;
  },
): Promise<TokenResult> {
  const now = ctx.clock.now();
  const withRefresh = input.scopes.length > 0;
  const issued = await issueTokenFamily(ctx, db, {
    userId: input.userId,
    clientId: input.clientId,
    sessionId: input.sessionId,
    scopes: input.scopes,
    familyExpiresAt: input.sessionExpiresAt,
    accessTtlMs: withRefresh ? input.settings.accessTokenTtlMs : input.sessionExpiresAt - now,
  });
  await writeAudit(db, {
    at: now,
    actor: input.actor ?? `user:${input.userId}`,
    action: 'token.issue',
    targetType: 'TOKEN_FAMILY',
    targetId: issued.familyId,
    detail: {
      clientId: input.clientId,
      grant: input.grant,
      sessionId: input.sessionId,
      refresh: withRefresh,
    },
    sourceIp: input.meta.sourceIp ?? null,
    requestId: input.meta.requestId ?? null,
  });
  return {
    accessToken: issued.accessToken,
    tokenType: 'Bearer',
    expiresIn: issued.expiresIn,
    ...(withRefresh ? { refreshToken: issued.refreshToken } : {}),
  };
}

/** The user is enabled and the portal session alive: the conditions for any token to be issued. */
export async function loginStillValid(
  db: Kysely<Database>,
  userId: string,
  sessionId: string,
  now: number,
): Promise<{ sessionExpiresAt: number } | null> {
  const row = await db
    .selectFrom('portal_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.expires_at', 's.revoked_at', 's.mfa_done', 'u.status'])
    .where('s.id', '=', sessionId)
    .where('s.user_id', '=', userId)
    .executeTakeFirst();
  if (
    !row ||
    row.revoked_at !== null ||
    row.expires_at <= now ||
    row.mfa_done !== 1 ||
    row.status !== 'ENABLED'
  )
    return null;
  return { sessionExpiresAt: row.expires_at };
}
