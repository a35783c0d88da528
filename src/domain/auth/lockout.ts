/**
 * Failure counting for brute-force protection. Two policies:
 *
 * - **Lockout** (passwords, TOTP codes), after Keycloak's brute-force detector defaults: the
 *   first 29 failures cost nothing; the 30th locks the account for 1 minute, and each further
 *   failure doubles the wait up to 15 minutes (1, 2, 4, 8, 15, 15 … min). A success, or 12 hours
 *   without failure, clears the count.
 * - **Window** (device user codes, RFC 8628 §5.1): at most 5 misses per user in a 10-minute
 *   window; the 5th miss blocks further tries until the window ends. The same policy shape
 *   limits client registrations per source address (120 a minute), device authorizations
 *   started per client registration (60 in 10 minutes) and per source address (120 a minute),
 *   and password sign-ins per source address (30 failed ones a minute).
 *
 * Counters live in the store (`throttles`) so every replica sees them; this file only computes.
 */

export interface FailureState {
  failures: number;
  windowStart: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export interface LockoutPolicy {
  kind: 'lockout';
  threshold: number;
  firstWaitMs: number;
  maxWaitMs: number;
  resetAfterMs: number;
}

export interface WindowPolicy {
  kind: 'window';
  maxFailures: number;
  windowMs: number;
}

export type FailurePolicy = LockoutPolicy | WindowPolicy;

export const PASSWORD_LOCKOUT: LockoutPolicy = {
  kind: 'lockout',
  threshold: 30,
  firstWaitMs: 60_000,
  maxWaitMs: 15 * 60_000,
  resetAfterMs: 12 * 3600_000,
};

export const TOTP_LOCKOUT: LockoutPolicy = PASSWORD_LOCKOUT;

export const USER_CODE_BUDGET: WindowPolicy = { kind: 'window', maxFailures: 5, windowMs: 10 * 60_000 };

/** RegisterClient calls per source address: a CLI registers once per 90 days, a flood is abuse. */
export const REGISTRATION_BUDGET: WindowPolicy = { kind: 'window', maxFailures: 120, windowMs: 60_000 };

/**
 * StartDeviceAuthorization calls per client registration: a CLI starts one per sign-in, and a
 * registration is one machine's (or one image's); a loop is abuse.
 */
export const DEVICE_START_CLIENT_BUDGET: WindowPolicy = {
  kind: 'window',
  maxFailures: 60,
  windowMs: 10 * 60_000,
};

/** StartDeviceAuthorization calls per source address (an office behind one address included). */
export const DEVICE_START_ADDRESS_BUDGET: WindowPolicy = {
  kind: 'window',
  maxFailures: 120,
  windowMs: 60_000,
};

/**
 * Password sign-ins per source address (an IPv6 /64): 30 that fail in a minute, then none until
 * the minute ends. A successful sign-in does not count, so an office behind one address is only
 * held up by 30 wrong passwords in a minute; a flood of guesses from one address gets 30 checks a
 * minute, whatever user names it tries.
 */
export const SIGNIN_ADDRESS_BUDGET: WindowPolicy = { kind: 'window', maxFailures: 30, windowMs: 60_000 };

/** The wait imposed by the `failures`-th failure under a lockout policy (0 below the threshold). */
export function lockoutWaitMs(failures: number, policy: LockoutPolicy): number {
  if (failures < policy.threshold) return 0;
  const doublings = Math.min(failures - policy.threshold, 30);
  return Math.min(policy.maxWaitMs, policy.firstWaitMs * 2 ** doublings);
}

/** The state after one more failure at `now`. */
export function recordFailure(state: FailureState | null, now: number, policy: FailurePolicy): FailureState {
  if (policy.kind === 'window') {
    const fresh = !state || now - state.windowStart >= policy.windowMs;
    const failures = fresh ? 1 : state.failures + 1;
    const windowStart = fresh ? now : state.windowStart;
    return {
      failures,
      windowStart,
      lastFailureAt: now,
      lockedUntil: failures >= policy.maxFailures ? windowStart + policy.windowMs : 0,
    };
  }
  const fresh = !state || now - state.lastFailureAt > policy.resetAfterMs;
  const failures = fresh ? 1 : state.failures + 1;
  const wait = lockoutWaitMs(failures, policy);
  return {
    failures,
    windowStart: fresh ? now : state.windowStart,
    lastFailureAt: now,
    lockedUntil: wait > 0 ? now + wait : 0,
  };
}

/** Milliseconds until the next attempt is allowed (0 when it is allowed now). */
export function blockedForMs(state: FailureState | null, now: number): number {
  if (!state) return 0;
  return Math.max(0, state.lockedUntil - now);
}
