/**
 * What every use case gets: the store, the injected clock and randomness, and what this server
 * (or command) keeps in memory between calls (`memory.ts`). Built once by the composition root
 * (`http/server.ts`, or a CLI command through `command-store.ts`) with `createAppContext` and
 * passed down explicitly; nothing of it lives in a module.
 */
import { type Clock, type Random, systemClock, systemRandom } from '../domain/runtime.ts';
import type { Store } from '../storage/db.ts';
import { type ContextMemory, createMemory, type MemoryOptions } from './memory.ts';

export interface AppContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly memory: ContextMemory;
}

export interface ContextOptions extends MemoryOptions {
  clock?: Clock;
  random?: Random;
}

/** A context on an open store, with the system clock and randomness unless given others. */
export function createAppContext(store: Store, options: ContextOptions = {}): AppContext {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  return { store, clock, random, memory: createMemory(store, clock, random, options) };
}
