/**
 * What a bearer token stands for once resolved (`resolveAccessToken` in `tokens.ts`). A server
 * keeps the answers for live tokens while the store generation stands still (its context's
 * `memory.resolvedTokens`, a `GenerationCache` keyed by the token).
 */

export interface ResolvedAccessToken {
  userId: string;
  userName: string;
  familyId: string;
  sessionId: string | null;
  clientId: string;
  expiresAt: number;
}
