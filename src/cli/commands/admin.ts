/**
 * Administration commands that work on the store directly: `idcenter apply` and `idcenter
 * export` (organization as code) and `idcenter user set-password|disable|enable`. They open the store from the same
 * settings as the server (flags, then IDCENTER_* variables) and may run while a server uses it.
 * Implementations load only when a command runs (`admin-run.ts`).
 */
import type { Command } from 'commander';
import { type StoreFlags, storeOptions } from './store-options.ts';

export type { StoreFlags };

export interface ApplyFlags extends StoreFlags {
  file: string;
  dryRun?: boolean;
  prune?: boolean;
  samlMetadata?: string;
  publicUrl?: string;
}

export function defineAdminCommands(program: Command): void {
  storeOptions(
    program
      .command('apply')
      .description(
        'Reconcile the store to an organization file (accounts, OUs, groups, users, permission sets, assignments): print the plan, then apply it in one transaction. Re-applying the same file changes nothing. For accounts with access: aws it also provisions IAM there (the SAML provider, one role per permission set assigned), with a credential from the AWS default chain or federation.provisioning.profile, assuming federation.provisioning.roleName in other accounts; run it with the server settings (IDCENTER_PUBLIC_URL, the data directory or IDCENTER_SAML_*) or give --saml-metadata.',
      )
      .requiredOption('-f, --file <file>', 'the organization file (YAML); - reads it from stdin')
      .option('--dry-run', 'print the plan (IAM changes and changes made by hand included) and write nothing')
      .option(
        '--prune',
        'also delete what the store has and the file does not, and the IAM roles and providers idcenter made that it no longer names (otherwise only listed)',
      )
      .option(
        '--saml-metadata <file>',
        "the server's SAML metadata for the IAM SAML providers (GET /saml/metadata or idcenter aws metadata); default: made from the server settings, like idcenter aws metadata",
      )
      .option(
        '--public-url <url>',
        'the URL clients use to reach the server, for the SAML entity id [env IDCENTER_PUBLIC_URL]',
      ),
  ).action(async (opts: ApplyFlags) => {
    const { runApply } = await import('./admin-run.ts');
    await runApply(opts);
  });

  storeOptions(
    program
      .command('export')
      .description(
        'Write the store’s organization as an organization file that idcenter apply accepts: accounts, OUs (as the accounts’ ou paths), groups with their external ids, users with their groups, identitystore attributes and external ids, permission sets, administrators, assignments (an OU where a principal has a permission set in every account under it), the identity source and federation settings. Applying it to this store changes nothing; applying it to an empty store gives the same organization. Secrets are never written (no passwords, no bind password, no provisioning external id); users and groups of a directory are not written as local ones (they come from the identity source), and the comment lines at the top say what else the file cannot hold. Sorted, so two exports of one store are the same bytes.',
      )
      .option('-o, --output <file>', 'write the file here (atomically, mode 0600) instead of standard output')
      .addHelpText(
        'after',
        '\nExamples:\n  idcenter export --output org.yaml\n  idcenter apply -f org.yaml --dry-run     # No changes.\n  idcenter export | diff org.yaml -        # what changed since',
      ),
  ).action(async (opts: { output?: string } & StoreFlags) => {
    const { runExport } = await import('./export-run.ts');
    await runExport(opts);
  });

  const admin = program
    .command('admin')
    .description('The administrators of the admin APIs (identitystore, sso-admin, organizations).');
  storeOptions(
    admin
      .command('grant')
      .description(
        "Make a user an administrator from the server host: the permission set becomes one of the administrators' (its role credentials may call the admin APIs, as far as its policies allow) and the user is assigned it in the account. The user, account and permission set must exist. The organization file's administrators.permissionSets says the same for apply.",
      )
      .requiredOption('--user <user>', 'user name (case-insensitive)')
      .requiredOption('--account <id>', 'the 12-digit account id the user takes the role in')
      .requiredOption('--permission-set <name>', 'permission-set name (case-insensitive)'),
  ).action(async (opts: { user: string; account: string; permissionSet: string } & StoreFlags) => {
    const { runAdminGrant } = await import('./admin-run.ts');
    await runAdminGrant(opts);
  });

  const user = program.command('user').description('Administer one user of the identity store.');
  storeOptions(
    user
      .command('set-password')
      .description(
        'Set a user’s password: asked twice on a terminal, or read as one line from stdin with --stdin. Clears a password lockout.',
      )
      .argument('<user>', 'user name (case-insensitive)')
      .option('--stdin', 'read the password as one line from standard input'),
  ).action(async (userName: string, opts: { stdin?: boolean } & StoreFlags) => {
    const { runSetPassword } = await import('./admin-run.ts');
    await runSetPassword(userName, opts);
  });
  storeOptions(
    user
      .command('disable')
      .description(
        'Disable a user: no new sign-ins, and their portal sessions, tokens, pending sign-ins and role credentials are revoked.',
      )
      .argument('<user>', 'user name (case-insensitive)'),
  ).action(async (userName: string, opts: StoreFlags) => {
    const { runSetEnabled } = await import('./admin-run.ts');
    await runSetEnabled(userName, false, opts);
  });
  storeOptions(
    user
      .command('sso-token')
      .description(
        'Sign a user in without a browser and write the AWS SSO token cache (~/.aws/sso/cache), as a finished ' +
          '`aws sso login` does, so the AWS CLI, boto3 and the SDKs work at once: for CI. Works on the store, on the ' +
          'server host; audited. The sign-in ends like any other (sessions revoke, its expiry).',
      )
      .argument('<user>', 'user name (case-insensitive)')
      .option(
        '--sso-session <name>',
        'the sso-session of ~/.aws/config the token is for (it gets a refresh token)',
      )
      .option('--start-url <url>', "the start URL in the token (default: the server's, <public URL>/start)")
      .option(
        '--region <region>',
        "the SSO region in the token (default: the server's) [env IDCENTER_REGION]",
      )
      .option('--public-url <url>', 'the URL clients use to reach the server [env IDCENTER_PUBLIC_URL]')
      .addHelpText(
        'after',
        '\nExample:\n  idcenter user sso-token alice --sso-session ci --data-dir ./data\n  aws sts get-caller-identity --profile ci',
      ),
  ).action(async (userName: string, opts: import('./sso-token-run.ts').SsoTokenFlags) => {
    const { runSsoToken } = await import('./sso-token-run.ts');
    await runSsoToken(userName, opts);
  });
  storeOptions(
    user
      .command('enable')
      .description('Enable a disabled user; they sign in again.')
      .argument('<user>', 'user name (case-insensitive)'),
  ).action(async (userName: string, opts: StoreFlags) => {
    const { runSetEnabled } = await import('./admin-run.ts');
    await runSetEnabled(userName, true, opts);
  });
}
