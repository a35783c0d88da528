/**
 * TOTP second factor: enrolment from the portal (or at sign-in when the instance requires MFA),
 * verification at sign-in, removal by the user, reset by an administrator. Secrets are sealed
 * (AES-256-GCM under the `mfa` server key, bound to user and device) before they reach the
 * store. A code is accepted once (the last accepted step is kept by a conditional update), and
 * failures count toward a lockout like passwords' (its own counter): each code is counted as a
 * failure before it is checked and given back when right, so parallel codes cannot get past it.
 */
import { TOTP_LOCKOUT } from '../../domain/auth/lockout.ts';
import {
  base32Encode,
  matchTotp,
  normalizeTotpInput,
  otpauthUri,
  TOTP_SECRET_BYTES,
} from '../../domain/auth/totp.ts';
import { uuid } from '../../domain/ids.ts';
import { type AuditAction, type ChangeOrigin, withOrigin, writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import type { RequestMeta } from './issue.ts';
import { seal, unseal } from './keys.ts';
import { clearThrottle, forgive, reserveAttempt, throttleKey } from './throttles.ts';

/** An unconfirmed enrolment is offered again for this long, then replaced. */
const ENROLMENT_TTL_MS = 10 * 60_000;
export const TOTP_ISSUER = 'idcenter';

export interface MfaDevice {
  id: string;
  label: string;
  createdAt: number;
  confirmedAt: number | null;
}

export type SecondFactorNeed = 'none' | 'verify' | 'enroll';

export type CodeCheck = { kind: 'ok' } | { kind: 'invalid' } | { kind: 'blocked'; retryAfterMs: number };

const aad = (userId: string, deviceId: string) => `mfa:${userId}:${deviceId}`;

export async function confirmedDevice(ctx: AppContext, userId: string): Promise<MfaDevice | null> {
  const row = await ctx.store.db
    .selectFrom('mfa_devices')
    .select(['id', 'label', 'created_at', 'confirmed_at'])
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is not', null)
    .orderBy('created_at', 'asc')
    .executeTakeFirst();
  return row
    ? { id: row.id, label: row.label, createdAt: row.created_at, confirmedAt: row.confirmed_at }
    : null;
}

/** What sign-in must do after the password: nothing, ask for a code, or enrol a device first. */
export async function secondFactorNeed(
  ctx: AppContext,
  userId: string,
  requireMfa: boolean,
): Promise<SecondFactorNeed> {
  if (await confirmedDevice(ctx, userId)) return 'verify';
  return requireMfa ? 'enroll' : 'none';
}

export interface Enrolment {
  deviceId: string;
  secret: string;
  uri: string;
}

/** Start (or resume) enrolling a TOTP device: the secret to show, as text and as a QR URI. */
export async function beginEnrolment(
  ctx: AppContext,
  user: { id: string; userName: string },
): Promise<Enrolment> {
  const now = ctx.clock.now();
  const key = await ctx.memory.serverKeys.get('mfa');
  const db = ctx.store.db;
  const pending = await db
    .selectFrom('mfa_devices')
    .select(['id', 'secret_sealed', 'created_at'])
    .where('user_id', '=', user.id)
    .where('confirmed_at', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (pending && now - pending.created_at < ENROLMENT_TTL_MS) {
    try {
      const secret = unseal(key, pending.secret_sealed, aad(user.id, pending.id));
      return {
        deviceId: pending.id,
        secret: base32Encode(secret),
        uri: otpauthUri(secret, TOTP_ISSUER, user.userName),
      };
    } catch {
      // Unreadable (key changed): fall through and make a new one.
    }
  }
  const deviceId = uuid(ctx.random);
  const secret = ctx.random.bytes(TOTP_SECRET_BYTES);
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('mfa_devices')
      .where('user_id', '=', user.id)
      .where('confirmed_at', 'is', null)
      .execute();
    await trx
      .insertInto('mfa_devices')
      .values({
        id: deviceId,
        user_id: user.id,
        kind: 'TOTP',
        label: 'Authenticator app',
        secret_sealed: seal(ctx.random, key, secret, aad(user.id, deviceId)),
        confirmed_at: null,
        last_step: 0,
        created_at: now,
      })
      .execute();
  });
  return { deviceId, secret: base32Encode(secret), uri: otpauthUri(secret, TOTP_ISSUER, user.userName) };
}

async function checkDeviceCode(
  ctx: AppContext,
  userId: string,
  deviceId: string | null,
  codeInput: unknown,
  confirming: boolean,
): Promise<'ok' | 'invalid'> {
  const code = normalizeTotpInput(codeInput);
  if (!code) return 'invalid';
  const now = ctx.clock.now();
  const key = await ctx.memory.serverKeys.get('mfa');
  let q = ctx.store.db
    .selectFrom('mfa_devices')
    .select(['id', 'secret_sealed', 'last_step', 'created_at'])
    .where('user_id', '=', userId);
  q = confirming ? q.where('confirmed_at', 'is', null) : q.where('confirmed_at', 'is not', null);
  if (deviceId) q = q.where('id', '=', deviceId);
  const devices = await q.execute();
  for (const d of devices) {
    if (confirming && now - d.created_at >= ENROLMENT_TTL_MS) continue;
    let secret: Buffer;
    try {
      secret = unseal(key, d.secret_sealed, aad(userId, d.id));
    } catch {
      continue;
    }
    const step = matchTotp(secret, code, now, d.last_step);
    if (step === null) continue;
    // The step moves forward once: a second use of the same code loses this race.
    const res = await ctx.store.db
      .updateTable('mfa_devices')
      .set(confirming ? { last_step: step, confirmed_at: now } : { last_step: step })
      .where('id', '=', d.id)
      .where('last_step', '<', step)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return 'ok';
  }
  return 'invalid';
}

async function withThrottle(
  ctx: AppContext,
  userId: string,
  meta: RequestMeta,
  purpose: string,
  check: () => Promise<'ok' | 'invalid'>,
): Promise<CodeCheck> {
  const key = throttleKey.totp(userId);
  const audit = (action: AuditAction, detail: Record<string, unknown>) =>
    writeAudit(ctx.store.db, {
      at: ctx.clock.now(),
      actor: `user:${userId}`,
      action,
      targetType: 'USER',
      targetId: userId,
      detail: { purpose, ...detail },
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    });
  // Counted before the check, so a burst of parallel codes is checked no more often than allowed.
  const reservation = await reserveAttempt(ctx, key, TOTP_LOCKOUT);
  if (reservation.kind === 'blocked') {
    const blocked = reservation.retryAfterMs;
    await audit('signin.locked', { factor: 'totp', retryAfterSeconds: Math.ceil(blocked / 1000) });
    return { kind: 'blocked', retryAfterMs: blocked };
  }
  if ((await check()) === 'ok') {
    await forgive(ctx, reservation);
    return { kind: 'ok' };
  }
  const state = reservation.state;
  await audit('mfa.failure', { failures: state.failures });
  if (state.lockedUntil > state.lastFailureAt) {
    const lockedFor = state.lockedUntil - state.lastFailureAt;
    await audit('signin.lockout', {
      factor: 'totp',
      failures: state.failures,
      lockedForSeconds: Math.ceil(lockedFor / 1000),
    });
    return { kind: 'blocked', retryAfterMs: lockedFor };
  }
  return { kind: 'invalid' };
}

/** The sign-in second factor. */
export function verifySecondFactor(
  ctx: AppContext,
  userId: string,
  code: unknown,
  meta: RequestMeta,
): Promise<CodeCheck> {
  return withThrottle(ctx, userId, meta, 'signin', () => checkDeviceCode(ctx, userId, null, code, false));
}

/** Finish enrolment with a first code from the app. Audited as `mfa.enroll`. */
export async function confirmEnrolment(
  ctx: AppContext,
  userId: string,
  deviceId: string,
  code: unknown,
  meta: RequestMeta,
): Promise<CodeCheck> {
  if (await confirmedDevice(ctx, userId)) return { kind: 'invalid' };
  const result = await withThrottle(ctx, userId, meta, 'enroll', () =>
    checkDeviceCode(ctx, userId, deviceId, code, true),
  );
  if (result.kind === 'ok') {
    await writeAudit(ctx.store.db, {
      at: ctx.clock.now(),
      actor: `user:${userId}`,
      action: 'mfa.enroll',
      targetType: 'USER',
      targetId: userId,
      detail: { deviceId, kind: 'TOTP' },
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    });
  }
  return result;
}

/** The user removes their device, proving possession with a current code. Audited as `mfa.remove`. */
export async function removeOwnMfa(
  ctx: AppContext,
  userId: string,
  code: unknown,
  meta: RequestMeta,
): Promise<CodeCheck> {
  const result = await verifySecondFactor(ctx, userId, code, meta);
  if (result.kind !== 'ok') return result;
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('mfa_devices').where('user_id', '=', userId).execute();
    await writeAudit(trx, {
      at: ctx.clock.now(),
      actor: `user:${userId}`,
      action: 'mfa.remove',
      targetType: 'USER',
      targetId: userId,
      detail: { by: 'user' },
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    });
  });
  return result;
}

/**
 * Administrator recovery (`idcenter user reset-mfa USER`): remove every device of the user and
 * clear their code-failure counter. Returns how many devices were removed.
 */
export async function resetMfa(
  ctx: AppContext,
  userId: string,
  actor: string,
  origin?: ChangeOrigin,
): Promise<number> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom('mfa_devices').where('user_id', '=', userId).executeTakeFirst();
    await clearThrottle(trx, throttleKey.totp(userId));
    const count = Number(removed.numDeletedRows);
    await writeAudit(
      trx,
      withOrigin(
        {
          at: ctx.clock.now(),
          actor,
          action: 'mfa.reset',
          targetType: 'USER',
          targetId: userId,
          detail: { devicesRemoved: count },
        },
        origin,
      ),
    );
    return count;
  });
}
