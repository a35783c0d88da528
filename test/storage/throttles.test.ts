/**
 * Failure counters in the store (`app/auth/throttles.ts`), on SQLite and PostgreSQL: counting is
 * one statement, so counts racing with a success that clears them never fail and never lose a
 * failure; an attempt reserved before its check is checked only while the key is open.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  clearThrottle,
  countFailure,
  forgive,
  readThrottle,
  reserveAttempt,
} from '../../src/app/auth/throttles.ts';
import { type AppContext, createAppContext } from '../../src/app/context.ts';
import {
  type FailureState,
  PASSWORD_LOCKOUT,
  recordFailure,
  USER_CODE_BUDGET,
} from '../../src/domain/auth/lockout.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`failure counters (${kind})`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    let ctx: AppContext;
    const clock = new ManualClock(Date.UTC(2030, 0, 1));

    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
      ctx = createAppContext(store, { clock });
    });
    after(async () => {
      await store?.close();
      await temp?.cleanup();
    });

    it('counting while a success clears the counter never fails', async () => {
      const key = 'pw:race';
      for (let round = 0; round < 40; round++) {
        const results = await Promise.allSettled([
          ...Array.from({ length: 8 }, () => countFailure(ctx, key, PASSWORD_LOCKOUT)),
          clearThrottle(store.db, key),
          ...Array.from({ length: 8 }, () => countFailure(ctx, key, PASSWORD_LOCKOUT)),
        ]);
        const failed = results.filter((r) => r.status === 'rejected');
        assert.deepEqual(
          failed.map((r) => String((r as PromiseRejectedResult).reason)),
          [],
          `round ${round}`,
        );
      }
      await clearThrottle(store.db, key);
      await Promise.all(Array.from({ length: 20 }, () => countFailure(ctx, key, PASSWORD_LOCKOUT)));
      assert.equal((await readThrottle(store.db, key))?.failures, 20, 'every parallel failure is counted');
    });

    it('counts as the domain rules say: lockout waits, the 12-hour reset, windows', async () => {
      let expected: FailureState | null = null;
      for (let i = 1; i <= 36; i++) {
        const got = await countFailure(ctx, 'pw:rules', PASSWORD_LOCKOUT);
        expected = recordFailure(expected, clock.now(), PASSWORD_LOCKOUT);
        assert.deepEqual(got, expected, `failure ${i}`);
        clock.advance(1000);
      }
      clock.advance(PASSWORD_LOCKOUT.resetAfterMs + 1);
      expected = recordFailure(expected, clock.now(), PASSWORD_LOCKOUT);
      assert.deepEqual(await countFailure(ctx, 'pw:rules', PASSWORD_LOCKOUT), expected);
      assert.equal(expected.failures, 1);

      let window: FailureState | null = null;
      for (const step of [0, 1000, 1000, 1000, 1000, 1000, USER_CODE_BUDGET.windowMs, 1000]) {
        clock.advance(step);
        window = recordFailure(window, clock.now(), USER_CODE_BUDGET);
        assert.deepEqual(await countFailure(ctx, 'ucode:rules', USER_CODE_BUDGET), window);
      }
    });

    it('of a parallel burst after 29 failures, one attempt is reserved and the rest are refused', async () => {
      const key = 'pw:burst';
      for (let i = 0; i < 29; i++) await countFailure(ctx, key, PASSWORD_LOCKOUT);
      const burst = await Promise.all(
        Array.from({ length: 16 }, () => reserveAttempt(ctx, key, PASSWORD_LOCKOUT)),
      );
      const reserved = burst.filter((r) => r.kind === 'reserved');
      assert.equal(reserved.length, 1);
      assert.equal(reserved[0]?.kind === 'reserved' && reserved[0].state.failures, 30);
      for (const r of burst) if (r.kind === 'blocked') assert.equal(r.retryAfterMs, 60_000);
      // The reserved attempt was the right password: the lock and the count go.
      await forgive(ctx, reserved[0]!);
      assert.equal((await readThrottle(store.db, key))?.failures, 0);
      assert.equal((await reserveAttempt(ctx, key, PASSWORD_LOCKOUT)).kind, 'reserved');
    });

    it('a success forgives the failures counted before it, not those counted after it', async () => {
      const key = 'pw:forgive';
      await countFailure(ctx, key, PASSWORD_LOCKOUT);
      const mine = await reserveAttempt(ctx, key, PASSWORD_LOCKOUT);
      const later = await Promise.all([
        reserveAttempt(ctx, key, PASSWORD_LOCKOUT),
        reserveAttempt(ctx, key, PASSWORD_LOCKOUT),
      ]);
      assert.ok(later.every((r) => r.kind === 'reserved'));
      await forgive(ctx, mine);
      assert.equal(
        (await readThrottle(store.db, key))?.failures,
        2,
        'the two parallel failures stay counted',
      );
      // Under a window a success gives back its own attempt only.
      const w = 'signin-ip:192.0.2.1';
      const first = await reserveAttempt(ctx, w, USER_CODE_BUDGET);
      await reserveAttempt(ctx, w, USER_CODE_BUDGET);
      await forgive(ctx, first);
      assert.equal((await readThrottle(store.db, w))?.failures, 1);
    });

    it('reservations racing with successes never fail, and every failure stays counted', async () => {
      const key = 'pw:reserve-race';
      for (let round = 0; round < 20; round++) {
        const attempts = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            reserveAttempt(ctx, key, PASSWORD_LOCKOUT).then(async (r) => {
              // Every fourth attempt is a success.
              if (i % 4 === 3) await forgive(ctx, r);
              return r;
            }),
          ),
        );
        assert.ok(attempts.every((r) => r.kind === 'reserved'));
        // Failures counted after the latest success stay; nothing else.
        const successes = attempts.filter((_, i) => i % 4 === 3);
        const last = Math.max(...successes.map((r) => (r.kind === 'reserved' ? r.attempt : 0)));
        const after = attempts.filter((r, i) => i % 4 !== 3 && r.kind === 'reserved' && r.attempt > last);
        assert.equal((await readThrottle(store.db, key))?.failures, after.length, `round ${round}`);
        await clearThrottle(store.db, key);
      }
    });
  });
}
