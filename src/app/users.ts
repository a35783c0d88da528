/**
 * User administration: set a password, disable, enable, find by name. Used by `idcenter user …`
 * and by the admin APIs. Disabling ends everything the user holds, in one transaction: portal
 * sessions, token families, access and refresh tokens, unredeemed codes, pending device grants,
 * and (through a `user` revocation) role credentials already issued
 * (docs/behaviour.md, "Disabling a user").
 */
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import { DomainError } from '../domain/errors.ts';
import { checkPassword, userNameKey } from '../domain/identity/directory.ts';
import type { Database, UserRow } from '../storage/schema.ts';
import { assertOwnedHere } from './admin/directory-owned.ts';
import { type ChangeOrigin, withOrigin, writeAudit } from './audit.ts';
import type { AppContext } from './context.ts';
import { bumpGeneration } from './instance.ts';
import { recordRevocations, revokingTransaction, type WrittenRevocations } from './revocation.ts';

/**
 * Hash a password with argon2id (the library's default algorithm and parameters: 19 MiB,
 * 2 passes, 1 lane; OWASP's first recommended configuration).
 *
 * @example const stored = await hashPassword('idcenter-demo-1'); // "$argon2id$v=19$m=19456,t=2,p=1$…"
 */
export async function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/**
 * The user whose name matches `userName` without regard to case, or undefined.
 *
 * @example const alice = await findUserByName(ctx.store, 'Alice');
 */
export async function findUserByName(
  store: { db: Kysely<Database> },
  userName: string,
): Promise<UserRow | undefined> {
  return store.db
    .selectFrom('users')
    .selectAll()
    .where('user_name_lower', '=', userNameKey(userName))
    .executeTakeFirst();
}

function notFound(userId: string): DomainError {
  return new DomainError('not_found', `user ${userId} does not exist`, {
    resourceType: 'USER',
    resourceId: userId,
  });
}

/**
 * End everything a user holds right now. Call inside the transaction that disables or deletes
 * the user, opened by `revokingTransaction` (or `beginRevocations`): portal sessions, token
 * families and their tokens are marked revoked, unredeemed authorization codes expire, pending or
 * approved device grants are denied, and a `user` revocation, stamped when the transaction ends,
 * stops role credentials issued until then.
 */
export async function revokeUserSessions(
  db: Kysely<Database>,
  userId: string,
  now: number,
  reason = 'user_disabled',
): Promise<void> {
  await endSignIns(db, now, reason, userId);
  recordRevocations(db, [{ kind: 'user', subject: userId }]);
}

/**
 * End the sign-ins of one user, or of everyone when `userId` is null: portal sessions, token
 * families and their access and refresh tokens are marked revoked, unredeemed authorization
 * codes expire, pending or approved device grants are denied. Role credentials need a
 * revocation besides (the caller records it).
 */
export async function endSignIns(
  db: Kysely<Database>,
  now: number,
  reason: string,
  userId: string | null,
): Promise<void> {
  const scoped = userId !== null;
  const of = userId ?? '';
  await db
    .updateTable('portal_sessions')
    .set({ revoked_at: now })
    .$if(scoped, (q) => q.where('user_id', '=', of))
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('token_families')
    .set({ revoked_at: now, revoke_reason: reason })
    .$if(scoped, (q) => q.where('user_id', '=', of))
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('access_tokens')
    .set({ revoked_at: now })
    .$if(scoped, (q) => q.where('user_id', '=', of))
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .$if(scoped, (q) => q.where('user_id', '=', of))
    .where('revoked_at', 'is', null)
    .execute();
  await db
    .updateTable('auth_codes')
    .set({ expires_at: now })
    .$if(scoped, (q) => q.where('user_id', '=', of))
    .where('redeemed_at', 'is', null)
    .where('expires_at', '>', now)
    .execute();
  await db
    .updateTable('device_grants')
    .set({ status: 'denied' })
    .$if(scoped, (q) => q.where('user_id', '=', of))
    .where('status', 'in', ['pending', 'approved'])
    .execute();
}

/**
 * Set a local user's password (argon2id); a directory user's is refused. Also clears the user's password lockout counter, so an
 * administrator's reset lets a locked-out user sign in again.
 *
 * @throws DomainError `validation` for a password that breaks the rules, `directory_owned` for a
 *   directory user, `not_found`
 * @example await setPassword(ctx, user.id, 'a long passphrase', 'cli:user');
 */
export async function setPassword(
  ctx: AppContext,
  userId: string,
  password: string,
  actor: string,
  origin?: ChangeOrigin,
): Promise<void> {
  const problem = checkPassword(password);
  if (problem) throw new DomainError('validation', problem, { field: 'password' });
  const source = await ctx.store.db
    .selectFrom('users')
    .select('source')
    .where('id', '=', userId)
    .executeTakeFirst();
  // A directory user's password is checked by the directory; a hash here would never be used.
  if (source) assertOwnedHere(source.source, 'user.password');
  const passwordHash = await hashPassword(password);
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now, updated_by: actor })
      .where('id', '=', userId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw notFound(userId);
    await trx.deleteFrom('throttles').where('key', '=', `pw:${userId}`).execute();
    await writeAudit(
      trx,
      withOrigin(
        { at: now, actor, action: 'user.password.set', targetType: 'USER', targetId: userId },
        origin,
      ),
    );
  });
}

/**
 * Move a user to `to` in one transaction, with `alsoDo` (in the same transaction), the
 * generation bump and the audit event. `changed` is false when the user already had that status;
 * `written` holds the revocations a disable wrote, for a server to apply to its view at once.
 */
async function setStatus(
  ctx: AppContext,
  userId: string,
  actor: string,
  to: 'ENABLED' | 'DISABLED',
  alsoDo: (trx: Kysely<Database>, now: number) => Promise<void>,
  origin: ChangeOrigin | undefined,
): Promise<StatusChange> {
  const now = ctx.clock.now();
  const from = to === 'ENABLED' ? 'DISABLED' : 'ENABLED';
  const { value, ...written } = await revokingTransaction(ctx, async (trx) => {
    const r = await trx
      .updateTable('users')
      .set({ status: to, updated_at: now, updated_by: actor })
      .where('id', '=', userId)
      .where('status', '=', from)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) {
      const exists = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
      if (!exists) throw notFound(userId);
      return { changed: false };
    }
    await alsoDo(trx, now);
    await bumpGeneration(trx);
    await writeAudit(
      trx,
      withOrigin(
        {
          at: now,
          actor,
          action: to === 'DISABLED' ? 'user.disable' : 'user.enable',
          targetType: 'USER',
          targetId: userId,
          detail: { status: { from, to } },
        },
        origin,
      ),
    );
    return { changed: true };
  });
  return { ...value, written };
}

/**
 * Whether a status change changed anything, and the revocations it wrote (a server applies them
 * to its own view at once).
 */
export interface StatusChange {
  changed: boolean;
  written: WrittenRevocations;
}

/**
 * Disable a user and end every session, token and grant they hold (one transaction).
 * Returns whether anything changed (false when the user was already disabled).
 *
 * @throws DomainError `not_found`
 */
export async function disableUser(
  ctx: AppContext,
  userId: string,
  actor: string,
  origin?: ChangeOrigin,
): Promise<StatusChange> {
  return setStatus(
    ctx,
    userId,
    actor,
    'DISABLED',
    (trx, now) => revokeUserSessions(trx, userId, now),
    origin,
  );
}

/**
 * Enable a disabled user. Sessions ended by the disable stay ended; the user signs in again.
 *
 * @throws DomainError `not_found`
 */
export async function enableUser(
  ctx: AppContext,
  userId: string,
  actor: string,
  origin?: ChangeOrigin,
): Promise<StatusChange> {
  return setStatus(ctx, userId, actor, 'ENABLED', async () => {}, origin);
}
