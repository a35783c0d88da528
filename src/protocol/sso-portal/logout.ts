/**
 * Logout — `POST /logout`: ends the bearer token and every access and refresh token issued with
 * it (its token family). Role credentials already issued run to their expiry, as on AWS;
 * `idcenter sessions revoke` goes further.
 */

import { writeAudit } from '../../app/audit.ts';
import type { ResolvedAccessToken } from '../../app/auth/tokens.ts';
import { revokeFamily } from '../../app/auth/tokens.ts';
import type { AppContext } from '../../app/context.ts';

export async function logout(ctx: AppContext, who: ResolvedAccessToken, sourceIp: string, requestId: string) {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    await revokeFamily(trx, who.familyId, now, 'logout');
    await writeAudit(trx, {
      at: now,
      actor: `user:${who.userId}`,
      action: 'token.logout',
      targetType: 'TOKEN_FAMILY',
      targetId: who.familyId,
      detail: { clientId: who.clientId, sessionId: who.sessionId },
      sourceIp,
      requestId,
    });
  });
}
