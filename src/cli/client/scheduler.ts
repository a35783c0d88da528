/**
 * Runs many portal calls against AWS without tripping its throttling: starts stay spaced to at
 * most `ratePerSecond` (default 15, under the portal's 20 per second), at most `concurrency` run
 * at once, and a 429 / TooManyRequestsException / ThrottlingException pauses every worker with
 * exponential backoff (or the server's Retry-After) before the call is retried.
 */
import { ServiceError } from './http.ts';

export interface SchedulerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface SchedulerOptions {
  ratePerSecond?: number;
  concurrency?: number;
  maxRetries?: number;
  /** First backoff; doubles per retry up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** 0..1 → fraction of the backoff added at random; injectable for tests. */
  random?: () => number;
}

export function isThrottle(err: unknown): err is ServiceError {
  return (
    err instanceof ServiceError &&
    (err.status === 429 ||
      ['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestThrottledException'].includes(
        err.code,
      ))
  );
}

export class Scheduler {
  private readonly clock: SchedulerClock;
  private readonly interval: number;
  private readonly concurrency: number;
  private readonly maxRetries: number;
  private readonly base: number;
  private readonly cap: number;
  private readonly random: () => number;
  private nextStart = 0;
  private pausedUntil = 0;
  private running = 0;
  private readonly waiters: (() => void)[] = [];
  /** Calls made and throttles seen, for the summary and tests. */
  calls = 0;
  throttled = 0;

  constructor(clock: SchedulerClock, options: SchedulerOptions = {}) {
    this.clock = clock;
    this.interval = Math.ceil(1000 / (options.ratePerSecond ?? 15));
    this.concurrency = options.concurrency ?? 4;
    this.maxRetries = options.maxRetries ?? 8;
    this.base = options.baseBackoffMs ?? 500;
    this.cap = options.maxBackoffMs ?? 20_000;
    this.random = options.random ?? Math.random;
  }

  private async acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.running--;
  }

  /** Wait for this call's start slot (reserved synchronously, so slots never overlap). */
  private async slot(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const at = Math.max(now, this.nextStart, this.pausedUntil);
      this.nextStart = at + this.interval;
      if (at > now) await this.clock.sleep(at - now);
      // A throttle seen while we slept pushes everyone back.
      if (this.clock.now() >= this.pausedUntil) return;
    }
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      for (let attempt = 0; ; attempt++) {
        await this.slot();
        this.calls++;
        try {
          return await task();
        } catch (err) {
          if (!isThrottle(err) || attempt >= this.maxRetries) throw err;
          this.throttled++;
          const backoff = Math.min(this.cap, this.base * 2 ** attempt);
          const wait = err.retryAfterMs ?? backoff + Math.floor(backoff * this.random());
          this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + wait);
        }
      }
    } finally {
      this.release();
    }
  }
}
