/**
 * The client side of SSO, for people: `configure sso | populate | export-credentials`,
 * `sso login | logout | status`, `credential-process`, `exec`, `console`,
 * `sts get-caller-identity`.
 * Definitions only; each action imports its implementation (`../client/run.ts`) when it runs.
 */
import type { Command } from 'commander';

const EXIT_CODES = `
Exit codes:
  0    success
  130  interrupted (Ctrl-C); nothing was written
  252  command syntax (bad flags or arguments)
  253  configuration (config file unreadable, profile or sso-session missing, no region)
  254  service error (the server answered with an error)
  255  other failure (sign-in needed, server unreachable, …)`;

function client() {
  return import('../client/run.ts');
}

export function defineClientCommands(program: Command): void {
  const configure = program
    .command('configure')
    .description(
      'Configure AWS CLI profiles that get credentials from IAM Identity Center (idcenter or AWS).',
    );

  configure
    .command('sso')
    .description(
      'Interactively create or update a profile that signs in with IAM Identity Center, as `aws configure sso` ' +
        'does: SSO session, start URL, region, scopes, sign-in, account, role, client region, output format, profile ' +
        'name. Writes ~/.aws/config (or AWS_CONFIG_FILE); when the server is not AWS it also writes a [services] block ' +
        'so the stock AWS CLI and SDKs reach it with no environment variables.',
    )
    .option('--profile <name>', 'the profile to create or update (otherwise you are asked for a name)')
    .option(
      '--use-device-code',
      'sign in with a device code (for another device) instead of the browser redirect',
    )
    .option('--no-browser', 'do not open a browser; print the URL (and code) instead')
    .option(
      '--endpoint-url <url>',
      'URL of the idcenter server (SSO, SSO OIDC and STS); written to the profile. Not needed when the start URL ' +
        "is an idcenter server's: it is found from the start URL",
    )
    .option(
      '--ca-bundle <file>',
      "the certificate authority of the server's HTTPS certificate (a server started with --tls); written to the profile as ca_bundle",
    )
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .addHelpText(
      'after',
      `\nExample (the demo server of npm start; sign in as alice, choose Management and AdministratorAccess):\n  idcenter configure sso\n    SSO start URL [None]: http://127.0.0.1:7400/start\n  aws sts get-caller-identity --profile AdministratorAccess-111111111111\n${EXIT_CODES}`,
    )
    .action(async (opts) => (await client()).runConfigureSso(opts));

  configure
    .command('populate')
    .description(
      'Write a profile for every account and role you can use through an SSO session. Names come from a template ' +
        'and stay stable; generated profiles are marked so --prune removes those that lost access and never touches ' +
        'hand-written ones.',
    )
    .option('--sso-session <name>', 'the sso-session to use (default: the only one, or that of --profile)')
    .option('--profile <name>', 'use the sso-session of this profile')
    .option('--prune', 'remove generated profiles whose account or role is no longer available')
    .option(
      '--template <text>',
      'profile name template: {account_name} {account_id} {account_email} {role_name} {session}',
      '{account_name}.{role_name}',
    )
    .option(
      '--region <region>',
      'client region for the profiles (default: that of an existing profile, else sso_region)',
    )
    .option('--output <format>', 'output format for the profiles (json, text, table, yaml…)')
    .option(
      '--no-discovery',
      "use only the standard portal API, as against AWS (not idcenter's one-call discovery)",
    )
    .option('--dry-run', 'show what would change without writing')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .addHelpText(
      'after',
      `\nExample:\n  idcenter configure populate --prune --template '{account_name}.{role_name}'\n${EXIT_CODES}`,
    )
    .action(async (opts) => (await client()).runPopulate(opts));

  configure
    .command('export-credentials')
    .description(
      "Print a profile's role credentials for other tools, like `aws configure export-credentials`.",
    )
    .option('--profile <name>', 'the profile (default: AWS_PROFILE, else default)')
    .option('--format <format>', 'process | env | env-no-export | powershell | windows-cmd | fish', 'process')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .addHelpText(
      'after',
      `\nExample:\n  eval "$(idcenter configure export-credentials --profile dev --format env)"\n${EXIT_CODES}`,
    )
    .action(async (opts) => (await client()).runExportCredentials(opts));

  const sso = program.command('sso').description('Sign in to and out of IAM Identity Center sessions.');

  sso
    .command('login')
    .description(
      'Sign in for a profile or sso-session: reuses a valid token (unless --force), refreshes it when it can, ' +
        'otherwise opens the browser (authorization code with PKCE) or shows a device code.',
    )
    .option(
      '--profile <name>',
      'the profile whose SSO session to sign in (default: AWS_PROFILE, else default)',
    )
    .option('--sso-session <name>', 'the sso-session to sign in')
    .option(
      '--use-device-code',
      'sign in with a device code (for another device) instead of the browser redirect',
    )
    .option('--no-browser', 'do not open a browser; print the URL (and code) instead')
    .option('--force', 'sign in again even if the cached token is still valid')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .addHelpText('after', `\nExample:\n  idcenter sso login --profile dev\n${EXIT_CODES}`)
    .action(async (opts) => (await client()).runSsoLogin(opts));

  sso
    .command('logout')
    .description(
      'Sign out of every SSO session: revoke each cached token at its server, delete the cached tokens and the ' +
        'cached role credentials (client registrations stay).',
    )
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .addHelpText('after', EXIT_CODES)
    .action(async (opts) => (await client()).runSsoLogout(opts));

  sso
    .command('status')
    .description(
      'Show every SSO session with its start URL, when its token expires and its cached credentials.',
    )
    .option('--json', 'machine-readable output')
    .option('--debug', 'print debug output to stderr')
    .addHelpText('after', EXIT_CODES)
    .action(async (opts) => (await client()).runSsoStatus(opts));

  program
    .command('credential-process')
    .description(
      "Print a profile's role credentials as credential_process JSON (Version 1, with Expiration), so another " +
        'profile can say: credential_process = idcenter credential-process --profile P',
    )
    .option('--profile <name>', 'the SSO profile (default: AWS_PROFILE, else default)')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .addHelpText('after', EXIT_CODES)
    .action(async (opts) => (await client()).runCredentialProcess(opts));

  program
    .command('exec')
    .description(
      "Run a command with a profile's role credentials in its environment (AWS_ACCESS_KEY_ID, " +
        'AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION, AWS_REGION); exits with its exit code.',
    )
    .option('--profile <name>', 'the SSO profile (default: AWS_PROFILE, else default)')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .argument('<command...>', 'the command and its arguments, after --')
    .addHelpText(
      'after',
      `\nExample:\n  idcenter exec --profile dev -- aws s3 ls\n${EXIT_CODES}\n  other: the command's own exit code`,
    )
    .action(async (command: string[], opts) => (await client()).runExec(opts, command));

  program
    .command('assume')
    .description(
      'Pick an account and role by typing parts of their names (every word must match), then start a shell, or run ' +
        'the command given after --, with its credentials in the environment (as idcenter exec sets them).',
    )
    .option('--profile <name>', 'sign in as this profile does (its sso-session or start URL)')
    .option('--sso-session <name>', 'the sso-session to use')
    .option('--account <id or name>', 'only this account')
    .option('--role <name>', 'only this role')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .argument('[command...]', 'a command to run instead of a shell')
    .addHelpText(
      'after',
      `\nExamples:\n  idcenter assume --sso-session corp              # menu, then a shell\n  idcenter assume --account prod --role Admin -- terraform plan\n${EXIT_CODES}\n  other: the command's (or shell's) own exit code`,
    )
    .action(async (command: string[], opts) => (await client()).runAssume(opts, command));

  program
    .command('ecs-server')
    .description(
      "Serve a profile's role credentials on 127.0.0.1 as the ECS container credentials API, refreshed before they " +
        'expire, for long-running tools: SDKs find them through AWS_CONTAINER_CREDENTIALS_FULL_URI and ' +
        'AWS_CONTAINER_AUTHORIZATION_TOKEN (printed, or set for the command given after --). Requests without the token are refused.',
    )
    .option('--profile <name>', 'the SSO profile (default: AWS_PROFILE, else default)')
    .option('--port <port>', 'the port on 127.0.0.1 (default: any free port)')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .argument('[command...]', 'a command to run with the variables set; the server stops when it exits')
    .addHelpText(
      'after',
      `\nExamples:\n  idcenter ecs-server --profile dev -- code .\n  idcenter ecs-server --profile dev        # prints the variables to set; serves until Ctrl-C\n${EXIT_CODES}\n  other: the command's own exit code`,
    )
    .action(async (command: string[], opts) => (await client()).runEcsServer(opts, command));

  program
    .command('console')
    .description(
      "Open the AWS Management Console as a profile's role, for an account idcenter federates with AWS through " +
        'SAML: the server makes a one-time sign-in link (it works once, within a minute) and the browser opens it.',
    )
    .option('--profile <name>', 'the SSO profile (default: AWS_PROFILE, else default)')
    .option(
      '--destination <url>',
      'the console page to open (https on the partition’s console host), e.g. https://console.aws.amazon.com/s3/home',
    )
    .option('--no-browser', 'do not open a browser; print the link instead')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .addHelpText(
      'after',
      `\nExample:\n  idcenter console --profile prod\n  idcenter console --profile prod --no-browser --destination https://console.aws.amazon.com/s3/home\n${EXIT_CODES}`,
    )
    .action(async (opts) => (await client()).runConsole(opts));

  program
    .command('sts')
    .description('STS calls with a profile’s credentials.')
    .command('get-caller-identity')
    .description('Show which identity the profile’s credentials belong to.')
    .option('--profile <name>', 'the SSO profile (default: AWS_PROFILE, else default)')
    .option('--region <region>', "region for STS (default: the profile's region, AWS_REGION)")
    .option('--output <format>', 'json | text | table (default: the profile’s output, else json)')
    .option('--debug', 'print a wire trace (secrets redacted) to stderr')
    .addHelpText('after', EXIT_CODES)
    .action(async (opts) => (await client()).runGetCallerIdentity(opts));
}
