/**
 * A sign-in an administrator makes for a user on the server host, without a browser: for CI and
 * scripts that test SSO tooling (`idcenter user sso-token`). It is what a finished device-code
 * sign-in leaves behind (a registered public client, a portal session with MFA done, a token
 * family with an access and a refresh token) and ends the same ways (`sessions revoke`, the
 * session's expiry, disabling the user). It needs the store itself, so only whoever runs the
 * server can make one; no HTTP route offers it. Audited as `token.issue` with the grant
 * `administrator` and the administrator as actor.
 */
import { DomainError } from '../../domain/errors.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { findUserByName } from '../users.ts';
import { registerClient } from './clients.ts';
import { issueLoginTokens } from './issue.ts';
import { createSession } from './sessions.ts';

export interface AdminSignInInput {
  userName: string;
  /** The public origin the session is made for (that of the server's public URL). */
  origin: string;
  /** Scopes of the registration: with `sso:account:access` the token comes with a refresh token. */
  scopes: string[];
  clientName: string;
  accessTokenTtlMs: number;
  sessionTtlMs: number;
  /** Who asks, for the audit log (`cli:<login>`). */
  actor: string;
}

export interface AdminSignIn {
  userId: string;
  clientId: string;
  clientSecret: string;
  clientExpiresAt: number;
  sessionId: string;
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
  refreshToken?: string;
}

export async function issueAdminSignIn(ctx: AppContext, input: AdminSignInInput): Promise<AdminSignIn> {
  const user = await findUserByName(ctx.store, input.userName);
  if (!user) throw new DomainError('not_found', `no user named "${input.userName}"`);
  if (user.status !== 'ENABLED') {
    throw new DomainError(
      'validation',
      `the user ${user.user_name} is disabled; enable them first (idcenter user enable)`,
    );
  }
  const { client, clientSecret } = await registerClient(
    ctx,
    { clientName: input.clientName, clientType: 'public', scopes: input.scopes },
    () => false,
  );
  return ctx.store.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const session = await createSession(
      ctx,
      {
        userId: user.id,
        origin: input.origin,
        mfaDone: true,
        ttlMs: input.sessionTtlMs,
        userAgent: 'idcenter user sso-token',
      },
      trx,
    );
    const tokens = await issueLoginTokens(ctx, trx, {
      userId: user.id,
      clientId: client.id,
      sessionId: session.sessionId,
      scopes: input.scopes,
      sessionExpiresAt: session.expiresAt,
      grant: 'administrator',
      settings: {
        accessTokenTtlMs: input.accessTokenTtlMs,
        sessionTtlMs: input.sessionTtlMs,
        requireMfa: false,
      },
      meta: {},
      actor: input.actor,
    });
    await writeAudit(trx, {
      at: now,
      actor: input.actor,
      action: 'signin.success',
      targetType: 'USER',
      targetId: user.id,
      detail: { userName: user.user_name, sessionId: session.sessionId, method: 'administrator' },
    });
    return {
      userId: user.id,
      clientId: client.id,
      clientSecret,
      clientExpiresAt: client.expiresAt,
      sessionId: session.sessionId,
      accessToken: tokens.accessToken,
      expiresIn: tokens.expiresIn,
      ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    };
  });
}
