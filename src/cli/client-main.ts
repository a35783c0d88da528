/**
 * The client alone: the `idcenter` that people who only sign in install (packages/client, or
 * the single file a server serves at `/client/idcenter.cjs`). Its commands are the client
 * commands of the full `idcenter` (commands/client.ts), which talk to a server over HTTP only, so
 * this entry bundles into one file with no native module and nothing of the server
 * (docs/client-install.md).
 */
import { Command } from 'commander';
import { defineClientCommands } from './commands/client.ts';
import { runProgram } from './run-program.ts';
import { VERSION } from './version.ts';

export function buildClientProgram(): Command {
  const program = new Command('idcenter')
    .description(
      'The idcenter client: sign in to IAM Identity Center (an idcenter server or AWS), configure AWS CLI ' +
        'profiles, and hand role credentials to other tools. The server and its administration commands ' +
        'come with the full idcenter package.',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  defineClientCommands(program);
  return program;
}

void runProgram(buildClientProgram(), process.argv);
