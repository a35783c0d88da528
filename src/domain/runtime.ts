/**
 * Time and randomness are injected (docs/decisions.md, "Injected time and randomness"), so expiry,
 * lockout and rotation are tested without sleeping and identifiers are reproducible in tests.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Random {
  bytes(n: number): Buffer;
  /** An RFC 4122 version 4 UUID, lower-case. */
  uuid(): string;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Node's CSPRNG, as node:crypto offers it. */
export const systemRandom: Random = {
  bytes: (n) => randomBytes(n),
  uuid: () => randomUUID(),
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
