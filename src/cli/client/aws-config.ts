/**
 * The AWS config file as the client commands use it: which profile, which SSO session, which
 * endpoints, with botocore's rules and error texts (docs/cli-flow.md,
 * "Which configuration is used"; docs/client-files.md, "Resolving an SSO profile";
 * docs/wire-protocols.md, "Endpoint resolution").
 */
import fs from 'node:fs';
import { CliError } from '../errors.ts';
import { ConfigFile, ConfigParseError, type ConfigValue, sectionId } from './config-file.ts';
import { readTextIfExists, writeFileAtomic } from './files.ts';
import { configFilePath, displayPath } from './paths.ts';

export const EXIT_CONFIG = 253;

export interface LoadedConfig {
  readonly path: string;
  readonly file: ConfigFile;
  /** The text as read (undefined when the file did not exist), to detect concurrent edits. */
  readonly original: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** Read and parse the config file; a missing file is an empty config. */
export function loadConfig(env: NodeJS.ProcessEnv): LoadedConfig {
  const path = configFilePath(env);
  const shown = displayPath(path, env);
  let raw: Buffer | undefined;
  try {
    raw = fs.readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      const why =
        code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : String(code);
      throw new CliError(`cannot read the config file ${shown}: ${why}`, EXIT_CONFIG);
    }
  }
  if (raw === undefined) return { path, file: ConfigFile.empty(shown), original: undefined, env };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    const bad = firstInvalidUtf8Line(raw);
    throw new CliError(
      `cannot read the config file: ${shown}, line ${bad}: not valid UTF-8 text; the file was left untouched`,
      EXIT_CONFIG,
    );
  }
  try {
    return { path, file: ConfigFile.parse(text, shown), original: text, env };
  } catch (err) {
    if (err instanceof ConfigParseError) {
      throw new CliError(
        `cannot read the config file: ${err.message}; the file was left untouched`,
        EXIT_CONFIG,
      );
    }
    throw err;
  }
}

function firstInvalidUtf8Line(raw: Buffer): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i === raw.length || raw[i] === 0x0a) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(raw.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/** Write the config back atomically, unless someone else changed it since we read it. */
export function saveConfig(cfg: LoadedConfig): void {
  const now = readTextIfExists(cfg.path);
  if (now !== cfg.original) {
    throw new CliError(
      `${displayPath(cfg.path, cfg.env)} changed while this command was running; nothing was written, run the command again`,
      255,
    );
  }
  writeFileAtomic(cfg.path, cfg.file.toString(), { mode: 0o600, dirMode: 0o700 });
}

/** `--profile`, else AWS_PROFILE, else AWS_DEFAULT_PROFILE, else `default`. */
export function selectedProfile(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option ?? env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? 'default';
}

export function str(v: ConfigValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function getProfile(cfg: LoadedConfig, name: string): Record<string, ConfigValue> | undefined {
  return cfg.file.get(sectionId.profile(name));
}

export function requireProfile(cfg: LoadedConfig, name: string): Record<string, ConfigValue> {
  const p = getProfile(cfg, name);
  if (!p) {
    const known = cfg.file
      .sections()
      .filter((s) => s.kind === 'profile' || s.kind === 'default')
      .map((s) => s.name);
    const hint = known.length
      ? ` Known profiles: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}.`
      : ' Run: idcenter configure sso';
    throw new CliError(`The config profile (${name}) could not be found.${hint}`, EXIT_CONFIG);
  }
  return p;
}

/** A start URL needs an http(s) scheme and a host (the AWS CLI's "Not a valid Start URL"). */
export function isValidStartUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Refuse a configured start URL that is not a URL, before anything goes on the wire. */
export function assertStartUrl(t: SsoTarget): void {
  if (isValidStartUrl(t.startUrl)) return;
  const where =
    t.sessionName !== undefined
      ? `[sso-session ${t.sessionName}]`
      : `[profile ${t.profileName ?? 'default'}]`;
  throw new CliError(
    `The sso_start_url "${t.startUrl}" in ${where} is not a URL (it needs a scheme and a host, such as ` +
      `https://idc.example.com/start). Fix it, or run: idcenter configure sso${t.profileName && t.profileName !== 'default' ? ` --profile ${t.profileName}` : ''}`,
    EXIT_CONFIG,
  );
}

/** Registration scopes as the AWS CLI parses them: comma-separated, trimmed, empty dropped. */
export function parseScopes(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Where a login goes: an sso-session, or the start URL of a legacy profile. */
export interface SsoTarget {
  kind: 'session' | 'legacy';
  sessionName?: string;
  startUrl: string;
  region: string;
  scopes?: string[];
  /** The profile that led here, if any (for endpoint lookup and hints). */
  profileName?: string;
}

/** What to tell a person to run to sign in again for this target. */
export function loginHint(t: {
  kind: 'session' | 'legacy';
  sessionName?: string;
  profileName?: string;
}): string {
  if (t.profileName !== undefined) {
    return t.profileName === 'default'
      ? 'idcenter sso login'
      : `idcenter sso login --profile ${t.profileName}`;
  }
  return `idcenter sso login --sso-session ${t.sessionName}`;
}

function sessionTarget(cfg: LoadedConfig, name: string, profileName?: string): SsoTarget {
  const s = cfg.file.get(sectionId.session(name));
  if (!s) throw new CliError(`The specified sso-session does not exist: "${name}"`, EXIT_CONFIG);
  const startUrl = str(s.sso_start_url);
  const region = str(s.sso_region);
  const missing = [startUrl ? '' : 'sso_start_url', region ? '' : 'sso_region'].filter(Boolean);
  if (missing.length) {
    throw new CliError(
      `Missing the following required SSO configuration values: ${missing.join(', ')}. ` +
        `Add them to [sso-session ${name}] or run: idcenter configure sso`,
      EXIT_CONFIG,
    );
  }
  const scopes = parseScopes(str(s.sso_registration_scopes));
  return {
    kind: 'session',
    sessionName: name,
    startUrl: startUrl as string,
    region: region as string,
    ...(scopes ? { scopes } : {}),
    ...(profileName !== undefined ? { profileName } : {}),
  };
}

/**
 * The SSO configuration `sso login` uses: `--sso-session`, else the profile's (docs/cli-flow.md,
 * "Which configuration is used").
 */
export function resolveLoginTarget(
  cfg: LoadedConfig,
  opts: { profile?: string | undefined; ssoSession?: string | undefined },
): SsoTarget {
  if (opts.ssoSession !== undefined) return sessionTarget(cfg, opts.ssoSession);
  const name = selectedProfile(opts.profile, cfg.env);
  const p = requireProfile(cfg, name);
  const session = str(p.sso_session);
  if (session) return sessionTarget(cfg, session, name);
  const startUrl = str(p.sso_start_url);
  const region = str(p.sso_region);
  if (!startUrl || !region) {
    const missing = [startUrl ? '' : 'sso_start_url', region ? '' : 'sso_region'].filter(Boolean);
    throw new CliError(
      `Missing the following required SSO configuration values: ${missing.join(', ')}. ` +
        `To make sure this profile is properly configured to use SSO, please run: idcenter configure sso --profile ${name}`,
      EXIT_CONFIG,
    );
  }
  return { kind: 'legacy', startUrl, region, profileName: name };
}

/** A profile that gets role credentials from IAM Identity Center. */
export interface SsoProfile extends SsoTarget {
  profileName: string;
  accountId: string;
  roleName: string;
  /** The profile's client region (`region`), if any. */
  clientRegion?: string;
}

export function isSsoProfile(p: Record<string, ConfigValue>): boolean {
  return p.sso_account_id !== undefined || p.sso_role_name !== undefined || p.sso_session !== undefined;
}

/**
 * Resolve a profile's SSO settings with botocore's merge and validation (docs/client-files.md,
 * "Resolving an SSO profile").
 */
export function resolveSsoProfile(cfg: LoadedConfig, name: string): SsoProfile {
  const p = requireProfile(cfg, name);
  if (!isSsoProfile(p) && p.sso_start_url === undefined) {
    throw new CliError(
      `The profile "${name}" does not use IAM Identity Center (it has no sso_session, sso_account_id or sso_role_name). ` +
        `Run: idcenter configure sso --profile ${name}`,
      EXIT_CONFIG,
    );
  }
  let target: SsoTarget;
  const session = str(p.sso_session);
  if (session) {
    target = sessionTarget(cfg, session, name);
    for (const key of ['sso_start_url', 'sso_region'] as const) {
      const mine = str(p[key]);
      const theirs = key === 'sso_start_url' ? target.startUrl : target.region;
      if (mine !== undefined && mine !== theirs) {
        throw new CliError(
          `The value for ${key} is inconsistent between profile (${mine}) and sso-session (${theirs}).`,
          EXIT_CONFIG,
        );
      }
    }
  } else {
    const startUrl = str(p.sso_start_url);
    const region = str(p.sso_region);
    target = { kind: 'legacy', startUrl: startUrl ?? '', region: region ?? '', profileName: name };
  }
  const accountId = str(p.sso_account_id);
  const roleName = str(p.sso_role_name);
  const missing = [
    target.startUrl ? '' : 'sso_start_url',
    target.region ? '' : 'sso_region',
    accountId ? '' : 'sso_account_id',
    roleName ? '' : 'sso_role_name',
  ].filter(Boolean);
  if (missing.length) {
    throw new CliError(
      `The profile "${name}" is configured to use SSO but is missing required configuration: ${missing.join(', ')}. ` +
        `Run: idcenter configure sso --profile ${name}`,
      EXIT_CONFIG,
    );
  }
  const clientRegion = str(p.region);
  return {
    ...target,
    profileName: name,
    accountId: accountId as string,
    roleName: roleName as string,
    ...(clientRegion ? { clientRegion } : {}),
  };
}

/** Profiles that use a given sso-session, in file order. */
export function profilesOfSession(cfg: LoadedConfig, session: string): string[] {
  const out: string[] = [];
  for (const id of cfg.file.sections()) {
    if (id.kind !== 'profile' && id.kind !== 'default') continue;
    const p = cfg.file.get(id);
    if (p && str(p.sso_session) === session) out.push(id.name);
  }
  return out;
}

/** Legacy profiles (no sso_session) with a given start URL, in file order. */
export function profilesOfStartUrl(cfg: LoadedConfig, startUrl: string): string[] {
  const out: string[] = [];
  for (const id of cfg.file.sections()) {
    if (id.kind !== 'profile' && id.kind !== 'default') continue;
    const p = cfg.file.get(id);
    if (p && !p.sso_session && str(p.sso_start_url) === startUrl) out.push(id.name);
  }
  return out;
}
