/**
 * The `idcenter` command. This file stays small and imports nothing heavy: each command's
 * definition lives in `commands/` and loads its implementation only when it runs, so
 * `idcenter --version` and `--help` start fast.
 */
import { Command } from 'commander';
import { defineAdminCommands } from './commands/admin.ts';
import { defineAuthAdminCommands } from './commands/auth-admin.ts';
import { defineAwsCommands } from './commands/aws.ts';
import { defineBackupCommands } from './commands/backup.ts';
import { defineClientCommands } from './commands/client.ts';
import { defineCredentialKeyCommands } from './commands/credential-keys.ts';
import { defineDirectoryCommands } from './commands/directory.ts';
import { defineServerCommand } from './commands/server.ts';
import { defineSessionCommands } from './commands/sessions.ts';
import { defineStoreCommands } from './commands/store.ts';
import { runProgram } from './run-program.ts';
import { VERSION } from './version.ts';

export function buildProgram(): Command {
  const program = new Command('idcenter')
    .description(
      'A self-hostable IAM Identity Center: the server, its administration, and the client side of SSO.',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  defineServerCommand(program);
  defineAdminCommands(program);
  defineAuthAdminCommands(program);
  defineSessionCommands(program);
  defineCredentialKeyCommands(program);
  defineBackupCommands(program);
  defineStoreCommands(program);
  defineDirectoryCommands(program);
  defineAwsCommands(program);
  defineClientCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
