/**
 * `idcenter configure sso`: the AWS CLI v2 wizard, prompt for prompt (docs/cli-flow.md,
 * "The configure sso wizard"): session, start URL, region, scopes, sign-in, account, role, client
 * region, output format, profile name. The config file is written once, at the end, so Ctrl-C at
 * any prompt leaves it untouched. When the endpoints in effect are not AWS's, the profile also gets
 * a `[services …]` block so stock AWS tools reach the same server with no environment variables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from '../errors.ts';
import {
  getProfile,
  isValidStartUrl,
  type LoadedConfig,
  parseScopes,
  type SsoTarget,
  saveConfig,
  str,
} from './aws-config.ts';
import { tokenCacheKey } from './cache.ts';
import type { ConfigValue } from './config-file.ts';
import { sectionId } from './config-file.ts';
import type { ClientContext } from './context.ts';
import {
  acceptsStartUrl,
  discoverServer,
  discoveryUrls,
  isAwsStartUrl,
  type ServerConfiguration,
} from './discovery.ts';
import { endpointProfile, resolveEndpoint, type ServiceKey } from './endpoints.ts';
import { ServiceError } from './http.ts';
import { paint } from './io.ts';
import { login } from './login.ts';
import { type AccountInfo, PortalClient } from './portal.ts';
import type { Prompter } from './prompt.ts';
import { ensureToken, LoginRequiredError } from './token.ts';

export interface ConfigureSsoOptions {
  profile?: string | undefined;
  useDeviceCode?: boolean | undefined;
  noBrowser?: boolean | undefined;
  /** Our server's URL: SSO, SSO OIDC and STS calls go there, and the profile says so. */
  endpointUrl?: string | undefined;
  /** The certificate authority file the server's HTTPS certificate was issued by (`--ca-bundle`). */
  caBundle?: string | undefined;
  openUrl?: (url: string) => Promise<boolean>;
}

const DEFAULT_SCOPE = 'sso:account:access';
const NAME_RE = /^[\w\-@+.%:/]+$/;
const NAME_HINT = 'may only contain letters, digits and - _ . @ + % : /';

/** `Text [current]: ` with `None` for no value (docs/cli-flow.md, "Prompts"). */
function q(text: string, current: string | undefined): string {
  return `${text} [${current ?? 'None'}]: `;
}

export function isValidRegion(value: string): boolean {
  return /^[a-z]{2}(-[a-z]+)+-\d+$/.test(value);
}

/** Account menu label (docs/cli-flow.md, "Wizard steps"). */
export function accountLabel(a: AccountInfo): string {
  if (a.accountName === undefined && a.emailAddress === undefined) return a.accountId;
  if (a.emailAddress === undefined) return `${a.accountName} (${a.accountId})`;
  if (a.accountName === undefined) return `${a.emailAddress} (${a.accountId})`;
  return `${a.accountName}, ${a.emailAddress} (${a.accountId})`;
}

/** Sorted by name, else e-mail, else id, case-insensitively; id-only accounts last. */
export function sortAccounts(accounts: readonly AccountInfo[]): AccountInfo[] {
  const key = (a: AccountInfo): [number, string] => {
    const idOnly = a.accountName === undefined && a.emailAddress === undefined ? 1 : 0;
    return [idOnly, (a.accountName ?? a.emailAddress ?? a.accountId).toLowerCase()];
  };
  return [...accounts].sort((x, y) => {
    const [a0, a1] = key(x);
    const [b0, b1] = key(y);
    return a0 - b0 || (a1 < b1 ? -1 : a1 > b1 ? 1 : 0);
  });
}

/** A context with an environment of its own, where discovered endpoints can be put in effect. */
function withEndpointOverride(ctx: ClientContext, url: string | undefined): ClientContext {
  if (url && !isValidStartUrl(url)) throw new CliError(`--endpoint-url ${url} is not an http(s) URL`, 252);
  const env = url
    ? { ...ctx.io.env, AWS_ENDPOINT_URL_SSO: url, AWS_ENDPOINT_URL_SSO_OIDC: url, AWS_ENDPOINT_URL_STS: url }
    : { ...ctx.io.env };
  return { ...ctx, io: { ...ctx.io, env } };
}

/**
 * The idcenter server behind a start URL that is not AWS's (docs/cli.md): its
 * configuration document names its endpoints and region, which are put in effect for this run
 * (so the sign-in goes there and the profile gets a `[services]` block), and the start URLs it
 * accepts, so a wrong one is said at once. `problem` says what is wrong, for the person to
 * answer again; an endpoint given on the command line or in the environment is kept as it is.
 */
async function locateServer(
  ctx: ClientContext,
  startUrl: string,
): Promise<{ doc?: ServerConfiguration; problem?: string }> {
  const env = ctx.io.env;
  const given = env.AWS_ENDPOINT_URL_SSO_OIDC || env.AWS_ENDPOINT_URL;
  if (!given && isAwsStartUrl(startUrl)) return {};
  let doc: ServerConfiguration | undefined;
  try {
    doc = await discoverServer(ctx.http, given ?? startUrl);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return {
      problem:
        `Cannot reach the server of ${startUrl}: ${err.message.replace(/ Check that .*$/, '')}` +
        (startUrl.startsWith('https:')
          ? ' For a server with a private certificate authority give --ca-bundle FILE.'
          : ''),
    };
  }
  if (!doc) {
    // An idcenter server too old to describe itself, named on the command line: trust the names.
    if (given) return {};
    return {
      problem:
        `${startUrl} is not an AWS start URL, and no idcenter server answers at ${discoveryUrls(startUrl)[0]}. ` +
        'Check the start URL (the access portal shows it), or give the server with --endpoint-url.',
    };
  }
  if (!acceptsStartUrl(doc, startUrl)) {
    return {
      problem: `${startUrl} is not a start URL of the server at ${new URL(doc.url).origin}; its start URL is ${doc.startUrl}.`,
    };
  }
  if (!given) {
    env.AWS_ENDPOINT_URL_SSO = doc.ssoEndpoint;
    env.AWS_ENDPOINT_URL_SSO_OIDC = doc.ssoOidcEndpoint;
    env.AWS_ENDPOINT_URL_STS = doc.stsEndpoint;
  }
  ctx.io.debug(`idcenter server found at ${doc.url}`);
  return { doc };
}

/** AWS CLI v2 signs in only to an https start URL off AWS's hosts; say so, and what to do. */
function plainHttpWarning(startUrl: string): string | undefined {
  if (!startUrl.startsWith('http:')) return undefined;
  return (
    'Note: the stock AWS CLI v2 refuses `aws sso login` for a start URL that is plain http. ' +
    'Sign in with `idcenter sso login` instead (the AWS CLI, boto3 and the SDKs then use the token it caches), ' +
    'or serve the server over HTTPS (idcenter server --tls, with AWS_CA_BUNDLE or ca_bundle).'
  );
}

export async function configureSso(
  baseCtx: ClientContext,
  prompter: Prompter,
  options: ConfigureSsoOptions,
): Promise<void> {
  const ctx = withEndpointOverride(baseCtx, options.endpointUrl);
  const { io, cfg } = ctx;
  const out = (s: string) => io.stdout.write(s);
  const profileConfig: Record<string, ConfigValue> =
    options.profile !== undefined ? (getProfile(cfg, options.profile) ?? {}) : {};
  const newProfile: Record<string, string> = {};

  // 1. Session name.
  const currentSession = str(profileConfig.sso_session);
  const sessionAnswer = await prompter.ask(
    currentSession ? q('SSO session name', currentSession) : 'SSO session name (Recommended): ',
    (a) => (a === '' || NAME_RE.test(a) ? undefined : `SSO session name ${NAME_HINT}`),
  );
  const sessionName = sessionAnswer || currentSession;
  let target: SsoTarget;
  let sessionValues: Record<string, string> | undefined;
  let forceRegistration = false;
  let server: ServerConfiguration | undefined;
  let located = false;
  // The start URL, checked with its server right away: a wrong one is asked again at once.
  const askStartUrl = async (current: string | undefined): Promise<string> => {
    for (;;) {
      const answer =
        (await prompter.ask(q('SSO start URL', current), (a) =>
          (a === '' && current) || isValidStartUrl(a) ? undefined : 'Not a valid Start URL',
        )) || (current as string);
      const found = await locateServer(ctx, answer);
      if (found.problem === undefined) {
        server = found.doc;
        located = true;
        const warning = plainHttpWarning(answer);
        if (warning && server) out(`${paint(io.stdout, io.env).yellow(warning)}\n`);
        return answer;
      }
      out(`${found.problem}\n`);
    }
  };
  const askRegion = (current: string | undefined) =>
    prompter.ask(q('SSO region', current), (a) => {
      if (a === '' && current) return undefined;
      if (a === '') return 'A value is required';
      return isValidRegion(a) ? undefined : 'Not a valid AWS region (for example us-east-1)';
    });
  if (!sessionName) {
    out(
      `${paint(io.stdout, io.env).bold('WARNING: Configuring using legacy format (e.g. without an SSO session).\nConsider re-running "configure sso" command and providing a session name.')}\n`,
    );
    const curUrl = str(profileConfig.sso_start_url);
    const startUrl = await askStartUrl(curUrl);
    const curRegion = str(profileConfig.sso_region) ?? server?.region;
    const region = (await askRegion(curRegion)) || (curRegion as string);
    newProfile.sso_start_url = startUrl;
    newProfile.sso_region = region;
    target = {
      kind: 'legacy',
      startUrl,
      region,
      ...(options.profile !== undefined ? { profileName: options.profile } : {}),
    };
  } else {
    newProfile.sso_session = sessionName;
    const existing = cfg.file.get(sectionId.session(sessionName));
    const existingUrl = str(existing?.sso_start_url);
    const existingRegion = str(existing?.sso_region);
    if (existing && existingUrl && existingRegion) {
      const scopes = parseScopes(str(existing.sso_registration_scopes));
      target = {
        kind: 'session',
        sessionName,
        startUrl: existingUrl,
        region: existingRegion,
        ...(scopes ? { scopes } : {}),
      };
      sessionValues = {};
      for (const [k, v] of Object.entries(existing)) if (typeof v === 'string') sessionValues[k] = v;
    } else {
      const curUrl = existingUrl ?? str(profileConfig.sso_start_url);
      const startUrl = await askStartUrl(curUrl);
      const curRegion = existingRegion ?? str(profileConfig.sso_region) ?? server?.region;
      const region = (await askRegion(curRegion)) || (curRegion as string);
      const curScopes = str(existing?.sso_registration_scopes) ?? DEFAULT_SCOPE;
      const rawScopes =
        (await prompter.ask(q('SSO registration scopes', curScopes), (a) =>
          a.split(',').some((s) => /\s/.test(s.trim()))
            ? 'Scope values must be separated by commas'
            : undefined,
        )) || curScopes;
      const scopes = parseScopes(rawScopes) ?? [];
      target = { kind: 'session', sessionName, startUrl, region, scopes };
      sessionValues = { sso_start_url: startUrl, sso_region: region, sso_registration_scopes: rawScopes };
      forceRegistration = true;
    }
  }

  if (options.profile !== undefined) target.profileName = options.profile;
  const epProfile = endpointProfile(cfg, target);
  if (!located && epProfile?.services === undefined && epProfile?.endpoint_url === undefined) {
    // An existing session whose profiles name no endpoints: its server may still describe itself.
    const found = await locateServer(ctx, target.startUrl);
    if (found.problem !== undefined) throw new CliError(found.problem, 253);
    server = found.doc;
  }

  // 2. Sign in (reuse a valid token of an existing session, like the AWS CLI).
  let accessToken: string | undefined;
  if (!forceRegistration && ctx.sso.readToken(tokenCacheKey(target))) {
    try {
      accessToken = (await ensureToken(ctx, target)).token.accessToken;
    } catch (err) {
      if (!(err instanceof LoginRequiredError)) throw err;
    }
  }
  if (!accessToken) {
    const token = await login(ctx, target, {
      useDeviceCode: Boolean(options.useDeviceCode),
      noBrowser: Boolean(options.noBrowser),
      forceRegistration,
      ...(options.openUrl ? { openUrl: options.openUrl } : {}),
    });
    accessToken = token.accessToken;
  }

  // 3. Account and role.
  const portalEndpoint = resolveEndpoint('sso', target.region, { env: io.env, cfg, profile: epProfile });
  const portal = new PortalClient(ctx.http, portalEndpoint.url, accessToken);
  let accountId: string | undefined;
  let roleName: string | undefined;
  let federated = false;
  try {
    const accounts = await portal.listAllAccounts();
    if (accounts.length === 0) throw new CliError('No AWS accounts are available to you.', 255);
    if (accounts.length === 1) {
      accountId = (accounts[0] as AccountInfo).accountId;
      out(`The only AWS account available to you is: ${accountId}\n`);
    } else {
      out(`There are ${accounts.length} AWS accounts available to you.\n`);
      accountId = (await prompter.select(sortAccounts(accounts), accountLabel)).accountId;
    }
    out(`Using the account ID ${accountId}\n`);
    newProfile.sso_account_id = accountId;
    // An idcenter server says which accounts are federated (real AWS credentials).
    if (portalEndpoint.custom) {
      const map = await portal.discoverAccess();
      federated = map?.accounts.find((a) => a.accountId === accountId)?.access === 'aws';
    }
    const roles = await portal.listAllRoles(accountId);
    if (roles.length === 0) throw new CliError(`No roles are available for the account ${accountId}`, 255);
    if (roles.length === 1) {
      roleName = (roles[0] as { roleName: string }).roleName;
      out(`The only role available to you is: ${roleName}\n`);
    } else {
      out(`There are ${roles.length} roles available to you.\n`);
      const names = roles.map((r) => r.roleName).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
      roleName = await prompter.select(names, (n) => n);
    }
    out(`Using the role name "${roleName}"\n`);
    newProfile.sso_role_name = roleName;
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'UnauthorizedException') {
      out(
        'Unable to list AWS accounts and/or roles. Skipping configuring AWS credential provider for profile.\n',
      );
      accountId = undefined;
      roleName = undefined;
      delete newProfile.sso_account_id;
      delete newProfile.sso_role_name;
    } else if (err instanceof ServiceError) {
      throw new CliError(err.message, 254);
    } else {
      throw err;
    }
  }

  // 4. Client region, output format, profile name.
  const curClientRegion = str(profileConfig.region) ?? 'us-east-1';
  const clientRegion =
    (await prompter.ask(q('Default client Region', curClientRegion), (a) =>
      a === '' || isValidRegion(a) ? undefined : 'Not a valid AWS region (for example us-east-1)',
    )) || curClientRegion;
  newProfile.region = clientRegion;
  const formats = ['json', 'text', 'table', 'yaml', 'yaml-stream', 'off'];
  const curOutput = str(profileConfig.output) ?? 'json';
  const output =
    (await prompter.ask(q('CLI default output format (json if not specified)', curOutput), (a) =>
      a === '' || formats.includes(a) ? undefined : `Not a known output format (${formats.join(', ')})`,
    )) || curOutput;
  newProfile.output = output;
  let profileName = options.profile;
  if (profileName === undefined) {
    const suggested = accountId && roleName ? `${roleName}-${accountId}` : undefined;
    profileName =
      (await prompter.ask(q('Profile name', suggested), (a) => {
        if (a === '' && !suggested) return 'A value is required';
        if (a !== '' && !NAME_RE.test(a)) return `Profile name ${NAME_HINT}`;
        return undefined;
      })) || (suggested as string);
  }

  // 5. Endpoints: a [services] block when the server is not AWS.
  const servicesName = sessionName ?? profileName;
  let services: Partial<Record<ServiceKey, string>> | undefined;
  const knownServices = str(epProfile?.services);
  const knownEndpoint = str(epProfile?.endpoint_url);
  if (options.endpointUrl) {
    // An explicit server URL always wins, also over endpoints written before.
    const url = options.endpointUrl;
    services = { sso: url, sso_oidc: url, sts: url };
    newProfile.services = str(profileConfig.services) ?? knownServices ?? servicesName;
  } else if (knownServices) {
    // Another profile of this session already names the endpoints: share its block.
    if (str(profileConfig.services) === undefined) newProfile.services = knownServices;
  } else if (knownEndpoint) {
    if (str(profileConfig.endpoint_url) === undefined) newProfile.endpoint_url = knownEndpoint;
  } else {
    services = customServices(ctx.cfg, io.env, target.region);
    if (services) newProfile.services = servicesName;
  }

  // A federated account's credentials are real AWS ones: its profile keeps SSO and SSO OIDC on
  // the server but sends STS (and every other service) to AWS.
  if (federated && newProfile.services !== undefined) {
    const base = services ?? servicesOf(cfg, newProfile.services);
    const signIn: Partial<Record<ServiceKey, string>> = {};
    if (base.sso) signIn.sso = base.sso;
    if (base.sso_oidc) signIn.sso_oidc = base.sso_oidc;
    services = signIn;
    if (!newProfile.services.endsWith('-aws')) newProfile.services = `${newProfile.services}-aws`;
    out(
      `The account ${accountId} is an AWS account: its credentials are AWS's, so the profile sends STS calls to AWS ([services ${newProfile.services}] has no sts).\n`,
    );
  }

  // A server with a private certificate authority: the profile names the file that trusts it, so
  // the stock tools need no AWS_CA_BUNDLE.
  const caBundle = io.env.AWS_CA_BUNDLE;
  if (
    caBundle &&
    server?.ssoOidcEndpoint.startsWith('https:') &&
    str(profileConfig.ca_bundle) === undefined
  ) {
    newProfile.ca_bundle = path.resolve(caBundle);
  }

  // 6. Write everything at once.
  writeConfiguration(
    cfg,
    profileName,
    newProfile,
    sessionName,
    sessionValues,
    services ? { name: newProfile.services ?? servicesName, services } : undefined,
  );
  const defaultGot =
    newProfile.services !== undefined ? defaultServices(cfg, io.env, newProfile.services) : false;
  saveConfig(cfg);
  if (defaultGot) {
    out(
      `[default] now has services = ${newProfile.services}, so commands without a profile (aws sso logout, ` +
        `aws sso login --sso-session ${sessionName ?? '…'}) reach this server too.\n`,
    );
  }

  // 7. Conclusion (docs/cli-flow.md, "Closing text").
  if (accountId && roleName) {
    if (profileName.toLowerCase() === 'default') {
      out(
        'The AWS CLI is now configured to use the default profile.\nRun the following command to verify your configuration:\n\naws sts get-caller-identity\n',
      );
    } else {
      out(
        `To use this profile, specify the profile name using --profile, as shown:\n\naws sts get-caller-identity --profile ${profileName}\n`,
      );
    }
  } else {
    out(`Successfully configured SSO for profile: ${profileName}\n`);
  }
}

/**
 * Give `[default]` the services block when it names none, so the commands the AWS CLI runs
 * without a profile (`aws sso logout`, `aws sso login --sso-session S`, `aws configure sso`
 * again) reach this server rather than AWS. A `[default]` that gets credentials of its own (a
 * role, a process, SSO, or keys in the credentials file) is left alone: its calls are AWS's.
 */
function defaultServices(cfg: LoadedConfig, env: NodeJS.ProcessEnv, services: string): boolean {
  const id = sectionId.profile('default');
  const current = cfg.file.get(id) ?? {};
  if (current.services !== undefined || current.endpoint_url !== undefined) return false;
  const ownCredentials = [
    'sso_session',
    'sso_start_url',
    'sso_account_id',
    'role_arn',
    'credential_process',
    'web_identity_token_file',
    'aws_access_key_id',
  ];
  if (ownCredentials.some((k) => current[k] !== undefined)) return false;
  if (hasDefaultKeys(env)) return false;
  cfg.file.set(id, { services });
  return true;
}

/** Whether the shared credentials file has a `[default]` section (keys the AWS CLI would use). */
function hasDefaultKeys(env: NodeJS.ProcessEnv): boolean {
  const file = env.AWS_SHARED_CREDENTIALS_FILE || path.join(env.HOME || os.homedir(), '.aws', 'credentials');
  try {
    return /^\s*\[\s*default\s*\]/m.test(fs.readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/** The endpoints a `[services]` block of the config file names for the three services. */
function servicesOf(cfg: LoadedConfig, name: string): Partial<Record<ServiceKey, string>> {
  const block = cfg.file.get(sectionId.services(name)) ?? {};
  const out: Partial<Record<ServiceKey, string>> = {};
  for (const s of ['sso', 'sso_oidc', 'sts'] as const) {
    const entry = block[s];
    if (entry && typeof entry === 'object' && entry.endpoint_url) out[s] = entry.endpoint_url;
  }
  return out;
}

/** The non-AWS endpoints in effect for the three services, or undefined when all are AWS's. */
function customServices(
  cfg: LoadedConfig,
  env: NodeJS.ProcessEnv,
  region: string,
): Partial<Record<ServiceKey, string>> | undefined {
  const out: Partial<Record<ServiceKey, string>> = {};
  for (const s of ['sso', 'sso_oidc', 'sts'] as const) {
    const e = resolveEndpoint(s, region, { env, cfg });
    if (e.custom) out[s] = e.url;
  }
  return Object.keys(out).length ? out : undefined;
}

function writeConfiguration(
  cfg: LoadedConfig,
  profileName: string,
  profileValues: Record<string, string>,
  sessionName: string | undefined,
  sessionValues: Record<string, string> | undefined,
  services: { name: string; services: Partial<Record<ServiceKey, string>> } | undefined,
): void {
  const order = [
    'sso_session',
    'sso_start_url',
    'sso_region',
    'sso_account_id',
    'sso_role_name',
    'region',
    'output',
    'services',
    'endpoint_url',
    'ca_bundle',
  ];
  const ordered: Record<string, string> = {};
  for (const k of order) if (profileValues[k] !== undefined) ordered[k] = profileValues[k] as string;
  cfg.file.set(sectionId.profile(profileName), ordered);
  if (sessionName && sessionValues) cfg.file.set(sectionId.session(sessionName), sessionValues);
  if (services) {
    const block: Record<string, Record<string, string>> = {};
    for (const [k, url] of Object.entries(services.services)) block[k] = { endpoint_url: url as string };
    cfg.file.set(sectionId.services(services.name), block);
  }
}
