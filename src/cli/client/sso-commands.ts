/** `idcenter sso login | logout | status`. */
import {
  type LoadedConfig,
  loginHint,
  profilesOfSession,
  profilesOfStartUrl,
  resolveLoginTarget,
  resolveSsoProfile,
  type SsoTarget,
  str,
} from './aws-config.ts';
import { parseTimestamp, tokenCacheKey } from './cache.ts';
import { sectionId } from './config-file.ts';
import type { ClientContext } from './context.ts';
import { credentialKeyOf } from './credentials.ts';
import { endpointProfile, resolveEndpoint } from './endpoints.ts';
import { paint } from './io.ts';
import { login } from './login.ts';
import { PortalClient } from './portal.ts';
import { REFRESH_WINDOW_MS, refreshToken, targetName, tokenExpiry } from './token.ts';
import { checkTokenWithServer } from './token-check.ts';

export interface LoginCommandOptions {
  profile?: string | undefined;
  ssoSession?: string | undefined;
  useDeviceCode?: boolean | undefined;
  noBrowser?: boolean | undefined;
  force?: boolean | undefined;
}

function describeIn(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

function localTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

/**
 * Reuse a valid token unless --force, refresh it when it can, sign in otherwise; print
 * `Successfully logged into Start URL: …` like the AWS CLI.
 */
export async function ssoLogin(ctx: ClientContext, opts: LoginCommandOptions): Promise<void> {
  const target = resolveLoginTarget(ctx.cfg, { profile: opts.profile, ssoSession: opts.ssoSession });
  const { io } = ctx;
  if (!opts.force) {
    const token = ctx.sso.readToken(tokenCacheKey(target));
    if (token) {
      const left = tokenExpiry(token) - io.now();
      const check = left > REFRESH_WINDOW_MS ? await checkTokenWithServer(ctx, target, token) : 'unknown';
      if (check === 'rejected') {
        io.stdout.write(
          `The server no longer accepts the cached token for ${targetName(target)} (the session was ended or revoked); signing in again.\n`,
        );
      } else if (left > REFRESH_WINDOW_MS) {
        io.stdout.write(
          `Already signed in to ${target.startUrl} (${targetName(target)}); the token is valid for another ${describeIn(left)}. ` +
            'Use --force to sign in again.\n',
        );
        return;
      }
      if (
        check !== 'rejected' &&
        target.kind === 'session' &&
        token.refreshToken &&
        token.clientId &&
        token.clientSecret
      ) {
        try {
          await refreshToken(ctx, target, token);
          io.stdout.write(`Refreshed the token for ${targetName(target)}.\n`);
          io.stdout.write(`Successfully logged into Start URL: ${target.startUrl}\n`);
          return;
        } catch (err) {
          io.debug(`refresh failed, signing in: ${(err as Error).message}`);
        }
      }
    }
  }
  await login(ctx, target, {
    useDeviceCode: Boolean(opts.useDeviceCode),
    noBrowser: Boolean(opts.noBrowser),
  });
  io.stdout.write(`Successfully logged into Start URL: ${target.startUrl}\n`);
}

/** The config's view of a cached token: which session or legacy start URL it belongs to. */
function targetOfToken(cfg: LoadedConfig, file: string): SsoTarget | undefined {
  const key = file.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
  for (const name of cfg.file.names('sso-session')) {
    if (tokenCacheKey({ sessionName: name, startUrl: '' }) === key) {
      const s = cfg.file.get(sectionId.session(name)) ?? {};
      return {
        kind: 'session',
        sessionName: name,
        startUrl: str(s.sso_start_url) ?? '',
        region: str(s.sso_region) ?? '',
      };
    }
  }
  for (const id of cfg.file.sections()) {
    if (id.kind !== 'profile' && id.kind !== 'default') continue;
    const p = cfg.file.get(id) ?? {};
    const url = str(p.sso_start_url);
    if (url && !p.sso_session && tokenCacheKey({ startUrl: url }) === key) {
      return { kind: 'legacy', startUrl: url, region: str(p.sso_region) ?? '', profileName: id.name };
    }
  }
  return undefined;
}

/**
 * Sign out everywhere (docs/cli-flow.md, "Signing out"): for each cached token call Logout (errors
 * ignored) and delete it; delete every cached SSO role credential. Registrations stay.
 */
export async function ssoLogout(ctx: ClientContext): Promise<void> {
  const { io } = ctx;
  const tokens = ctx.sso.listTokens();
  let signedOut = 0;
  for (const { file, token } of tokens) {
    const region = typeof token.region === 'string' ? token.region : undefined;
    if (region) {
      const target = targetOfToken(ctx.cfg, file);
      const endpoint = target
        ? resolveEndpoint('sso', region, {
            env: io.env,
            cfg: ctx.cfg,
            profile: endpointProfile(ctx.cfg, target),
          })
        : resolveEndpoint('sso', region, { env: io.env, cfg: ctx.cfg });
      try {
        await new PortalClient(ctx.http, endpoint.url, token.accessToken).logout();
      } catch (err) {
        io.debug(`Logout at ${endpoint.url} failed (ignored): ${(err as Error).message}`);
      }
    }
    ctx.sso.removeFile(file);
    signedOut++;
    io.stdout.write(`Signed out of ${typeof token.startUrl === 'string' ? token.startUrl : file}\n`);
  }
  const creds = ctx.creds.removeAllSso();
  if (signedOut === 0 && creds === 0) io.stdout.write('No SSO sessions were signed in.\n');
  else if (creds > 0) io.stdout.write(`Removed ${creds} cached role credential${creds === 1 ? '' : 's'}.\n`);
}

export interface StatusRow {
  name: string;
  kind: 'session' | 'legacy';
  startUrl: string;
  region: string;
  /** ISO time or undefined when not signed in. */
  tokenExpiresAt?: string;
  /** `revoked`: not expired, but the server no longer accepts it (checked for tokens that look valid). */
  tokenState: 'valid' | 'revoked' | 'refreshable' | 'expired' | 'signed-out' | 'not-configured';
  /** For a `valid` token: false when the server could not be asked, so validity is the file's word. */
  tokenConfirmed?: boolean;
  refreshable: boolean;
  profiles: { name: string; credentialsExpireAt?: string; credentialsState: 'valid' | 'expired' | 'none' }[];
  login: string;
}

/**
 * Every SSO session (and legacy start URL) with its token and cached credentials. A token that
 * has not expired is checked with its server, which may have ended the session since.
 */
export async function ssoStatusRows(ctx: ClientContext): Promise<StatusRow[]> {
  const { cfg, io } = ctx;
  const rows: StatusRow[] = [];
  const now = io.now();
  const build = async (
    target: SsoTarget,
    name: string,
    profiles: string[],
    hintTarget: SsoTarget,
  ): Promise<StatusRow> => {
    const token = ctx.sso.readToken(tokenCacheKey(target));
    const exp = token ? tokenExpiry(token) : undefined;
    const refreshable = Boolean(token?.refreshToken && target.kind === 'session');
    let tokenState: StatusRow['tokenState'] = !token
      ? 'signed-out'
      : (exp as number) > now
        ? 'valid'
        : refreshable
          ? 'refreshable'
          : 'expired';
    const row: StatusRow = {
      name,
      kind: target.kind,
      startUrl: target.startUrl,
      region: target.region,
      tokenState,
      refreshable,
      profiles: [],
      login: loginHint(hintTarget),
    };
    if (exp !== undefined) row.tokenExpiresAt = new Date(exp).toISOString();
    if (token && tokenState === 'valid') {
      const check = await checkTokenWithServer(ctx, target, token);
      if (check === 'rejected') tokenState = 'revoked';
      else row.tokenConfirmed = check === 'accepted';
      row.tokenState = tokenState;
    }
    for (const p of profiles) {
      let entry: StatusRow['profiles'][number] = { name: p, credentialsState: 'none' };
      try {
        const sp = resolveSsoProfile(cfg, p);
        const cached = ctx.creds.read(credentialKeyOf(sp));
        const cexp = cached ? parseTimestamp(cached.Credentials.Expiration) : undefined;
        if (cexp !== undefined) {
          entry = {
            name: p,
            credentialsExpireAt: new Date(cexp).toISOString(),
            credentialsState: cexp > now ? 'valid' : 'expired',
          };
        }
      } catch {
        // an incomplete profile has no credentials to show
      }
      row.profiles.push(entry);
    }
    return row;
  };
  for (const name of cfg.file.names('sso-session')) {
    const s = cfg.file.get(sectionId.session(name)) ?? {};
    const target: SsoTarget = {
      kind: 'session',
      sessionName: name,
      startUrl: str(s.sso_start_url) ?? '',
      region: str(s.sso_region) ?? '',
    };
    rows.push(await build(target, name, profilesOfSession(cfg, name), target));
  }
  // Sessions that profiles name but the file does not define.
  const missing = new Map<string, string[]>();
  for (const id of cfg.file.sections()) {
    if (id.kind !== 'profile' && id.kind !== 'default') continue;
    const s = str(cfg.file.get(id)?.sso_session);
    if (s && !cfg.file.has(sectionId.session(s))) missing.set(s, [...(missing.get(s) ?? []), id.name]);
  }
  for (const [name, profiles] of missing) {
    rows.push({
      name,
      kind: 'session',
      startUrl: '',
      region: '',
      tokenState: 'not-configured',
      refreshable: false,
      profiles: profiles.map((p) => ({ name: p, credentialsState: 'none' as const })),
      login: 'idcenter configure sso',
    });
  }
  const seen = new Set<string>();
  for (const id of cfg.file.sections()) {
    if (id.kind !== 'profile' && id.kind !== 'default') continue;
    const p = cfg.file.get(id) ?? {};
    const url = str(p.sso_start_url);
    if (!url || p.sso_session !== undefined || seen.has(url)) continue;
    seen.add(url);
    const target: SsoTarget = { kind: 'legacy', startUrl: url, region: str(p.sso_region) ?? '' };
    rows.push(await build(target, url, profilesOfStartUrl(cfg, url), { ...target, profileName: id.name }));
  }
  return rows;
}

export function printStatus(ctx: ClientContext, rows: StatusRow[], json: boolean): void {
  const { io } = ctx;
  if (json) {
    io.stdout.write(`${JSON.stringify({ sessions: rows }, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    io.stdout.write('No SSO sessions are configured. Run: idcenter configure sso\n');
    return;
  }
  const p = paint(io.stdout, io.env);
  const now = io.now();
  for (const r of rows) {
    const title = r.kind === 'session' ? `sso-session ${r.name}` : `legacy start URL ${r.name}`;
    io.stdout.write(`${p.bold(title)}\n`);
    if (r.tokenState === 'not-configured') {
      io.stdout.write(
        `  ${p.red(`not configured: there is no [sso-session ${r.name}] section`)}; used by profile${r.profiles.length === 1 ? '' : 's'} ` +
          `${r.profiles.map((x) => x.name).join(', ')}. Run: idcenter configure sso --profile ${r.profiles[0]?.name}\n`,
      );
      continue;
    }
    io.stdout.write(`  start URL:   ${r.startUrl || '(missing)'}  (region ${r.region || 'missing'})\n`);
    let token: string;
    const exp = r.tokenExpiresAt ? Date.parse(r.tokenExpiresAt) : undefined;
    switch (r.tokenState) {
      case 'valid':
        token = p.green(
          `valid until ${localTime(exp as number)} (${describeIn((exp as number) - now)} left)`,
        );
        if (r.refreshable) token += ', refreshable';
        if (r.tokenConfirmed === false)
          token += p.yellow(' (not confirmed: the server could not be reached)');
        break;
      case 'revoked':
        token = p.red(`no longer accepted by the server (signed out or revoked); run: ${r.login}`);
        break;
      case 'refreshable':
        token = p.yellow(`expired at ${localTime(exp as number)}; will be refreshed on next use`);
        break;
      case 'expired':
        token = p.red(`expired at ${localTime(exp as number)}; run: ${r.login}`);
        break;
      default:
        token = p.dim(`not signed in; run: ${r.login}`);
    }
    io.stdout.write(`  token:       ${token}\n`);
    if (r.profiles.length === 0) io.stdout.write('  profiles:    (none)\n');
    for (const prof of r.profiles) {
      const c = prof.credentialsExpireAt ? Date.parse(prof.credentialsExpireAt) : undefined;
      const state =
        prof.credentialsState === 'valid'
          ? p.green(`credentials cached until ${localTime(c as number)}`)
          : prof.credentialsState === 'expired'
            ? p.dim(`cached credentials expired at ${localTime(c as number)}`)
            : p.dim('no cached credentials');
      io.stdout.write(`  profile ${prof.name}: ${state}\n`);
    }
  }
}
