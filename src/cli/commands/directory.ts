/**
 * `idcenter directory sync`: read users and groups from the identity source (Active Directory
 * or LDAP, `identitySource:` of the organization file) and bring the store in line, as servers
 * do every `syncInterval`. The implementation loads only when the command runs
 * (`directory-run.ts`).
 */
import type { Command } from 'commander';
import { type StoreFlags, storeOptions } from './store-options.ts';

export interface DirectorySyncFlags extends StoreFlags {
  full?: boolean;
  dryRun?: boolean;
  force?: boolean;
}

export function defineDirectoryCommands(program: Command): void {
  const directory = program
    .command('directory')
    .description('Users and groups from Active Directory or LDAP (identitySource in the organization file).');
  storeOptions(
    directory
      .command('sync')
      .description(
        'Read users, groups and memberships from the directory and bring the store in line: new users and groups are added, changed ones updated, users disabled in the directory (or, on a full sync, gone from it) are disabled here with their sessions, tokens and role credentials ended. Without --full, reads only the users changed since the last sync, unless a full sync is due. Refuses, changing nothing, when it would disable more users than identitySource.deletionGuard allows, unless --force. The bind password comes from the variable named in identitySource.bindPasswordEnv.',
      )
      .option('--full', 'read every user, and disable those gone from the directory')
      .option('--dry-run', 'read and print what would change; write nothing')
      .option(
        '--force',
        'go past the deletion guard this once: disable every user the directory disabled or lost, however many (warned in the output and the audit log as directory.sync_forced)',
      ),
  ).action(async (opts: DirectorySyncFlags) => {
    const { runDirectorySync } = await import('./directory-run.ts');
    await runDirectorySync(opts);
  });
}
