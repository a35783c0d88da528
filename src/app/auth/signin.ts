/**
 * Password sign-in. One answer for every wrong case (unknown user, wrong password, disabled,
 * no password set), with an argon2 verification in each so timing does not tell them apart;
 * the audit log records the real reason (repeats from one address counted into one row a minute,
 * the user name typed bounded as client text). Failures count per user in the store; at the lockout
 * threshold the account refuses passwords for a growing time (see domain/auth/lockout.ts) and
 * while locked the password is not even checked, so guessing gains nothing.
 */
import { hash, verify } from '@node-rs/argon2';
import { PASSWORD_LOCKOUT } from '../../domain/auth/lockout.ts';
import { clientText, writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { failureAudit } from '../failure-audit.ts';
import type { RequestMeta } from './issue.ts';
import { blockedFor, clearThrottle, countFailure, throttleKey } from './throttles.ts';

export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_USER_NAME_LENGTH = 128;

export interface SigninUser {
  id: string;
  userName: string;
  displayName: string;
}

export type PasswordCheck =
  | { kind: 'ok'; user: SigninUser }
  | { kind: 'invalid' }
  | { kind: 'locked'; retryAfterMs: number };

let dummyHash: Promise<string> | undefined;
function dummy(): Promise<string> {
  dummyHash ??= hash('idcenter timing equaliser, never a password');
  return dummyHash;
}

async function safeVerify(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

export async function findUserForSignin(ctx: AppContext, userName: string) {
  if (userName.length === 0 || userName.length > MAX_USER_NAME_LENGTH) return undefined;
  return ctx.store.db
    .selectFrom('users')
    .select(['id', 'user_name', 'display_name', 'status', 'password_hash'])
    .where('user_name_lower', '=', userName.toLowerCase())
    .executeTakeFirst();
}

export async function checkPassword(
  ctx: AppContext,
  userName: string,
  password: string,
  meta: RequestMeta,
): Promise<PasswordCheck> {
  /**
   * `repeatsOf`: the kind of a failure whose repeats from one address are counted into one row a
   * minute (app/failure-audit.ts); absent for an event written every time.
   */
  const audit = async (
    action: string,
    targetId: string | null,
    detail: Record<string, unknown>,
    repeatsOf?: string,
  ) => {
    const event = {
      at: ctx.clock.now(),
      actor: targetId ? `user:${targetId}` : 'anonymous',
      action,
      targetType: 'USER',
      targetId,
      detail,
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    };
    const now = repeatsOf === undefined ? event : failureAudit(ctx).admit(event, repeatsOf);
    if (now) await writeAudit(ctx.store.db, now);
  };
  const user = await findUserForSignin(ctx, userName);
  if (user?.status !== 'ENABLED' || !user.password_hash || password.length > MAX_PASSWORD_LENGTH) {
    await safeVerify(await dummy(), password.slice(0, MAX_PASSWORD_LENGTH));
    const reason = !user
      ? 'unknown_user'
      : user.status !== 'ENABLED'
        ? 'disabled'
        : !user.password_hash
          ? 'no_password'
          : 'too_long';
    await audit('signin.failure', user?.id ?? null, { reason, ...clientText({ userName }) }, reason);
    return { kind: 'invalid' };
  }
  const key = throttleKey.password(user.id);
  const blocked = await blockedFor(ctx, key);
  if (blocked > 0) {
    await audit(
      'signin.locked',
      user.id,
      { factor: 'password', retryAfterSeconds: Math.ceil(blocked / 1000) },
      'password',
    );
    return { kind: 'locked', retryAfterMs: blocked };
  }
  if (!(await safeVerify(user.password_hash, password))) {
    const state = await countFailure(ctx, key, PASSWORD_LOCKOUT);
    await audit(
      'signin.failure',
      user.id,
      { reason: 'bad_password', failures: state.failures },
      'bad_password',
    );
    const now = ctx.clock.now();
    if (state.lockedUntil > now) {
      await audit('signin.lockout', user.id, {
        factor: 'password',
        failures: state.failures,
        lockedForSeconds: Math.ceil((state.lockedUntil - now) / 1000),
      });
      return { kind: 'locked', retryAfterMs: state.lockedUntil - now };
    }
    return { kind: 'invalid' };
  }
  await clearThrottle(ctx.store.db, key);
  return { kind: 'ok', user: { id: user.id, userName: user.user_name, displayName: user.display_name } };
}

/** Hash a password the way sign-in verifies it (argon2id, library defaults). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}
