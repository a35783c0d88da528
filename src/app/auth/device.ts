/**
 * The device authorization grant (RFC 8628) as SSO OIDC speaks it: StartDeviceAuthorization
 * makes a device code (256 random bits, stored hashed) and a user code; the person approves it
 * in the browser; CreateToken polls until then. Redemption is one conditional update
 * (`status = 'approved'` → `'redeemed'`), so two racing polls yield one token (docs/decisions.md,
 * "Exactly once redemption").
 */

import {
  DEVICE_START_ADDRESS_BUDGET,
  DEVICE_START_CLIENT_BUDGET,
  USER_CODE_BUDGET,
} from '../../domain/auth/lockout.ts';
import {
  DEVICE_CODE_TTL_MS,
  DEVICE_POLL_INTERVAL_S,
  GRANT_DEVICE_CODE,
  POLL_JITTER_MS,
  SLOW_DOWN_INCREMENT_S,
} from '../../domain/auth/oauth.ts';
import { formatUserCode, generateUserCode, normalizeUserCode } from '../../domain/auth/user-code.ts';
import { DomainError } from '../../domain/errors.ts';
import { opaqueToken, uuid } from '../../domain/ids.ts';
import { writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import type { OidcClient } from './client-cache.ts';
import {
  type AuthSettings,
  issueLoginTokens,
  loginStillValid,
  type RequestMeta,
  type TokenResult,
} from './issue.ts';
import { blockedFor, countFailure, throttleKey } from './throttles.ts';
import { hashToken } from './tokens.ts';

/** The interval never grows past this, however fast a client polls. */
const MAX_INTERVAL_S = 60;

/**
 * Device authorizations one client registration may have waiting for a person at once; each
 * lasts 10 minutes, and a person approves one in a minute or two.
 */
export const MAX_PENDING_DEVICE_GRANTS = 20;

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  expiresIn: number;
  interval: number;
}

function assertGrant(client: OidcClient): void {
  if (!client.grantTypes.includes(GRANT_DEVICE_CODE)) {
    throw new DomainError(
      'unauthorized_client',
      'This client is not registered for the device code grant; register a client without grantTypes',
    );
  }
}

/**
 * Refuse a start over its limits (`throttled`, SlowDownException on the wire), storing nothing
 * but the counts: per client registration and per source address, a window budget each
 * (`DEVICE_START_CLIENT_BUDGET`, `DEVICE_START_ADDRESS_BUDGET`), and at most
 * `MAX_PENDING_DEVICE_GRANTS` waiting for a person per client. The cap is checked, not locked:
 * racing starts may pass it by the few in flight.
 */
async function admitStart(ctx: AppContext, client: OidcClient, meta: RequestMeta): Promise<void> {
  const budgets = [
    { key: throttleKey.deviceStartClient(client.id), policy: DEVICE_START_CLIENT_BUDGET, who: 'this client' },
    ...(meta.sourceIp
      ? [
          {
            key: throttleKey.deviceStartAddress(meta.sourceIp),
            policy: DEVICE_START_ADDRESS_BUDGET,
            who: 'this address',
          },
        ]
      : []),
  ];
  for (const b of budgets) {
    const wait = await blockedFor(ctx, b.key);
    if (wait > 0) {
      throw new DomainError(
        'throttled',
        `Too many device authorizations started by ${b.who}; try again in ${Math.ceil(wait / 1000)} seconds`,
      );
    }
  }
  const pending = await ctx.store.db
    .selectFrom('device_grants')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('client_id', '=', client.id)
    .where('expires_at', '>', ctx.clock.now())
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(pending?.n ?? 0) >= MAX_PENDING_DEVICE_GRANTS) {
    throw new DomainError(
      'throttled',
      `This client has ${MAX_PENDING_DEVICE_GRANTS} device authorizations waiting for approval; complete one or wait for one to expire (10 minutes)`,
    );
  }
  for (const b of budgets) await countFailure(ctx, b.key, b.policy);
}

export async function startDeviceAuthorization(
  ctx: AppContext,
  client: OidcClient,
  meta: RequestMeta = {},
): Promise<DeviceAuthorization> {
  assertGrant(client);
  await admitStart(ctx, client, meta);
  const now = ctx.clock.now();
  const deviceCode = opaqueToken(ctx.random, 32);
  let userCode = generateUserCode(ctx.random);
  // A user code must name one live grant: draw again on the (rare) clash.
  for (let i = 0; i < 5; i++) {
    const clash = await ctx.store.db
      .selectFrom('device_grants')
      .select('id')
      .where('user_code', '=', userCode)
      .where('expires_at', '>', now)
      .where('status', 'in', ['pending', 'approved'])
      .executeTakeFirst();
    if (!clash) break;
    userCode = generateUserCode(ctx.random);
  }
  await ctx.store.db
    .insertInto('device_grants')
    .values({
      id: uuid(ctx.random),
      device_code_hash: hashToken(deviceCode),
      user_code: userCode,
      client_id: client.id,
      scopes: JSON.stringify(client.scopes),
      status: 'pending',
      user_id: null,
      session_id: null,
      interval_s: DEVICE_POLL_INTERVAL_S,
      last_poll_at: null,
      created_at: now,
      expires_at: now + DEVICE_CODE_TTL_MS,
    })
    .execute();
  return {
    deviceCode,
    userCode: formatUserCode(userCode),
    expiresIn: DEVICE_CODE_TTL_MS / 1000,
    interval: DEVICE_POLL_INTERVAL_S,
  };
}

/**
 * "Not yet" answers of a poll. They are the common case (every poll until the person approves),
 * so they are returned, not thrown: no stack is captured on the hot path.
 */
export interface PollWait {
  kind: 'wait';
  code: 'authorization_pending' | 'slow_down';
  message: string;
}

/** CreateToken with the device_code grant: tokens, a wait answer, or a thrown DomainError. */
export async function redeemDeviceCode(
  ctx: AppContext,
  client: OidcClient,
  deviceCode: string,
  settings: AuthSettings,
  meta: RequestMeta,
): Promise<TokenResult | PollWait> {
  assertGrant(client);
  const invalid = () => new DomainError('invalid_grant', 'Invalid device code provided');
  if (deviceCode.length > 256) throw invalid();
  const db = ctx.store.db;
  const now = ctx.clock.now();
  const codeHash = hashToken(deviceCode);
  const tracker = ctx.memory.pollTracker;
  const slowDown = (grantId: string, interval: number): PollWait => {
    // RFC 8628 §3.5: slow_down, and the interval grows by 5 s for this and later requests.
    tracker.record(
      grantId,
      codeHash,
      client.id,
      now,
      Math.min(MAX_INTERVAL_S, interval + SLOW_DOWN_INCREMENT_S),
    );
    return {
      kind: 'wait',
      code: 'slow_down',
      message: `Polling too fast; wait at least ${interval} seconds between requests`,
    };
  };
  const soon = tracker.tooSoon(codeHash, client.id, now, POLL_JITTER_MS);
  if (soon) return slowDown(soon.grantId, soon.intervalS);
  const grant = await db
    .selectFrom('device_grants')
    .selectAll()
    .where('device_code_hash', '=', codeHash)
    .executeTakeFirst();
  // Another client's device code is as unknown to this client as a made-up one.
  if (!grant || grant.client_id !== client.id) throw invalid();
  if (grant.status === 'redeemed') throw invalid();
  if (grant.status === 'denied')
    throw new DomainError('access_denied', 'The authorization request was denied');
  if (grant.expires_at <= now) throw new DomainError('expired_token', 'The device code has expired');

  if (grant.status === 'pending') {
    // The later of this replica's memory and the store (see poll-tracker.ts).
    const known = tracker.get(grant.id);
    const stored = grant.last_poll_at ?? Number.NEGATIVE_INFINITY;
    const lastPollAt = Math.max(stored, known?.lastPollAt ?? Number.NEGATIVE_INFINITY);
    const interval = Math.max(grant.interval_s, known?.intervalS ?? 0);
    if (lastPollAt === Number.NEGATIVE_INFINITY || now >= lastPollAt + interval * 1000 - POLL_JITTER_MS) {
      tracker.record(grant.id, codeHash, client.id, now, interval);
      return { kind: 'wait', code: 'authorization_pending', message: 'Authorization is still pending' };
    }
    return slowDown(grant.id, interval);
  }
  tracker.forget(grant.id);

  if (grant.status !== 'approved' || !grant.user_id || !grant.session_id) throw invalid();
  const userId = grant.user_id;
  const sessionId = grant.session_id;
  return db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('device_grants')
      .set({ status: 'redeemed' })
      .where('id', '=', grant.id)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw invalid();
    const live = await loginStillValid(trx, userId, sessionId, now);
    if (!live) throw new DomainError('invalid_grant', 'The sign-in that approved this device code has ended');
    return issueLoginTokens(ctx, trx, {
      userId,
      clientId: client.id,
      sessionId,
      scopes: parseScopes(grant.scopes),
      sessionExpiresAt: live.sessionExpiresAt,
      grant: 'device_code',
      settings,
      meta,
    });
  });
}

function parseScopes(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

export interface PendingDeviceGrant {
  grantId: string;
  userCode: string;
  clientId: string;
  clientName: string;
  scopes: string[];
  expiresAt: number;
}

export type UserCodeCheck =
  | { kind: 'ok'; grant: PendingDeviceGrant }
  | { kind: 'invalid' }
  | { kind: 'blocked'; retryAfterMs: number };

async function findPending(ctx: AppContext, storedCode: string): Promise<PendingDeviceGrant | null> {
  const now = ctx.clock.now();
  const row = await ctx.store.db
    .selectFrom('device_grants as g')
    .innerJoin('oidc_clients as c', 'c.id', 'g.client_id')
    .select(['g.id', 'g.user_code', 'g.client_id', 'g.scopes', 'g.expires_at', 'c.name'])
    .where('g.user_code', '=', storedCode)
    .where('g.status', '=', 'pending')
    .where('g.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return null;
  return {
    grantId: row.id,
    userCode: formatUserCode(row.user_code),
    clientId: row.client_id,
    clientName: row.name,
    scopes: parseScopes(row.scopes),
    expiresAt: row.expires_at,
  };
}

/**
 * A signed-in person typed a user code. At most 5 misses per person per 10 minutes (anything
 * that is not a live code counts, including malformed input: no free probes).
 */
export async function checkUserCode(
  ctx: AppContext,
  userId: string,
  input: unknown,
  meta: RequestMeta,
): Promise<UserCodeCheck> {
  const key = throttleKey.userCode(userId);
  const blocked = await blockedFor(ctx, key);
  if (blocked > 0) return { kind: 'blocked', retryAfterMs: blocked };
  const stored = normalizeUserCode(input);
  const grant = stored ? await findPending(ctx, stored) : null;
  if (grant) return { kind: 'ok', grant };
  const state = await countFailure(ctx, key, USER_CODE_BUDGET);
  const now = ctx.clock.now();
  await writeAudit(ctx.store.db, {
    at: now,
    actor: `user:${userId}`,
    action: state.lockedUntil > now ? 'device.user_code.blocked' : 'device.user_code.miss',
    targetType: 'USER',
    targetId: userId,
    detail: { misses: state.failures },
    sourceIp: meta.sourceIp ?? null,
    requestId: meta.requestId ?? null,
  });
  if (state.lockedUntil > now) return { kind: 'blocked', retryAfterMs: state.lockedUntil - now };
  return { kind: 'invalid' };
}

/** The pending grant a consent form refers to (by id and user code), or null when gone. */
export async function pendingGrantById(
  ctx: AppContext,
  grantId: string,
  userCodeInput: unknown,
): Promise<PendingDeviceGrant | null> {
  const stored = normalizeUserCode(userCodeInput);
  if (!stored) return null;
  const grant = await findPending(ctx, stored);
  return grant && grant.grantId === grantId ? grant : null;
}

/** Allow or Deny on the consent page: one conditional update from `pending`. */
export async function decideDeviceGrant(
  ctx: AppContext,
  input: { grantId: string; userId: string; sessionId: string; approve: boolean },
  meta: RequestMeta,
): Promise<boolean> {
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('device_grants')
      .set({
        status: input.approve ? 'approved' : 'denied',
        user_id: input.userId,
        session_id: input.sessionId,
      })
      .where('id', '=', input.grantId)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return false;
    // The next poll must read the store, not the memory of pending polls.
    ctx.memory.pollTracker.forget(input.grantId);
    const grant = await trx
      .selectFrom('device_grants')
      .select(['client_id'])
      .where('id', '=', input.grantId)
      .executeTakeFirstOrThrow();
    await writeAudit(trx, {
      at: now,
      actor: `user:${input.userId}`,
      action: input.approve ? 'device.approve' : 'device.deny',
      targetType: 'OIDC_CLIENT',
      targetId: grant.client_id,
      detail: { grantId: input.grantId, sessionId: input.sessionId },
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    });
    return true;
  });
}
