/**
 * Authorization codes for the PKCE flow (RFC 6749 §4.1 + RFC 7636). A code is single-use, lives
 * 60 s, and is bound to the client, the exact redirect URI (with port), the S256 challenge, the
 * user and the portal session. Redemption first spends the code (a conditional update committed
 * on its own), then checks everything: a wrong verifier or redirect URI costs the code.
 */

import { AUTH_CODE_TTL_MS, GRANT_AUTHORIZATION_CODE } from '../../domain/auth/oauth.ts';
import { verifyS256 } from '../../domain/auth/pkce.ts';
import { DomainError } from '../../domain/errors.ts';
import { opaqueToken } from '../../domain/ids.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import type { OidcClient } from './client-cache.ts';
import {
  type AuthSettings,
  clientDecisionEvent,
  issueLoginTokens,
  loginStillValid,
  type RequestMeta,
  type TokenResult,
} from './issue.ts';
import { hashToken } from './tokens.ts';

export async function createAuthCode(
  ctx: AppContext,
  input: {
    clientId: string;
    userId: string;
    sessionId: string;
    redirectUri: string;
    codeChallenge: string;
    scopes: string[];
  },
  meta: RequestMeta,
): Promise<string> {
  const now = ctx.clock.now();
  const code = opaqueToken(ctx.random, 32);
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('auth_codes')
      .values({
        code_hash: hashToken(code),
        client_id: input.clientId,
        user_id: input.userId,
        session_id: input.sessionId,
        redirect_uri: input.redirectUri,
        code_challenge: input.codeChallenge,
        scopes: JSON.stringify(input.scopes),
        created_at: now,
        expires_at: now + AUTH_CODE_TTL_MS,
        redeemed_at: null,
      })
      .execute();
    await writeAudit(
      trx,
      clientDecisionEvent(
        now,
        {
          userId: input.userId,
          action: 'pkce.approve',
          clientId: input.clientId,
          detail: { sessionId: input.sessionId, redirectUri: input.redirectUri },
        },
        meta,
      ),
    );
  });
  return code;
}

/** The person refused a client's authorization request: only the audit row records it. */
export async function denyAuthorization(
  ctx: AppContext,
  input: { clientId: string; userId: string; sessionId: string },
  meta: RequestMeta,
): Promise<void> {
  await writeAudit(
    ctx.store.db,
    clientDecisionEvent(
      ctx.clock.now(),
      {
        userId: input.userId,
        action: 'pkce.deny',
        clientId: input.clientId,
        detail: { sessionId: input.sessionId },
      },
      meta,
    ),
  );
}

/** CreateToken with the authorization_code grant. */
export async function redeemAuthCode(
  ctx: AppContext,
  client: OidcClient,
  input: { code: string; redirectUri: string | undefined; codeVerifier: string | undefined },
  settings: AuthSettings,
  meta: RequestMeta,
): Promise<TokenResult> {
  if (!client.grantTypes.includes(GRANT_AUTHORIZATION_CODE)) {
    throw new DomainError(
      'unauthorized_client',
      'This client is not registered for the authorization_code grant',
    );
  }
  if (input.code.length > 256) throw new DomainError('invalid_grant', 'Invalid authorization code');
  const now = ctx.clock.now();
  const codeHash = hashToken(input.code);
  // Spend the code first, in its own transaction: whatever is wrong below, it is gone.
  const spent = await ctx.store.db
    .updateTable('auth_codes')
    .set({ redeemed_at: now })
    .where('code_hash', '=', codeHash)
    .where('redeemed_at', 'is', null)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) {
    throw new DomainError('invalid_grant', 'Invalid authorization code: unknown or already used');
  }
  const row = await ctx.store.db
    .selectFrom('auth_codes')
    .selectAll()
    .where('code_hash', '=', codeHash)
    .executeTakeFirstOrThrow();
  if (row.client_id !== client.id) throw new DomainError('invalid_grant', 'Invalid authorization code');
  if (row.expires_at <= now) throw new DomainError('invalid_grant', 'The authorization code has expired');
  if (input.redirectUri !== row.redirect_uri) {
    throw new DomainError('invalid_grant', 'redirectUri does not match the one used to obtain the code');
  }
  if (!verifyS256(input.codeVerifier, row.code_challenge)) {
    throw new DomainError('invalid_grant', 'codeVerifier does not match the code challenge');
  }
  return ctx.store.db.transaction().execute(async (trx) => {
    const live = await loginStillValid(trx, row.user_id, row.session_id, now);
    if (!live) throw new DomainError('invalid_grant', 'The sign-in that approved this code has ended');
    let scopes: string[] = [];
    try {
      const parsed = JSON.parse(row.scopes) as unknown;
      if (Array.isArray(parsed)) scopes = parsed.filter((s): s is string => typeof s === 'string');
    } catch {
      scopes = [];
    }
    return issueLoginTokens(ctx, trx, {
      userId: row.user_id,
      clientId: client.id,
      sessionId: row.session_id,
      scopes,
      sessionExpiresAt: live.sessionExpiresAt,
      grant: 'authorization_code',
      settings,
      meta,
    });
  });
}
