/**
 * `idcenter backup` and `idcenter restore`: the SQLite store with its credential keys and TLS
 * files in one archive, and back. The implementation loads only when a command runs
 * (`backup-run.ts`).
 */
import type { Command } from 'commander';
import { type StoreFlags, storeOptions } from './store-options.ts';

export function defineBackupCommands(program: Command): void {
  storeOptions(
    program
      .command('backup')
      .description(
        'Write one archive (tar.gz, mode 0600) with the SQLite store, copied online while servers run, the credential key file and the generated TLS files: everything a server needs to start again with every sign-in and credential working. It holds password hashes and keys: keep it as private as the data directory. A PostgreSQL store is backed up with pg_dump (the command prints how).',
      )
      .option('-o, --output <file>', 'the archive to write [default: ./idcenter-backup-<UTC time>.tar.gz]')
      .option('--force', 'replace the output file if it exists'),
  ).action(async (opts: StoreFlags & { output?: string; force?: boolean }) => {
    const { runBackup } = await import('./backup-run.ts');
    await runBackup(opts);
  });

  storeOptions(
    program
      .command('restore')
      .description(
        'Put an archive made by idcenter backup back into the data directory (modes 0700/0600). Refuses while a server runs on it, refuses to replace a store unless --force, and refuses an archive whose credential keys are missing. What happened after the backup is gone, revocations included: add --revoke-issued-before-now (or run idcenter sessions revoke --all) to cut every sign-in and credential issued before the restore.',
      )
      .argument('<archive>', 'the archive written by idcenter backup')
      .option('--force', 'replace the store and key file the data directory has')
      .option(
        '--revoke-issued-before-now',
        'end every session and token and stop every role credential issued before now (users sign in again)',
      ),
  ).action(
    async (archive: string, opts: StoreFlags & { force?: boolean; revokeIssuedBeforeNow?: boolean }) => {
      const { runRestore } = await import('./backup-run.ts');
      await runRestore(archive, opts);
    },
  );
}
