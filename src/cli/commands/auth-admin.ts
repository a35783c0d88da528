/**
 * Sign-in administration: `idcenter user reset-mfa USER` — the recovery path when someone loses
 * their authenticator. The `user` command group is shared with admin.ts (whichever defines it
 * first creates it). The implementation loads only when the command runs.
 */
import type { Command } from 'commander';
import { type StoreFlags, storeOptions } from './store-options.ts';

export function defineAuthAdminCommands(program: Command): void {
  const user =
    program.commands.find((c) => c.name() === 'user') ??
    program.command('user').description('Administer one user of the identity store.');
  storeOptions(user.command('reset-mfa'))
    .description(
      'Remove every MFA device of a user and clear their code-failure lockout. They sign in with their password and, if the instance requires MFA, set up a new authenticator at that sign-in.',
    )
    .argument('<user>', 'user name (case-insensitive)')
    .action(async (userName: string, opts: StoreFlags) => {
      const { runResetMfa } = await import('./auth-admin-run.ts');
      await runResetMfa(userName, opts);
    });
}
