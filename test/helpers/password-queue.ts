/**
 * A password queue small enough to fill in a test: one check at a time and one waiting. While it
 * is held, the checks it is told to hold wait until it is released, so a test can fill the queue
 * and see what is let in, refused and checked, in order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { verify } from '@node-rs/argon2';
import { PasswordQueue } from '../../src/app/auth/password-queue.ts';

export interface HeldQueue {
  queue: PasswordQueue;
  /** The passwords checked, in the order their checks started. */
  checked: string[];
  /** From now on, the checks `holds` names wait for `release`. */
  hold(): void;
  release(): void;
  /** Waits (a bounded while) until `size` sign-ins are in the queue and `started` checks have begun. */
  filled(size: number, started?: number): Promise<void>;
}

/** `holds`: which passwords' checks wait while the queue is held (all by default). */
export function heldPasswordQueue(holds: (password: string) => boolean = () => true): HeldQueue {
  const checked: string[] = [];
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  const queue = new PasswordQueue({
    concurrency: 1,
    maxWaiting: 1,
    verify: async (hash, password) => {
      checked.push(password);
      if (gate && holds(password)) await gate;
      return verify(hash, password);
    },
  });
  return {
    queue,
    checked,
    hold() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release() {
      open();
    },
    async filled(size, started = 0) {
      for (let i = 0; i < 500 && (queue.size < size || checked.length < started); i++) await sleep(5);
    },
  };
}
