/**
 * The client commands' entry points, called (lazily imported) from `commands/client.ts`: each
 * opens the process I/O and a context, runs, and turns Ctrl-C into exit code 130 with the
 * terminal restored.
 */
import { CliError } from '../errors.ts';
import { assumeRole, choiceLabel } from './assume.ts';
import { resolveSsoProfile, type SsoProfile, selectedProfile, str } from './aws-config.ts';
import { configureSso } from './configure-sso.ts';
import { openConsole } from './console.ts';
import { type ClientContext, withContext } from './context.ts';
import { roleCredentials } from './credentials.ts';
import { containerEnv, startEcsServer } from './ecs-server.ts';
import { endpointProfile, resolveEndpoint } from './endpoints.ts';
import { execEnv, runCommand } from './exec.ts';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportTarget,
  formatCredentials,
  processJson,
} from './export-formats.ts';
import { EXIT_SERVICE, ServiceError } from './http.ts';
import { type ClientIO, processIO } from './io.ts';
import { populate, printPopulateResult } from './populate.ts';
import { createPrompter, EXIT_INTERRUPTED, type Prompter } from './prompt.ts';
import { printStatus, ssoLogin, ssoLogout, ssoStatusRows } from './sso-commands.ts';
import { getCallerIdentity } from './sts.ts';

interface Common {
  debug?: boolean;
}

function onInterrupt(cleanup: () => void): () => void {
  const handler = () => {
    cleanup();
    process.stderr.write('\nidcenter: cancelled; the config file was not changed.\n');
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

async function run<T>(
  opts: Common,
  profile: string | undefined,
  fn: (ctx: ClientContext, io: ClientIO) => Promise<T>,
): Promise<T> {
  const io = processIO({ debug: Boolean(opts.debug) });
  const off = onInterrupt(() => {});
  try {
    return await withContext(io, profile, (ctx) => fn(ctx, io));
  } finally {
    off();
  }
}

export async function runConfigureSso(
  opts: Common & {
    profile?: string;
    useDeviceCode?: boolean;
    browser?: boolean;
    endpointUrl?: string;
    caBundle?: string;
  },
): Promise<void> {
  const base = processIO({ debug: Boolean(opts.debug) });
  // The bundle given on the command line is trusted as AWS_CA_BUNDLE is, and written to the profile.
  const io = opts.caBundle ? { ...base, env: { ...base.env, AWS_CA_BUNDLE: opts.caBundle } } : base;
  let prompter: Prompter | undefined;
  const off = onInterrupt(() => prompter?.close());
  try {
    await withContext(io, opts.profile, async (ctx) => {
      prompter = createPrompter(process.stdin, process.stdout);
      try {
        await configureSso(ctx, prompter, {
          profile: opts.profile,
          useDeviceCode: opts.useDeviceCode,
          noBrowser: opts.browser === false,
          endpointUrl: opts.endpointUrl,
        });
      } finally {
        prompter.close();
      }
    });
  } finally {
    off();
  }
}

export async function runSsoLogin(
  opts: Common & {
    profile?: string;
    ssoSession?: string;
    useDeviceCode?: boolean;
    browser?: boolean;
    force?: boolean;
  },
): Promise<void> {
  if (opts.profile !== undefined && opts.ssoSession !== undefined) {
    throw new CliError('use either --profile or --sso-session, not both', 252);
  }
  await run(opts, opts.profile, (ctx) =>
    ssoLogin(ctx, {
      profile: opts.profile,
      ssoSession: opts.ssoSession,
      useDeviceCode: opts.useDeviceCode,
      noBrowser: opts.browser === false,
      force: opts.force,
    }),
  );
}

export async function runSsoLogout(opts: Common): Promise<void> {
  await run(opts, undefined, (ctx) => ssoLogout(ctx));
}

export async function runSsoStatus(opts: Common & { json?: boolean }): Promise<void> {
  await run(opts, undefined, async (ctx) => printStatus(ctx, await ssoStatusRows(ctx), Boolean(opts.json)));
}

export async function runPopulate(
  opts: Common & {
    ssoSession?: string;
    profile?: string;
    prune?: boolean;
    template?: string;
    region?: string;
    output?: string;
    discovery?: boolean;
    dryRun?: boolean;
  },
): Promise<void> {
  await run(opts, opts.profile, async (ctx, io) => {
    const r = await populate(ctx, {
      ssoSession: opts.ssoSession,
      profile: opts.profile,
      prune: opts.prune,
      template: opts.template,
      region: opts.region,
      output: opts.output,
      noDiscovery: opts.discovery === false,
      dryRun: opts.dryRun,
    });
    printPopulateResult(io.stdout, r, Boolean(opts.dryRun));
  });
}

async function credentialsOf(ctx: ClientContext, profileName: string) {
  const profile = resolveSsoProfile(ctx.cfg, profileName);
  const creds = await roleCredentials(ctx, profile);
  return { profile, creds };
}

export async function runExportCredentials(
  opts: Common & { profile?: string; format?: string },
): Promise<void> {
  const format = (opts.format ?? 'process') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    throw new CliError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`, 252);
  }
  const io = processIO({ debug: Boolean(opts.debug) });
  const name = selectedProfile(opts.profile, io.env);
  await run(opts, name, async (ctx) => {
    const { profile, creds } = await credentialsOf(ctx, name);
    io.stdout.write(formatCredentials(creds, format, exportTarget(ctx, profile)));
  });
}

/**
 * Where the profile's credentials must be used when only its own server accepts them: the
 * profile sends STS somewhere that is not AWS (a `[services]` block or `endpoint_url`, as
 * `configure sso` writes for idcenter), in its client region. Undefined for AWS credentials.
 */
function exportTarget(ctx: ClientContext, profile: SsoProfile): ExportTarget | undefined {
  const region = profile.clientRegion ?? profile.region;
  const sts = resolveEndpoint('sts', region, {
    env: {},
    cfg: ctx.cfg,
    profile: endpointProfile(ctx.cfg, profile),
  });
  return sts.custom ? { stsEndpoint: sts.url, region } : undefined;
}

export async function runCredentialProcess(opts: Common & { profile?: string }): Promise<void> {
  const io = processIO({ debug: Boolean(opts.debug) });
  const name = selectedProfile(opts.profile, io.env);
  await run(opts, name, async (ctx) => {
    const { creds } = await credentialsOf(ctx, name);
    io.stdout.write(`${processJson(creds)}\n`);
  });
}

export async function runExec(opts: Common & { profile?: string }, command: string[]): Promise<void> {
  const io = processIO({ debug: Boolean(opts.debug) });
  const name = selectedProfile(opts.profile, io.env);
  let env: NodeJS.ProcessEnv | undefined;
  await withContext(io, name, async (ctx) => {
    const { profile, creds } = await credentialsOf(ctx, name);
    const sts = resolveEndpoint('sts', profile.clientRegion ?? profile.region, {
      env: {},
      cfg: ctx.cfg,
      profile: endpointProfile(ctx.cfg, profile),
    });
    env = execEnv(io.env, creds, {
      region: profile.clientRegion,
      stsEndpoint: sts.custom ? sts.url : undefined,
      profileName: name,
    });
  });
  process.exitCode = await runCommand(command, env as NodeJS.ProcessEnv);
}

export async function runGetCallerIdentity(
  opts: Common & { profile?: string; region?: string; output?: string },
): Promise<void> {
  const io = processIO({ debug: Boolean(opts.debug) });
  const name = selectedProfile(opts.profile, io.env);
  await run(opts, name, async (ctx) => {
    const { profile, creds } = await credentialsOf(ctx, name);
    const region =
      opts.region ?? profile.clientRegion ?? (io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined);
    if (!region) {
      throw new CliError(
        `You must specify a region. You can also configure your region by running "idcenter configure sso --profile ${name}" or with --region.`,
        253,
      );
    }
    const endpoint = resolveEndpoint('sts', region, {
      env: io.env,
      cfg: ctx.cfg,
      profile: endpointProfile(ctx.cfg, profile),
    });
    let id: Awaited<ReturnType<typeof getCallerIdentity>>;
    try {
      id = await getCallerIdentity(ctx.http, endpoint.url, region, creds, io.now());
    } catch (err) {
      if (err instanceof ServiceError) throw new CliError(err.message, EXIT_SERVICE);
      throw err;
    }
    const output =
      opts.output ??
      str(ctx.cfg.file.get({ kind: name === 'default' ? 'default' : 'profile', name })?.output) ??
      'json';
    io.stdout.write(formatIdentity(id, output));
  });
}

export function formatIdentity(id: { UserId: string; Account: string; Arn: string }, output: string): string {
  if (output === 'text') return `${id.Account}\t${id.Arn}\t${id.UserId}\n`;
  if (output === 'table') {
    const rows: [string, string][] = [
      ['Account', id.Account],
      ['Arn', id.Arn],
      ['UserId', id.UserId],
    ];
    const k = Math.max(...rows.map((r) => r[0].length));
    const v = Math.max(...rows.map((r) => r[1].length));
    const width = k + v + 5;
    const title = 'GetCallerIdentity';
    const pad = width - 2 - title.length;
    const line = `+${'-'.repeat(width - 2)}+`;
    const out = [
      line,
      `|${' '.repeat(Math.floor(pad / 2))}${title}${' '.repeat(Math.ceil(pad / 2))}|`,
      line,
      ...rows.map(([a, b]) => `|  ${a.padEnd(k)}| ${b.padEnd(v)}|`),
      line,
    ];
    return `${out.join('\n')}\n`;
  }
  return `${JSON.stringify({ UserId: id.UserId, Account: id.Account, Arn: id.Arn }, null, 4)}\n`;
}

export async function runConsole(
  opts: Common & { profile?: string; destination?: string; browser?: boolean },
): Promise<void> {
  const io = processIO({ debug: Boolean(opts.debug) });
  const name = selectedProfile(opts.profile, io.env);
  await run(opts, name, (ctx) =>
    openConsole(ctx, { profile: name, destination: opts.destination, noBrowser: opts.browser === false }),
  );
}

export async function runEcsServer(
  opts: Common & { profile?: string; port?: string },
  command: string[],
): Promise<void> {
  const io = processIO({ debug: Boolean(opts.debug) });
  const name = selectedProfile(opts.profile, io.env);
  const port = opts.port === undefined ? 0 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`--port must be a port number (0-65535), not ${opts.port}`, 252);
  }
  await withContext(io, name, async (ctx) => {
    const profile = resolveSsoProfile(ctx.cfg, name);
    // Credentials now: a profile that cannot get any is said before anything is served.
    await roleCredentials(ctx, profile);
    const target = exportTarget(ctx, profile);
    const region = profile.clientRegion ?? target?.region;
    const server = await startEcsServer(ctx, profile, { port });
    const env = containerEnv(io.env, server, { region, stsEndpoint: target?.stsEndpoint });
    try {
      if (command.length > 0) {
        process.exitCode = await runCommand(command, env);
        return;
      }
      io.stderr.write(
        `Serving the credentials of profile ${name} at ${server.url} until Ctrl-C. For tools, set:\n`,
      );
      const lines = [
        `export AWS_CONTAINER_CREDENTIALS_FULL_URI=${server.url}`,
        `export AWS_CONTAINER_AUTHORIZATION_TOKEN=${server.token}`,
      ];
      if (env.AWS_REGION)
        lines.push(`export AWS_REGION=${env.AWS_REGION}`, `export AWS_DEFAULT_REGION=${env.AWS_REGION}`);
      if (target?.stsEndpoint) lines.push(`export AWS_ENDPOINT_URL_STS=${target.stsEndpoint}`);
      io.stdout.write(`${lines.join('\n')}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    } finally {
      await server.close();
    }
  });
}

export async function runAssume(
  opts: Common & { profile?: string; ssoSession?: string; account?: string; role?: string },
  command: string[],
): Promise<void> {
  if (opts.profile !== undefined && opts.ssoSession !== undefined) {
    throw new CliError('use either --profile or --sso-session, not both', 252);
  }
  const io = processIO({ debug: Boolean(opts.debug) });
  let env: NodeJS.ProcessEnv | undefined;
  let label = '';
  await run(opts, opts.profile, async (ctx) => {
    const { profile, choice, creds } = await assumeRole(
      ctx,
      () => createPrompter(process.stdin, process.stdout),
      {
        profile: opts.profile,
        ssoSession: opts.ssoSession,
        account: opts.account,
        role: opts.role,
      },
    );
    label = choiceLabel(choice);
    const target = exportTarget(ctx, profile);
    env = execEnv(io.env, creds, {
      region: profile.clientRegion,
      stsEndpoint: target?.stsEndpoint,
      profileName: profile.profileName,
    });
    env.IDCENTER_ASSUMED = label;
  });
  if (command.length > 0) {
    process.exitCode = await runCommand(command, env as NodeJS.ProcessEnv);
    return;
  }
  const shell = process.platform === 'win32' ? (io.env.COMSPEC ?? 'cmd.exe') : io.env.SHELL || '/bin/sh';
  io.stderr.write(
    `Starting ${shell} as ${label}; its credentials are in the environment. Exit the shell to leave.\n`,
  );
  process.exitCode = await runCommand([shell], env as NodeJS.ProcessEnv);
}
