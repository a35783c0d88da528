/**
 * What every use case gets: the store and the injected clock and randomness. Built once by
 * the composition root (`http/server.ts`, or a CLI command) and passed down explicitly.
 */
import type { Clock, Random } from '../domain/runtime.ts';
import type { Store } from '../storage/db.ts';

export interface AppContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
}
