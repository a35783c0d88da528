/** What `idcenter store sweep` does. */

import { withCommandContext } from '../../app/command-store.ts';
import { type SweepKind, sweepExpired, sweptTotal } from '../../app/expiry-sweep.ts';
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
  consoleLinks: 'console sign-in links',
};

export async function runStoreSweep(
  opts: StoreFlags,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const config = adminConfig(opts);
  await withCommandContext(config.databaseUrl, async (ctx) => {
    const result = await sweepExpired(ctx);
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
  });
}
