/**
 * The configuration an administration command works with: the server's settings (flags, then
 * IDCENTER_* variables), of which these commands only give the store's location. They never take
 * the server lock: SQLite's WAL and PostgreSQL let them run beside servers.
 */
import { ConfigError, loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { CliError } from '../errors.ts';
import type { StoreFlags } from './store-options.ts';

export function adminConfig(flags: StoreFlags & { publicUrl?: string; region?: string }): Config {
  try {
    return loadConfig(
      {
        ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
        ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
        ...(flags.publicUrl !== undefined ? { publicUrl: flags.publicUrl } : {}),
        ...(flags.region !== undefined ? { region: flags.region } : {}),
      },
      process.env,
    );
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(`invalid configuration: ${err.problems.join('; ')}`, 253);
    throw err;
  }
}
