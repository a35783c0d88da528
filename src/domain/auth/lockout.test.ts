import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blockedForMs,
  type FailureState,
  lockoutWaitMs,
  PASSWORD_LOCKOUT,
  recordFailure,
  USER_CODE_BUDGET,
} from './lockout.ts';

const MIN = 60_000;

describe('lockout schedule (Keycloak-like)', () => {
  it('locks at the 30th failure and doubles the wait up to 15 minutes', () => {
    assert.equal(lockoutWaitMs(29, PASSWORD_LOCKOUT), 0);
    assert.deepEqual(
      [30, 31, 32, 33, 34, 35, 100].map((f) => lockoutWaitMs(f, PASSWORD_LOCKOUT) / MIN),
      [1, 2, 4, 8, 15, 15, 15],
    );
  });

  it('counts failures and blocks for the wait', () => {
    let s: FailureState | null = null;
    let now = 1_000_000;
    for (let i = 0; i < 29; i++) {
      s = recordFailure(s, now, PASSWORD_LOCKOUT);
      assert.equal(blockedForMs(s, now), 0);
      now += 1000;
    }
    s = recordFailure(s, now, PASSWORD_LOCKOUT);
    assert.equal(s.failures, 30);
    assert.equal(blockedForMs(s, now), MIN);
    assert.equal(blockedForMs(s, now + MIN), 0);
    s = recordFailure(s, now + MIN, PASSWORD_LOCKOUT);
    assert.equal(blockedForMs(s, now + MIN), 2 * MIN);
  });

  it('forgets failures after 12 quiet hours', () => {
    const s = recordFailure(
      { failures: 29, windowStart: 0, lastFailureAt: 0, lockedUntil: 0 },
      12 * 3600_000 + 1,
      PASSWORD_LOCKOUT,
    );
    assert.equal(s.failures, 1);
  });
});

describe('user-code miss budget (RFC 8628 §5.1)', () => {
  it('allows 5 misses per 10 minutes', () => {
    let s: FailureState | null = null;
    const t0 = 5_000_000;
    for (let i = 1; i <= 4; i++) {
      s = recordFailure(s, t0 + i * 1000, USER_CODE_BUDGET);
      assert.equal(blockedForMs(s, t0 + i * 1000), 0);
    }
    s = recordFailure(s, t0 + 5000, USER_CODE_BUDGET);
    assert.equal(s.failures, 5);
    assert.equal(
      blockedForMs(s, t0 + 5000),
      10 * MIN - 4000,
      'blocked until the window that began at the first miss ends',
    );
    assert.equal(blockedForMs(s, t0 + 1000 + 10 * MIN), 0);
    const fresh = recordFailure(s, t0 + 1000 + 10 * MIN, USER_CODE_BUDGET);
    assert.equal(fresh.failures, 1);
  });
});
