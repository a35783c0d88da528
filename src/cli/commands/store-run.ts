/** What `idcenter store sweep` does. */
import { type SweepKind, sweepExpired, sweptTotal } from '../../app/expiry-sweep.ts';
import { systemClock, systemRandom } from '../../domain/runtime.ts';
import { openStore } from '../../storage/db.ts';
import { adminConfig } from './admin-config.ts';
import type { StoreFlags } from './store-options.ts';
import { table } from './text-table.ts';

/** Each kind as the output names it. */
const KIND_NAMES: Record<SweepKind, string> = {
  deviceAuthorizations: 'device authorizations',
  authorizationCodes: 'authorization codes',
  accessTokens: 'access tokens',
  refreshTokens: 'refresh tokens',
  tokenFamilies: 'token families',
  portalSessions: 'sign-in sessions',
  clientRegistrations: 'client registrations',
  throttles: 'throttle counters',
  revocations: 'revocations',
};

export async function runStoreSweep(
  opts: StoreFlags,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const config = adminConfig(opts);
  const store = await openStore(config.databaseUrl, { poolSize: 2 });
  try {
    const result = await sweepExpired({ store, clock: systemClock, random: systemRandom });
    if (result.skipped) {
      out.write('Another process is sweeping this store right now; nothing to do.\n');
      return;
    }
    const total = sweptTotal(result.counts);
    const rows = [['KIND', 'DELETED']];
    for (const [kind, n] of Object.entries(result.counts))
      rows.push([KIND_NAMES[kind as SweepKind], String(n)]);
    out.write(`${table(rows)}\n`);
    out.write(
      `Deleted ${total} row${total === 1 ? '' : 's'} that can never be used again (more than a day past their expiry).\n`,
    );
  } finally {
    await store.close();
  }
}
