/**
 * The queue every sign-in password check goes through, one per server (its context's
 * `memory.passwordQueue`). Argon2 is slow on purpose (tens of milliseconds of a core and 19 MiB
 * for each check), so anyone able to post the sign-in form could otherwise keep every core busy
 * and make each real sign-in wait behind hundreds of guesses. Here:
 *
 * - At most `concurrency` checks run at once: one fewer than the cores, at least 1 and at most 3,
 *   so the event loop keeps a core and libuv's thread pool (4 threads) a thread for everything else.
 * - At most `maxWaiting` more sign-ins wait for a turn (16 per running check: about 16 checks'
 *   time, a quarter of a second, at the back of the queue).
 * - One source address (its bucket: an IPv4 address or an IPv6 /64) holds at most
 *   `maxPerAddress` places at once (2): a flood from one address cannot fill the queue before
 *   its per-address failure budget stops it, so people elsewhere never wait behind more than
 *   that address's two checks. (An office behind one address signs in two at a time; a third
 *   at the same instant is asked to try again in a moment.)
 * - A sign-in that finds the queue full, or its address's share taken, is answered "too many
 *   sign-ins, try again in a moment" at once, without hashing anything.
 *
 * A sign-in takes its place (`enter`) before its store work (the per-address and per-user
 * counters), then checks its password in turn (`verify`), and leaves. `verify` is injectable for
 * tests (to count or hold the checks).
 */
import os from 'node:os';
import { verify as argon2Verify } from '@node-rs/argon2';

export interface PasswordQueueOptions {
  concurrency?: number;
  maxWaiting?: number;
  /** Places one source address may hold at once (default 2). */
  maxPerAddress?: number;
  /** The check itself (default: argon2 verify of the stored hash). */
  verify?: (hash: string, password: string) => Promise<boolean>;
}

export function defaultConcurrency(): number {
  return Math.min(3, Math.max(1, os.availableParallelism() - 1));
}

/** A sign-in's place in the queue: check at most once in turn, then `leave` (more calls are harmless). */
export interface QueuePlace {
  /** Wait for a turn, check, and give the turn back; false for any error (an unreadable hash). */
  verify(hash: string, password: string): Promise<boolean>;
  leave(): void;
}

export class PasswordQueue {
  readonly concurrency: number;
  readonly maxWaiting: number;
  readonly maxPerAddress: number;
  /** Places held per address bucket (only buckets holding one are kept). */
  private readonly byAddress = new Map<string, number>();
  private readonly check: (hash: string, password: string) => Promise<boolean>;
  /** Sign-ins between `enter` and `leave`. */
  private places = 0;
  /** Checks running now. */
  private running = 0;
  private readonly turns: Array<() => void> = [];

  constructor(options: PasswordQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
    this.maxWaiting = Math.max(0, options.maxWaiting ?? 16 * this.concurrency);
    this.maxPerAddress = Math.max(1, options.maxPerAddress ?? 2);
    this.check = options.verify ?? argon2Verify;
  }

  /** Sign-ins in the queue now (running or waiting), for tests and metrics. */
  get size(): number {
    return this.places;
  }

  /**
   * A place in the queue for a sign-in from `address` (its bucket; none when the address is
   * unknown), or null when the queue is full or the address holds its share already (answer
   * "busy" without checking anything).
   */
  enter(address?: string): QueuePlace | null {
    if (this.places >= this.concurrency + this.maxWaiting) return null;
    const held = address === undefined ? 0 : (this.byAddress.get(address) ?? 0);
    if (held >= this.maxPerAddress) return null;
    this.places++;
    if (address !== undefined) this.byAddress.set(address, held + 1);
    let left = false;
    return {
      verify: (hash, password) => this.inTurn(hash, password),
      leave: () => {
        if (left) return;
        left = true;
        this.places--;
        if (address === undefined) return;
        const now = (this.byAddress.get(address) ?? 1) - 1;
        if (now === 0) this.byAddress.delete(address);
        else this.byAddress.set(address, now);
      },
    };
  }

  private async inTurn(hash: string, password: string): Promise<boolean> {
    if (this.running < this.concurrency) this.running++;
    else await new Promise<void>((resolve) => this.turns.push(resolve));
    try {
      return await this.check(hash, password);
    } catch {
      return false;
    } finally {
      const next = this.turns.shift();
      if (next) next();
      else this.running--;
    }
  }
}
