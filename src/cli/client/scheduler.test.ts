import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from './http.ts';
import { Scheduler, type SchedulerClock } from './scheduler.ts';

/** Virtual time: sleeping parks a promise; the driver wakes the earliest sleeper. */
class VirtualClock implements SchedulerClock {
  t = 0;
  private sleepers: { at: number; wake: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at: this.t + ms, wake }));
  }
  /** Run until `done` settles, advancing time only when nothing else can run. */
  async drive<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    done.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    while (!settled) {
      await new Promise((r) => setImmediate(r));
      if (settled) break;
      this.sleepers.sort((a, b) => a.at - b.at);
      const s = this.sleepers.shift();
      if (!s) continue;
      this.t = Math.max(this.t, s.at);
      s.wake();
    }
    return done;
  }
}

function maxInWindow(starts: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < starts.length; i++) {
    let n = 0;
    for (let j = i; j < starts.length && (starts[j] as number) < (starts[i] as number) + windowMs; j++) n++;
    best = Math.max(best, n);
  }
  return best;
}

describe('populate scheduler', () => {
  it('never starts more than 20 calls in any second, and runs several at once', async () => {
    const clock = new VirtualClock();
    const s = new Scheduler(clock, { ratePerSecond: 15, concurrency: 4 });
    const starts: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const tasks = Array.from({ length: 200 }, () =>
      s.run(async () => {
        starts.push(clock.now());
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await clock.sleep(150); // a slow call
        inFlight--;
        return 1;
      }),
    );
    await clock.drive(Promise.all(tasks));
    assert.equal(starts.length, 200);
    assert.ok(maxInWindow(starts, 1000) <= 15, `max per second ${maxInWindow(starts, 1000)}`);
    assert.ok(maxInWindow(starts, 1000) < 20);
    assert.ok(maxInFlight > 1 && maxInFlight <= 4, `in flight ${maxInFlight}`);
    // 200 calls at 15/s take a little over 13 s of (virtual) time.
    assert.ok(clock.now() >= 13_000 && clock.now() < 15_000, `took ${clock.now()} ms`);
  });

  it('backs off every worker on 429 and retries until the call succeeds', async () => {
    const clock = new VirtualClock();
    const s = new Scheduler(clock, {
      ratePerSecond: 15,
      concurrency: 4,
      random: () => 0,
      baseBackoffMs: 1000,
    });
    const throttleUntil = 3; // the first three calls are throttled
    let n = 0;
    const starts: number[] = [];
    const results = await clock.drive(
      Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          s.run(async () => {
            starts.push(clock.now());
            n++;
            if (n <= throttleUntil)
              throw new ServiceError('ListAccountRoles', 'TooManyRequestsException', 429, 'slow down');
            return i;
          }),
        ),
      ),
    );
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5]);
    assert.equal(s.throttled, 3);
    assert.equal(s.calls, 9);
    // After the first 429 (at ~0 ms) nothing starts before the 1 s backoff has passed.
    const afterFirst = starts.slice(3);
    assert.ok(
      afterFirst.every((t) => t >= 1000),
      `starts ${starts}`,
    );
  });

  it('honours Retry-After and gives up after maxRetries', async () => {
    const clock = new VirtualClock();
    const s = new Scheduler(clock, { maxRetries: 2, random: () => 0 });
    const starts: number[] = [];
    const p = s.run(async () => {
      starts.push(clock.now());
      throw new ServiceError('ListAccounts', 'TooManyRequestsException', 429, '', 7000);
    });
    await assert.rejects(clock.drive(p), /TooManyRequestsException/);
    assert.equal(starts.length, 3);
    assert.ok((starts[1] as number) - (starts[0] as number) >= 7000);
  });

  it('does not retry other errors', async () => {
    const clock = new VirtualClock();
    const s = new Scheduler(clock);
    let calls = 0;
    const p = s.run(async () => {
      calls++;
      throw new ServiceError('ListAccounts', 'UnauthorizedException', 401, '');
    });
    await assert.rejects(clock.drive(p), /UnauthorizedException/);
    assert.equal(calls, 1);
  });
});
