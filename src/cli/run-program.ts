/** Parse and run a program: help and version exit 0, usage errors 252, other errors as `reportError` says. */
import { type Command, CommanderError } from 'commander';
import { reportError } from './errors.ts';

export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors use the AWS CLI v2 code for command syntax.
      process.exitCode = err.exitCode === 0 ? 0 : 252;
      return;
    }
    process.exitCode = reportError(err);
  }
}
