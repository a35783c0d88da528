/**
 * How an administration command (`idcenter apply`, `user …`, `sessions …`, `audit …`,
 * `store sweep`, `credential-keys adopt`) reaches the store the server uses: it opens a context
 * on it here (no server lock; WAL lets both work) and calls use cases of `app/` with it. The
 * command never queries the store itself: what it reads and writes is a use case here.
 */
import { openStore, StoreError } from '../storage/db.ts';
import { type AppContext, createAppContext } from './context.ts';

/**
 * A context on the store at `databaseUrl`, with the system clock and randomness and a memory of
 * its own (`memory.ts`). Close it with `closeCommandContext`.
 */
export async function openCommandContext(databaseUrl: string): Promise<AppContext> {
  const store = await openStore(databaseUrl, { poolSize: 2 });
  return createAppContext(store);
}

export function closeCommandContext(ctx: AppContext): Promise<void> {
  return ctx.store.close();
}

/** Run `fn` with a context on the store at `databaseUrl`, closing the store however it ends. */
export async function withCommandContext<T>(
  databaseUrl: string,
  fn: (ctx: AppContext) => Promise<T>,
): Promise<T> {
  const ctx = await openCommandContext(databaseUrl);
  try {
    return await fn(ctx);
  } finally {
    await closeCommandContext(ctx);
  }
}

/** Whether `err` is the store's own refusal (a bad URL, a store newer than this build…), already one line. */
export function isStoreError(err: unknown): err is Error {
  return err instanceof StoreError;
}
