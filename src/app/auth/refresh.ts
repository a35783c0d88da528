/**
 * The refresh_token grant with rotation and reuse detection (RFC 9700 §4.14.2): every use
 * returns a new refresh token and spends the old one by a conditional update
 * (`used_at IS NULL`). Presenting a spent token again within 30 s (two processes refreshing the
 * same cache at once) is refused quietly; later, it means the token was copied, and the whole
 * family (every access and refresh token of that login) is revoked.
 */

import { GRANT_REFRESH_TOKEN, REFRESH_REUSE_GRACE_MS } from '../../domain/auth/oauth.ts';
import { DomainError } from '../../domain/errors.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { recordRevocations, revokingTransaction } from '../revocation.ts';
import type { OidcClient } from './client-cache.ts';
import type { AuthSettings, RequestMeta, TokenResult } from './issue.ts';
import { hashToken, issueInFamily, revokeFamily } from './tokens.ts';

export async function refreshTokens(
  ctx: AppContext,
  client: OidcClient,
  refreshToken: string,
  settings: AuthSettings,
  meta: RequestMeta,
): Promise<TokenResult> {
  if (!client.grantTypes.includes(GRANT_REFRESH_TOKEN)) {
    throw new DomainError('unauthorized_client', 'This client is not registered for the refresh_token grant');
  }
  const invalid = (why = 'Invalid refresh token') => new DomainError('invalid_grant', why);
  if (refreshToken.length > 256) throw invalid();
  const now = ctx.clock.now();
  const tokenHash = hashToken(refreshToken);
  const row = await ctx.store.db
    .selectFrom('refresh_tokens as r')
    .innerJoin('token_families as f', 'f.id', 'r.family_id')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .leftJoin('portal_sessions as s', 's.id', 'f.session_id')
    .select([
      'r.family_id',
      'r.user_id',
      'r.expires_at',
      'r.revoked_at',
      'r.used_at',
      'f.client_id',
      'f.expires_at as family_expires_at',
      'f.revoked_at as family_revoked_at',
      'f.session_id',
      's.revoked_at as session_revoked_at',
      's.expires_at as session_expires_at',
      'u.status',
    ])
    .where('r.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || row.client_id !== client.id) throw invalid();
  if (row.revoked_at !== null || row.family_revoked_at !== null || row.session_revoked_at !== null) {
    throw invalid('The refresh token has been revoked; sign in again');
  }
  if (row.expires_at <= now || row.family_expires_at <= now || (row.session_expires_at ?? now + 1) <= now) {
    throw invalid('The refresh token has expired; sign in again');
  }
  if (row.status !== 'ENABLED') throw invalid('The user is disabled');

  const { value: outcome } = await revokingTransaction(ctx, async (trx) => {
    const res = await trx
      .updateTable('refresh_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) {
      const issued = await issueInFamily(ctx, trx, {
        familyId: row.family_id,
        userId: row.user_id,
        familyExpiresAt: row.family_expires_at,
        accessTtlMs: settings.accessTokenTtlMs,
      });
      await writeAudit(trx, {
        at: now,
        actor: `user:${row.user_id}`,
        action: 'token.refresh',
        targetType: 'TOKEN_FAMILY',
        targetId: row.family_id,
        detail: { clientId: client.id },
        sourceIp: meta.sourceIp ?? null,
        requestId: meta.requestId ?? null,
      });
      return { kind: 'ok' as const, issued };
    }
    const current = await trx
      .selectFrom('refresh_tokens')
      .select(['used_at', 'revoked_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    const usedAt = current?.used_at ?? null;
    if (usedAt !== null && now - usedAt <= REFRESH_REUSE_GRACE_MS) return { kind: 'grace' as const };
    // Replay of a spent token: someone else has it. End the whole login.
    await revokeFamily(trx, row.family_id, now, 'refresh_token_reuse');
    recordRevocations(trx, [{ kind: 'family', subject: row.family_id }]);
    await writeAudit(trx, {
      at: now,
      actor: `user:${row.user_id}`,
      action: 'token.reuse_detected',
      targetType: 'TOKEN_FAMILY',
      targetId: row.family_id,
      detail: { clientId: client.id, usedAt },
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    });
    return { kind: 'reused' as const };
  });
  if (outcome.kind === 'grace') throw invalid('The refresh token was just used; use the new one');
  if (outcome.kind === 'reused')
    throw invalid('The refresh token was already used; every token of this sign-in is now revoked');
  return {
    accessToken: outcome.issued.accessToken,
    tokenType: 'Bearer',
    expiresIn: outcome.issued.expiresIn,
    refreshToken: outcome.issued.refreshToken,
  };
}
