/** What `idcenter user reset-mfa` does: open the store the server uses (no server lock) and reset. */
import { resetMfa } from '../../app/auth/mfa.ts';
import { withCommandContext } from '../../app/command-store.ts';
import { findUserByName } from '../../app/users.ts';
import { CliError } from '../errors.ts';
import { textArgument } from '../text-argument.ts';
import { adminConfig } from './admin-config.ts';

export async function runResetMfa(
  userName: string,
  flags: { databaseUrl?: string; dataDir?: string },
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  textArgument('the user name', userName);
  const databaseUrl = adminConfig(flags).databaseUrl;
  await withCommandContext(databaseUrl, async (ctx) => {
    const user = await findUserByName(ctx.store, userName);
    if (!user) throw new CliError(`no user named "${userName}"`, 254);
    const removed = await resetMfa(ctx, user.id, 'cli:user');
    out.write(
      removed > 0
        ? `Removed the MFA device of ${user.user_name}. They sign in with their password and set up a new authenticator when MFA is required.\n`
        : `${user.user_name} had no MFA device; their code-failure lockout was cleared.\n`,
    );
  });
}
