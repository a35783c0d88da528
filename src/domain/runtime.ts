/**
 * Time and randomness are injected (design decision 4), so expiry, lockout and rotation are
 * tested without sleeping and identifiers are reproducible in tests.
 */
import { randomBytes } from 'node:crypto';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Random {
  bytes(n: number): Buffer;
}

export const systemClock: Clock = { now: () => Date.now() };
export const systemRandom: Random = { bytes: (n) => randomBytes(n) };

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
