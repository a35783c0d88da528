/**
 * Time and randomness are injected (docs/decisions.md, "Injected time and randomness"), so expiry,
 * lockout and rotation are tested without sleeping and identifiers are reproducible in tests.
 */
import { randomFillSync } from 'node:crypto';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Random {
  bytes(n: number): Buffer;
}

export const systemClock: Clock = { now: () => Date.now() };
/**
 * Small requests are served from a pool filled 4 KiB at a time: one call into the CSPRNG costs
 * microseconds however few bytes it returns, and a credential takes several small draws. Each
 * byte is handed out once; the caller gets a copy, never a view of the pool.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

export const systemRandom: Random = {
  bytes(n) {
    if (n > 256) return randomFillSync(Buffer.alloc(n));
    if (poolOffset + n > POOL_SIZE) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
    poolOffset += n;
    return out;
  },
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(ms: number = Date.UTC(2026, 10, 28, 12, 0, 0)) {
    this.ms = ms;
  }
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}
