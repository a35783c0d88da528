/**
 * The device authorization grant (RFC 8628) as SSO OIDC speaks it: StartDeviceAuthorization
 * makes a device code (256 random bits, stored hashed) and a user code; the person approves it
 * in the browser; CreateToken polls until then. Redemption is one conditional update
 * (`status = 'approved'` → `'redeemed'`), so two racing polls yield one token (docs/decisions.md,
 * "Exactly once redemption").
 */

import type { Insertable } from 'kysely';
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
import type { DeviceGrantTable } from '../../storage/schema.ts';
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
import { forgive, type Reservation, reserveAttempt, throttleKey } from './throttles.ts';
import { hashToken } from './tokens.ts';

/** The interval never grows past this, however fast a client polls. */
const MAX_INTERVAL_S = 60;

/**
 * Device authorizations one client registration may have waiting for a person at once; each
 * lasts 10 minutes, and a person approves one in a minute or two.
 */
export const MAX_PENDING_DEVICE_GRANTS = 20;

/** User codes drawn for one start at most (each clash is a 1 in 20^8 chance per live grant). */
const MAX_USER_CODE_DRAWS = 5;

/** A unique index refused the row (SQLite and PostgreSQL say it their own way). */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

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
 * Take a start's place in the window budgets: per client registration and per source address
 * (`DEVICE_START_CLIENT_BUDGET`, `DEVICE_START_ADDRESS_BUDGET`). Each place is taken in one
 * statement that counts only while the budget is open (`reserveAttempt`), so racing starts,
 * on one replica or several, never pass a budget: past it the answer is `throttled`
 * (SlowDownException on the wire). Returns the places taken, to give back if the start is
 * refused later.
 */
async function takeStartPlaces(
  ctx: AppContext,
  client: OidcClient,
  meta: RequestMeta,
): Promise<Reservation[]> {
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
  const taken: Reservation[] = [];
  for (const b of budgets) {
    const place = await reserveAttempt(ctx, b.key, b.policy);
    if (place.kind === 'blocked') {
      for (const t of taken) await forgive(ctx, t);
      throw new DomainError(
        'throttled',
        `Too many device authorizations started by ${b.who}; try again in ${Math.ceil(place.retryAfterMs / 1000)} seconds`,
      );
    }
    taken.push(place);
  }
  return taken;
}

/**
 * Store a new pending grant unless its client already has `MAX_PENDING_DEVICE_GRANTS` waiting:
 * the count and the insert are one transaction that holds the client's row (PostgreSQL:
 * `FOR UPDATE`; SQLite: the one writer), so racing starts, on one replica or several, never
 * pass the cap. False when the cap refused it (nothing stored).
 */
async function insertUnderCap(ctx: AppContext, row: Insertable<DeviceGrantTable>): Promise<boolean> {
  const postgres = ctx.store.dialect === 'postgres';
  return ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .selectFrom('oidc_clients')
      .select('id')
      .where('id', '=', row.client_id)
      .$if(postgres, (q) => q.forUpdate())
      .execute();
    const pending = await trx
      .selectFrom('device_grants')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('client_id', '=', row.client_id)
      .where('expires_at', '>', row.created_at)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(pending?.n ?? 0) >= MAX_PENDING_DEVICE_GRANTS) return false;
    await trx.insertInto('device_grants').values(row).execute();
    return true;
  });
}

export async function startDeviceAuthorization(
  ctx: AppContext,
  client: OidcClient,
  meta: RequestMeta = {},
): Promise<DeviceAuthorization> {
  assertGrant(client);
  const places = await takeStartPlaces(ctx, client, meta);
  const now = ctx.clock.now();
  const deviceCode = opaqueToken(ctx.random, 32);
  const row = {
    id: uuid(ctx.random),
    device_code_hash: hashToken(deviceCode),
    user_code: '',
    client_id: client.id,
    scopes: JSON.stringify(client.scopes),
    status: 'pending',
    user_id: null,
    session_id: null,
    interval_s: DEVICE_POLL_INTERVAL_S,
    last_poll_at: null,
    created_at: now,
    expires_at: now + DEVICE_CODE_TTL_MS,
  };
  // A user code names one live grant (a unique index, migration 016): on the rare clash, with
  // a grant stored before or by a start racing this one, draw again.
  let stored = false;
  for (let draw = 1; ; draw++) {
    row.user_code = generateUserCode(ctx.random);
    try {
      stored = await insertUnderCap(ctx, row);
      break;
    } catch (err) {
      if (!isUniqueViolation(err) || draw === MAX_USER_CODE_DRAWS) {
        for (const p of places) await forgive(ctx, p);
        throw err;
      }
    }
  }
  if (!stored) {
    // Refused by the cap: not a start, so its places in the budgets go back.
    for (const p of places) await forgive(ctx, p);
    throw new DomainError(
      'throttled',
      `This client has ${MAX_PENDING_DEVICE_GRANTS} device authorizations waiting for approval; complete one or wait for one to expire (10 minutes)`,
    );
  }
  return {
    deviceCode,
    userCode: formatUserCode(row.user_code),
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
 * that is not a live code counts, including malformed input: no free probes). Each code takes
 * its place in that budget before it is looked up (`reserveAttempt`, one statement), and a hit
 * gives it back, so a burst of parallel guesses looks up no more than 5.
 */
export async function checkUserCode(
  ctx: AppContext,
  userId: string,
  input: unknown,
  meta: RequestMeta,
): Promise<UserCodeCheck> {
  const place = await reserveAttempt(ctx, throttleKey.userCode(userId), USER_CODE_BUDGET);
  if (place.kind === 'blocked') return { kind: 'blocked', retryAfterMs: place.retryAfterMs };
  const stored = normalizeUserCode(input);
  const grant = stored ? await findPending(ctx, stored) : null;
  if (grant) {
    await forgive(ctx, place);
    return { kind: 'ok', grant };
  }
  const state = place.state;
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
    await writeAudit(
      trx,
      clientDecisionEvent(
        now,
        {
          userId: input.userId,
          action: input.approve ? 'device.approve' : 'device.deny',
          clientId: grant.client_id,
          detail: { grantId: input.grantId, sessionId: input.sessionId },
        },
        meta,
      ),
    );
    return true;
  });
}
