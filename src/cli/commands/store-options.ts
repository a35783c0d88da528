/**
 * The options every administration command shares to find the store the server uses. Kept free
 * of heavy imports: command definitions load at every start of `idcenter`.
 */
import type { Command } from 'commander';

export interface StoreFlags {
  databaseUrl?: string;
  dataDir?: string;
}

export function storeOptions(cmd: Command): Command {
  return cmd
    .option('--database-url <url>', 'store to use: postgres://… or sqlite:<file> [env IDCENTER_DATABASE_URL]')
    .option(
      '--data-dir <dir>',
      'data directory holding the SQLite store [env IDCENTER_DATA_DIR, default ./data]',
    );
}
