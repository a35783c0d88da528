/**
 * Revocation of stateless role credentials (docs/decisions.md, "Stateless role credentials"). A
 * role credential carries who (user id), which portal session and token family it came from, the
 * account and permission set, and when it was issued. A revocation row says
 * "credentials for this subject issued before `not_before` no longer verify". Every replica polls
 * the table (see the credential verifier), so a revocation is seen everywhere within its poll
 * interval. Rows expire once no credential they could stop is still alive (the longest session
 * duration is 12 h).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.ts';

export type RevocationKind = 'user' | 'session' | 'family' | 'access' | 'all';

/**
 * Subject of an `all` revocation: every credential issued before `not_before`, whoever holds
 * it (`idcenter sessions revoke --all`, after a restore).
 */
export const ALL_SUBJECT = '*';

/** The longest role-credential lifetime: a revocation older than this has nothing left to stop. */
export const MAX_CREDENTIAL_LIFETIME_MS = 12 * 3600 * 1000;

/** Subject of an `access` revocation: one user's use of one permission set in one account. */
export function accessSubject(userId: string, accountId: string, permissionSetId: string): string {
  return `${userId}|${accountId}|${permissionSetId}`;
}

export async function recordRevocations(
  db: Kysely<Database>,
  now: number,
  items: Array<{ kind: RevocationKind; subject: string }>,
): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < items.length; i += CHUNK) {
    await db
      .insertInto('revocations')
      .values(
        items.slice(i, i + CHUNK).map((it) => ({
          kind: it.kind,
          subject: it.subject,
          not_before: now,
          created_at: now,
          expires_at: now + MAX_CREDENTIAL_LIFETIME_MS,
        })),
      )
      .execute();
  }
}
