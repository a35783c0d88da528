/**
 * Password sign-in. One answer for every wrong case (unknown user, wrong password, disabled,
 * no password set, and a user whose password sign-in is locked), with an argon2 verification in
 * each so timing does not tell them apart either; the audit log records the real reason (repeats
 * from one address counted into one row a minute, the user name typed bounded as client text).
 *
 * Three limits, each checked before any hashing:
 *
 * - Per source address (`SIGNIN_ADDRESS_BUDGET`, 30 failed sign-ins a minute, an IPv6 address
 *   counting as its /64): past it the answer is `throttled`, whatever the user name. An address
 *   this server has seen over its budget is answered from memory until its minute ends.
 * - The password queue (`password-queue.ts`): when it is full the answer is `busy` at once. A
 *   browser where the user signed in before (its device mark, `known-device.ts`) has a lane of
 *   its own there, ahead of anonymous sign-ins.
 * - Per user (`PASSWORD_LOCKOUT`): at the lockout threshold the account refuses passwords for a
 *   growing time, and while locked the password is not even checked, so guessing gains nothing.
 *
 * Both counters take the attempt as a failure before the password is checked (`reserveAttempt`)
 * and give it back when it was right (`forgive`), so parallel guesses cannot check more
 * passwords than the limits allow: of a burst after 29 failures, one password is checked.
 */
import { hash } from '@node-rs/argon2';
import { addressBucket } from '../../domain/auth/address.ts';
import { PASSWORD_LOCKOUT, SIGNIN_ADDRESS_BUDGET } from '../../domain/auth/lockout.ts';
import { BIND_REFUSAL_MESSAGES } from '../../domain/identity/identity-source.ts';
import { type AuditAction, clientText, writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { verifyDirectoryPassword } from '../directory/signin.ts';
import type { RequestMeta } from './issue.ts';
import { issueDeviceMark, readDeviceMark } from './known-device.ts';
import type { QueuePlace } from './password-queue.ts';
import { forgive, reserveAttempt, throttleKey } from './throttles.ts';

export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_USER_NAME_LENGTH = 128;

export interface SigninUser {
  id: string;
  userName: string;
  displayName: string;
}

/**
 * `invalid` covers every wrong case, a locked user included; `throttled`: too many failed
 * sign-ins from this address; `busy`: the password queue is full (nothing was checked).
 */
export type PasswordCheck =
  | { kind: 'ok'; user: SigninUser }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfterMs: number }
  | { kind: 'busy' }
  /**
   * A directory user the directory did not let in for a reason they must hear (expired
   * password, locked…), or the directory could not be asked: `message` says which.
   */
  | { kind: 'directory'; message: string; unavailable: boolean };

/**
 * The hash checked when there is no real one to check, so every wrong case costs an argon2
 * verification. One per process, made on first use: the hash of a constant, the same for every
 * server, holding nothing of any server's state.
 */
let dummyHash: Promise<string> | undefined;
function dummy(): Promise<string> {
  dummyHash ??= hash('idcenter timing equaliser, never a password');
  return dummyHash;
}

export async function findUserForSignin(ctx: AppContext, userName: string) {
  if (userName.length === 0 || userName.length > MAX_USER_NAME_LENGTH) return undefined;
  return ctx.store.db
    .selectFrom('users')
    .select(['id', 'user_name', 'display_name', 'status', 'password_hash', 'source', 'external_id'])
    .where('user_name_lower', '=', userName.toLowerCase())
    .executeTakeFirst();
}

/** What a sign-in brings besides its user name and password. */
export interface SigninExtras {
  /**
   * The known-device mark the browser presented (`known-device.ts`), as read from its cookie:
   * when it is valid and issued to this user name, the sign-in takes the password queue's known
   * lane.
   */
  deviceMark?: string | undefined;
}

export async function checkPassword(
  ctx: AppContext,
  userName: string,
  password: string,
  meta: RequestMeta,
  extras: SigninExtras = {},
): Promise<PasswordCheck> {
  /**
   * `repeatsOf`: the kind of a failure whose repeats from one address are counted into one row a
   * minute (app/failure-audit.ts); absent for an event written every time.
   */
  const audit = async (
    action: AuditAction,
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
    if (repeatsOf === undefined) return writeAudit(ctx.store.db, event);
    const first = ctx.memory.failures.admit(event, repeatsOf);
    if (first) await ctx.memory.failures.writeNow(first);
  };
  const throttled = async (retryAfterMs: number): Promise<PasswordCheck> => {
    const retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
    await audit('signin.throttled', null, { retryAfterSeconds, ...clientText({ userName }) }, 'throttled');
    return { kind: 'throttled', retryAfterMs };
  };
  const bucket = meta.sourceIp ? addressBucket(meta.sourceIp) : null;
  const heldFor = bucket ? ctx.memory.heldAddresses.until(bucket, ctx.clock.now()) : 0;
  if (heldFor > 0) return throttled(heldFor);
  const known = extras.deviceMark ? await knownDeviceUser(ctx, extras.deviceMark, userName) : undefined;
  const place = ctx.memory.passwordQueue.enter(bucket ?? undefined, known);
  if (!place) {
    await audit('signin.busy', null, clientText({ userName }), 'busy');
    return { kind: 'busy' };
  }
  try {
    const address = bucket
      ? await reserveAttempt(ctx, throttleKey.signinAddress(bucket), SIGNIN_ADDRESS_BUDGET)
      : null;
    if (bucket && address?.kind === 'blocked') {
      const now = ctx.clock.now();
      ctx.memory.heldAddresses.hold(bucket, now, now + address.retryAfterMs);
      return throttled(address.retryAfterMs);
    }
    const result = await checkInTurn(ctx, place, userName, password, audit);
    if (result.kind === 'ok' && address) await forgive(ctx, address);
    return result;
  } finally {
    place.leave();
  }
}

/** The user a valid device mark for `userName` names, if it is one. */
async function knownDeviceUser(
  ctx: AppContext,
  value: string,
  userName: string,
): Promise<string | undefined> {
  const key = await ctx.memory.serverKeys.get('web');
  return readDeviceMark(key, value, userName, ctx.clock.now())?.userId;
}

/** A new known-device mark for a user who just signed in (every factor passed). */
export async function deviceMarkFor(
  ctx: AppContext,
  user: { id: string; userName: string },
): Promise<string> {
  const key = await ctx.memory.serverKeys.get('web');
  return issueDeviceMark(key, user, ctx.clock.now(), ctx.random);
}

type Audit = (
  action: AuditAction,
  targetId: string | null,
  detail: Record<string, unknown>,
  repeatsOf?: string,
) => Promise<void>;

/** The per-user part of `checkPassword`, once the sign-in has its place in the queue. */
async function checkInTurn(
  ctx: AppContext,
  place: QueuePlace,
  userName: string,
  password: string,
  audit: Audit,
): Promise<PasswordCheck> {
  const user = await findUserForSignin(ctx, userName);
  if (user?.status === 'ENABLED' && user.source === 'directory' && password.length <= MAX_PASSWORD_LENGTH) {
    return checkWithDirectory(ctx, user, password, audit);
  }
  if (user?.status !== 'ENABLED' || !user.password_hash || password.length > MAX_PASSWORD_LENGTH) {
    await place.verify(await dummy(), password.slice(0, MAX_PASSWORD_LENGTH));
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
  const reservation = await reserveAttempt(ctx, throttleKey.password(user.id), PASSWORD_LOCKOUT);
  if (reservation.kind === 'blocked') {
    // Locked: the password is not checked, but the answer takes as long as a check.
    await place.verify(await dummy(), password);
    await auditLocked(audit, user.id, reservation.retryAfterMs);
    return { kind: 'invalid' };
  }
  if (!(await place.verify(user.password_hash, password))) {
    const state = reservation.state;
    await audit(
      'signin.failure',
      user.id,
      { reason: 'bad_password', failures: state.failures },
      'bad_password',
    );
    await auditLockout(audit, user.id, state);
    return { kind: 'invalid' };
  }
  await forgive(ctx, reservation);
  return { kind: 'ok', user: { id: user.id, userName: user.user_name, displayName: user.display_name } };
}

/**
 * A directory user's password, checked by a bind (`app/directory/signin.ts`) instead of a hash,
 * under the same per-user lockout: the attempt is reserved first, and forgiven only when the
 * directory accepted the password.
 */
async function checkWithDirectory(
  ctx: AppContext,
  user: { id: string; user_name: string; display_name: string; external_id: string | null },
  password: string,
  audit: Audit,
): Promise<PasswordCheck> {
  const reservation = await reserveAttempt(ctx, throttleKey.password(user.id), PASSWORD_LOCKOUT);
  if (reservation.kind === 'blocked') {
    await auditLocked(audit, user.id, reservation.retryAfterMs);
    return { kind: 'invalid' };
  }
  const check = await verifyDirectoryPassword(ctx, user, password);
  if (check.kind === 'ok') {
    await forgive(ctx, reservation);
    return { kind: 'ok', user: { id: user.id, userName: user.user_name, displayName: user.display_name } };
  }
  if (check.kind === 'unavailable') {
    // Not the person's fault: the attempt does not count towards their lockout.
    await forgive(ctx, reservation);
    await audit(
      'signin.failure',
      user.id,
      { reason: 'directory_unavailable', detail: check.reason.slice(0, 300) },
      'directory_unavailable',
    );
    return { kind: 'directory', message: DIRECTORY_UNAVAILABLE, unavailable: true };
  }
  if (check.kind === 'refused') {
    await audit(
      'signin.failure',
      user.id,
      { reason: `directory_${check.refusal}` },
      `directory_${check.refusal}`,
    );
    return { kind: 'directory', message: BIND_REFUSAL_MESSAGES[check.refusal], unavailable: false };
  }
  const state = reservation.state;
  await audit('signin.failure', user.id, { reason: check.reason, failures: state.failures }, check.reason);
  await auditLockout(audit, user.id, state);
  return { kind: 'invalid' };
}

/** The lockout row, when the failure just counted is the one that locked the password. */
/** A password attempt refused without a check because the user is locked out. */
async function auditLocked(audit: Audit, userId: string, retryAfterMs: number): Promise<void> {
  await audit(
    'signin.locked',
    userId,
    { factor: 'password', retryAfterSeconds: Math.ceil(retryAfterMs / 1000) },
    'password',
  );
}

async function auditLockout(
  audit: Audit,
  userId: string,
  state: { failures: number; lockedUntil: number; lastFailureAt: number },
): Promise<void> {
  if (state.lockedUntil <= state.lastFailureAt) return;
  await audit('signin.lockout', userId, {
    factor: 'password',
    failures: state.failures,
    lockedForSeconds: Math.ceil((state.lockedUntil - state.lastFailureAt) / 1000),
  });
}

const DIRECTORY_UNAVAILABLE =
  "Your account is in your organization's directory, which cannot be reached right now. Try again in a few minutes; if it persists, tell your administrator.";

/** A sign-in finished (every factor passed): its audit row, with the factors used. */
export async function recordSignin(
  ctx: AppContext,
  userId: string,
  factors: string,
  meta: RequestMeta,
): Promise<void> {
  await writeAudit(ctx.store.db, {
    at: ctx.clock.now(),
    actor: `user:${userId}`,
    action: 'signin.success',
    targetType: 'USER',
    targetId: userId,
    detail: { factors },
    sourceIp: meta.sourceIp ?? null,
    requestId: meta.requestId ?? null,
  });
}

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}
