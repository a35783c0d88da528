/**
 * The options every administration command shares to find the store the server uses (and the
 * data directory, for commands that only need that). Kept free of heavy imports: command
 * definitions load at every start of `idcenter`.
 */
import type { Command } from 'commander';

export interface DataDirFlags {
  dataDir?: string;
}

export interface StoreFlags extends DataDirFlags {
  databaseUrl?: string;
}

/** `--data-dir`, resolved like the server's; `holding` says what the command reads there. */
export function dataDirOption(cmd: Command, holding = 'the SQLite store'): Command {
  return cmd.option(
    '--data-dir <dir>',
    `data directory holding ${holding} [env IDCENTER_DATA_DIR, default ./data]`,
  );
}

export function storeOptions(cmd: Command): Command {
  return dataDirOption(
    cmd.option(
      '--database-url <url>',
      'store to use: postgres://… or sqlite:<file> [env IDCENTER_DATABASE_URL]',
    ),
  );
}
