/**
 * `idcenter credential-keys list|rotate|prune|adopt`: the keys that seal role-credential
 * session tokens, kept in `<data dir>/credential-keys.json` when IDCENTER_CREDENTIAL_KEYS is not
 * set.
 * Running servers that read the file pick a change up within a second. The implementation loads
 * only when a command runs (`credential-keys-run.ts`).
 */
import type { Command } from 'commander';
import { type DataDirFlags, dataDirOption, type StoreFlags, storeOptions } from './store-options.ts';

const HOLDING = 'credential-keys.json';

export function defineCredentialKeyCommands(program: Command): void {
  const keys = program
    .command('credential-keys')
    .description(
      'The keys that seal role-credential session tokens: list them, put a new sealing key first, remove retired ones.',
    );

  dataDirOption(
    keys
      .command('list')
      .description(
        'List the keys: id, whether it seals new tokens (the first) and when it was created. Secrets are never printed. With IDCENTER_CREDENTIAL_KEYS set, lists the ids configured there.',
      )
      .option('--json', 'print one JSON object: {"source","file","keys":[{"id","seals","createdAt"}]}'),
    HOLDING,
  ).action(async (opts: DataDirFlags & { json?: boolean }) => {
    const { runKeysList } = await import('./credential-keys-run.ts');
    runKeysList(opts);
  });

  dataDirOption(
    keys
      .command('rotate')
      .description(
        'Put a new sealing key first in the key file (written atomically, mode 0600). Running servers seal with it within a second; older keys keep opening the tokens they sealed until pruned.',
      ),
    HOLDING,
  ).action(async (opts: DataDirFlags) => {
    const { runKeysRotate } = await import('./credential-keys-run.ts');
    runKeysRotate(opts);
  });

  dataDirOption(
    keys
      .command('prune')
      .description(
        'Remove keys that stopped sealing long enough ago that no token they sealed is still valid. A key stops sealing when the key listed before it is created; the sealing key is never removed. Tokens sealed under a removed key are refused (InvalidClientTokenId).',
      )
      .option(
        '--older-than <duration>',
        'how long ago a key must have stopped sealing (e.g. 12h, 1d, 90m, 0s) [default: 12h, the longest credential lifetime]',
      )
      .option('--dry-run', 'print what would be removed and write nothing'),
    HOLDING,
  ).action(async (opts: DataDirFlags & { olderThan?: string; dryRun?: boolean }) => {
    const { runKeysPrune } = await import('./credential-keys-run.ts');
    runKeysPrune(opts);
  });

  storeOptions(
    keys
      .command('adopt')
      .description(
        "Make the keys now given (the key file, made with a new key when missing, or IDCENTER_CREDENTIAL_KEYS) the store's keys. A server refuses to start with keys that include none of the ones its store recorded (a database restored without its key file); adopting lets it start, and every credential sealed under a key not given stops verifying.",
      ),
  ).action(async (opts: StoreFlags) => {
    const { runKeysAdopt } = await import('./credential-keys-run.ts');
    await runKeysAdopt(opts);
  });
}
