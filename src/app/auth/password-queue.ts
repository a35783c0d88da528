/**
 * The queue every sign-in password check goes through, one per server (its context's
 * `memory.passwordQueue`). Argon2 is slow on purpose (tens of milliseconds of a core and 19 MiB
 * for each check), so anyone able to post the sign-in form could otherwise keep every core busy
 * and make each real sign-in wait behind hundreds of guesses. Here:
 *
 * - At most `concurrency` checks run at once (and one more of the known lane, below): one fewer
 *   than the cores, at least 1 and at most 3, so the event loop keeps a core and libuv's thread
 *   pool (4 threads) a thread for everything else.
 * - At most `maxWaiting` more sign-ins wait for a turn (16 per running check: about 16 checks'
 *   time, a quarter of a second, at the back of the queue).
 * - One source address (its bucket: an IPv4 address or an IPv6 /64) holds at most
 *   `maxPerAddress` places at once (2): a flood from one address cannot fill the queue before
 *   its per-address failure budget stops it, so people elsewhere never wait behind more than
 *   that address's two checks. (An office behind one address signs in two at a time; a third
 *   at the same instant is asked to try again in a moment.)
 * - A sign-in that finds the queue full, or its address's share taken, is answered "too many
 *   sign-ins, try again in a moment" at once, without hashing anything.
 * - Two lanes. A sign-in from a known device (a browser holding the signed device mark this
 *   server gave it after an earlier sign-in of the same user, `app/auth/known-device.ts`) enters
 *   the known lane: places of its own (as many again), at most `maxPerAddress` per user instead
 *   of per address, one running check of its own beyond `concurrency`, and the first turn at the
 *   shared ones. A flood of made-up sign-ins from thousands of addresses then fills only the
 *   anonymous lane and is shed there ("busy"), while a person who signed in before waits behind
 *   no anonymous check. So that no user holding a mark can starve anonymous sign-ins, every
 *   fourth shared turn goes to the anonymous lane while both have waiters.
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

/** The known lane takes this many turns in a row at most while anonymous sign-ins wait. */
const KNOWN_TURNS_IN_A_ROW = 3;

/** One lane's places: how many are held, and how many each holder key (address or user) holds. */
class Lane {
  places = 0;
  /** Checks of this lane running now. */
  running = 0;
  private readonly byKey = new Map<string, number>();
  /** Sign-ins waiting for a turn, first come first served. */
  readonly turns: Array<() => void> = [];

  /** Take a place, or false when the lane is full or `key` holds its share already. */
  take(key: string | undefined, capacity: number, perKey: number): boolean {
    if (this.places >= capacity) return false;
    const held = key === undefined ? 0 : (this.byKey.get(key) ?? 0);
    if (held >= perKey) return false;
    this.places++;
    if (key !== undefined) this.byKey.set(key, held + 1);
    return true;
  }

  give(key: string | undefined): void {
    this.places--;
    if (key === undefined) return;
    const now = (this.byKey.get(key) ?? 1) - 1;
    if (now === 0) this.byKey.delete(key);
    else this.byKey.set(key, now);
  }
}

export class PasswordQueue {
  readonly concurrency: number;
  readonly maxWaiting: number;
  readonly maxPerAddress: number;
  private readonly check: (hash: string, password: string) => Promise<boolean>;
  private readonly anonymous = new Lane();
  private readonly known = new Lane();
  /** Turns the known lane took in a row from the shared checks while anonymous sign-ins waited. */
  private knownStreak = 0;

  constructor(options: PasswordQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
    this.maxWaiting = Math.max(0, options.maxWaiting ?? 16 * this.concurrency);
    this.maxPerAddress = Math.max(1, options.maxPerAddress ?? 2);
    this.check = options.verify ?? argon2Verify;
  }

  /** Sign-ins in the queue now (running or waiting, both lanes), for tests and metrics. */
  get size(): number {
    return this.anonymous.places + this.known.places;
  }

  /**
   * A place in the queue for a sign-in from `address` (its bucket; none when the address is
   * unknown), or null when its lane is full or the address holds its share already (answer
   * "busy" without checking anything). `knownUser`: the user a verified device mark names, when
   * the sign-in is for that user; it takes a place in the known lane, counted per user.
   */
  enter(address?: string, knownUser?: string): QueuePlace | null {
    const lane = knownUser === undefined ? this.anonymous : this.known;
    const key = knownUser ?? address;
    if (!lane.take(key, this.concurrency + this.maxWaiting, this.maxPerAddress)) return null;
    let left = false;
    return {
      verify: (hash, password) => this.inTurn(lane, hash, password),
      leave: () => {
        if (left) return;
        left = true;
        lane.give(key);
      },
    };
  }

  private async inTurn(lane: Lane, hash: string, password: string): Promise<boolean> {
    await new Promise<void>((resolve) => {
      lane.turns.push(resolve);
      this.startChecks();
    });
    try {
      return await this.check(hash, password);
    } catch {
      return false;
    } finally {
      lane.running--;
      this.startChecks();
    }
  }

  /**
   * Start the waiting checks there is room for. `concurrency` checks are shared by both lanes;
   * one more is the known lane's own, so a known sign-in never waits behind an anonymous check.
   * Of the shared ones the known lane takes its waiters first, but not more than three turns in a
   * row while anonymous sign-ins wait.
   */
  private startChecks(): void {
    const { known, anonymous } = this;
    for (;;) {
      // Shared checks in use: every anonymous one, and the known ones beyond the first.
      const shared = anonymous.running + Math.max(0, known.running - 1);
      const anonymousWaits = anonymous.turns.length > 0;
      const anonymousMay = anonymousWaits && shared < this.concurrency;
      const knownOwn = known.turns.length > 0 && known.running === 0;
      const knownShared = known.turns.length > 0 && known.running > 0 && shared < this.concurrency;
      let lane: Lane;
      if (knownOwn) lane = known;
      else if (knownShared && (!anonymousMay || this.knownStreak < KNOWN_TURNS_IN_A_ROW)) {
        this.knownStreak = anonymousWaits ? this.knownStreak + 1 : 0;
        lane = known;
      } else if (anonymousMay) {
        this.knownStreak = 0;
        lane = anonymous;
      } else return;
      lane.running++;
      lane.turns.shift()?.();
    }
  }
}
