/**
 * One place that turns an error into what a person reads and an exit code (AWS CLI v2 codes:
 * 252 syntax, 253 configuration, 254 service error, 255 other, 130 interrupted).
 *
 * Config and store errors are recognised by name, not `instanceof`: importing their modules
 * would load zod, kysely and the database drivers into every start of the command.
 */
import { DomainError } from '../domain/errors.ts';

/** An error whose message is meant for the person at the terminal, with its exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 255) {
    super(message);
    this.exitCode = exitCode;
    this.name = 'CliError';
  }
}

export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  const name = err && typeof err === 'object' ? (err as { name?: unknown }).name : undefined;
  // Errors of settings and the files they name (keys, certificates): the message says which.
  if (
    name === 'ConfigError' ||
    name === 'StoreError' ||
    name === 'SamlKeyError' ||
    name === 'WebIdentityKeyError' ||
    name === 'TlsError' ||
    name === 'ListenError'
  ) {
    stderr.write(`idcenter: ${(err as Error).message}\n`);
    return 253;
  }
  if (err instanceof CliError) {
    stderr.write(`idcenter: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof DomainError) {
    stderr.write(`idcenter: ${err.message}\n`);
    return 254;
  }
  if (err && typeof err === 'object' && (err as { name?: string }).name === 'ExitPromptError') {
    stderr.write('\nidcenter: cancelled; nothing was written.\n');
    return 130;
  }
  const e = err as Error;
  stderr.write(`idcenter: unexpected error: ${e?.message ?? String(err)}\n`);
  if (process.env.IDCENTER_DEBUG) stderr.write(`${e?.stack ?? ''}\n`);
  return 255;
}
