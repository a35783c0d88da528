/**
 * `idcenter store sweep`: delete now what the server's expiry sweep deletes every
 * `IDCENTER_SWEEP_INTERVAL` (for a store no server sweeps, or to see what goes). Works while
 * servers run. The implementation loads only when the command runs (`store-run.ts`).
 */
import type { Command } from 'commander';
import { type StoreFlags, storeOptions } from './store-options.ts';

export function defineStoreCommands(program: Command): void {
  const store = program.command('store').description('Maintain the store the servers share.');
  storeOptions(
    store
      .command('sweep')
      .description(
        'Delete what can never be used again, as servers do every IDCENTER_SWEEP_INTERVAL: device authorizations, authorization codes, access and refresh tokens, sign-ins and client registrations more than a day past their expiry, throttle counters that no longer matter, and revocations that outlived every credential they covered. Never the audit log (see idcenter audit prune). Rows go 1,000 per statement while servers run; prints how many of each kind went.',
      ),
  ).action(async (opts: StoreFlags) => {
    const { runStoreSweep } = await import('./store-run.ts');
    await runStoreSweep(opts);
  });
}
