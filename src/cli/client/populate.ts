/**
 * `idcenter configure populate`: a profile for every account and role the signed-in person can
 * use, named from a template, stable across runs (a profile keeps its name while its account and
 * role exist), and marked `idcenter_populate = <session>` so `--prune` removes only profiles it
 * generated, never hand-written ones. Against idcenter it reads everything in one call (the
 * discovery extension); against AWS it pages through ListAccounts and ListAccountRoles with the
 * rate-limited scheduler.
 */
import { CliError } from '../errors.ts';
import {
  getProfile,
  type LoadedConfig,
  profilesOfSession,
  type SsoTarget,
  saveConfig,
  str,
} from './aws-config.ts';
import type { ConfigValue } from './config-file.ts';
import { sectionId } from './config-file.ts';
import type { ClientContext } from './context.ts';
import { endpointProfile, resolveEndpoint, type ServiceKey } from './endpoints.ts';
import { ServiceError } from './http.ts';
import type { OutStream } from './io.ts';
import { type AccessMap, type AccountInfo, PortalClient } from './portal.ts';
import { Scheduler } from './scheduler.ts';
import { ensureToken, LoginRequiredError } from './token.ts';

export const MARKER_KEY = 'idcenter_populate';
export const DEFAULT_TEMPLATE = '{account_name}.{role_name}';
const PLACEHOLDERS = ['account_name', 'account_id', 'account_email', 'role_name', 'session'] as const;

export interface PopulateOptions {
  ssoSession?: string | undefined;
  profile?: string | undefined;
  prune?: boolean | undefined;
  template?: string | undefined;
  region?: string | undefined;
  output?: string | undefined;
  /** Use only the standard portal API, as against AWS. */
  noDiscovery?: boolean | undefined;
  dryRun?: boolean | undefined;
  /** Scheduler settings (tests). */
  ratePerSecond?: number | undefined;
}

export interface PopulateResult {
  session: string;
  accounts: number;
  roles: number;
  added: string[];
  updated: string[];
  unchanged: number;
  removed: string[];
  lostAccess: string[];
  skipped: string[];
  source: 'discovery' | 'portal';
  /** Each profile added or updated, with its account and role (what a dry run shows). */
  written: { name: string; accountId: string; roleName: string; change: 'add' | 'update' }[];
}

/** Check a template: only known placeholders. */
export function assertTemplate(template: string): void {
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1] as string)) {
      throw new CliError(
        `unknown placeholder {${m[1]}} in --template; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
        252,
      );
    }
  }
  if (!/\{(account_name|account_id|account_email)\}/.test(template) || !template.includes('{role_name}')) {
    throw new CliError(
      '--template must contain {role_name} and one of {account_name}, {account_id}, {account_email}',
      252,
    );
  }
}

/** A profile name every AWS tool accepts: letters, digits and _ . @ + -; runs of others → `-`. */
export function sanitizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_.@+-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

export function renderTemplate(
  template: string,
  account: AccountInfo,
  role: string,
  session: string,
): string {
  const values: Record<(typeof PLACEHOLDERS)[number], string> = {
    account_name: account.accountName || account.accountId,
    account_id: account.accountId,
    account_email: account.emailAddress || account.accountId,
    role_name: role,
    session,
  };
  return sanitizeName(
    template.replace(/\{([a-z_]+)\}/g, (_, k: string) => values[k as keyof typeof values] ?? ''),
  );
}

function pickSession(ctx: ClientContext, opts: PopulateOptions): string {
  if (opts.ssoSession) return opts.ssoSession;
  if (opts.profile !== undefined) {
    const p = getProfile(ctx.cfg, opts.profile);
    if (!p) throw new CliError(`The config profile (${opts.profile}) could not be found`, 253);
    const s = str(p.sso_session);
    if (!s) {
      throw new CliError(
        `The profile "${opts.profile}" does not use an sso-session; populate needs one. Run: idcenter configure sso`,
        253,
      );
    }
    return s;
  }
  const sessions = ctx.cfg.file.names('sso-session');
  if (sessions.length === 1) return sessions[0] as string;
  if (sessions.length === 0) {
    throw new CliError('No [sso-session] is configured. Run idcenter configure sso first.', 253);
  }
  throw new CliError(
    `Several sso-sessions are configured (${sessions.join(', ')}); choose one with --sso-session`,
    252,
  );
}

class Progress {
  private readonly stream: OutStream;
  private readonly enabled: boolean;
  private readonly now: () => number;
  private last = 0;
  private shown = false;
  constructor(stream: OutStream, enabled: boolean, now: () => number) {
    this.stream = stream;
    this.enabled = enabled;
    this.now = now;
  }
  update(label: string, done: number, total: number): void {
    if (!this.enabled) return;
    const t = this.now();
    if (done < total && t - this.last < 100) return;
    this.last = t;
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : 0;
    this.stream.write(
      `\r\u001b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`,
    );
    this.shown = true;
  }
  end(): void {
    if (this.shown) this.stream.write('\r\u001b[2K');
    this.shown = false;
  }
}

/** Every account with its roles through the standard API, rate-limited (AWS path). */
async function accessViaPortal(
  ctx: ClientContext,
  portal: PortalClient,
  opts: PopulateOptions,
): Promise<{ map: AccessMap; scheduler: Scheduler }> {
  const scheduler = new Scheduler(ctx.io, { ratePerSecond: opts.ratePerSecond ?? 15 });
  const accounts: AccountInfo[] = [];
  let token: string | undefined;
  const seen = new Set<string>();
  do {
    const page = await scheduler.run(() => portal.listAccountsPage(token));
    accounts.push(...page.accounts);
    token = page.nextToken;
    if (token !== undefined) {
      if (seen.has(token)) throw new CliError('ListAccounts returned the same page token twice', 254);
      seen.add(token);
    }
  } while (token !== undefined);
  const progress = new Progress(ctx.io.stderr, Boolean(ctx.io.stderr.isTTY) && accounts.length > 20, () =>
    ctx.io.now(),
  );
  let done = 0;
  const out: AccessMap['accounts'] = await Promise.all(
    accounts.map(async (a) => {
      const roles: string[] = [];
      let next: string | undefined;
      const pages = new Set<string>();
      do {
        const page = await scheduler.run(() => portal.listAccountRolesPage(a.accountId, next));
        roles.push(...page.roles.map((r) => r.roleName));
        next = page.nextToken;
        if (next !== undefined) {
          if (pages.has(next)) throw new CliError('ListAccountRoles returned the same page token twice', 254);
          pages.add(next);
        }
      } while (next !== undefined);
      done++;
      progress.update('Listing roles', done, accounts.length);
      return { ...a, roles };
    }),
  );
  progress.end();
  return { map: { accounts: out }, scheduler };
}

interface Wanted {
  account: AccountInfo;
  role: string;
}

export async function populate(ctx: ClientContext, opts: PopulateOptions): Promise<PopulateResult> {
  const template = opts.template ?? DEFAULT_TEMPLATE;
  assertTemplate(template);
  const { cfg, io } = ctx;
  const session = pickSession(ctx, opts);
  const s = cfg.file.get(sectionId.session(session));
  if (!s) throw new CliError(`The specified sso-session does not exist: "${session}"`, 253);
  const startUrl = str(s.sso_start_url);
  const ssoRegion = str(s.sso_region);
  if (!startUrl || !ssoRegion) {
    throw new CliError(
      `Missing the following required SSO configuration values: ${[startUrl ? '' : 'sso_start_url', ssoRegion ? '' : 'sso_region'].filter(Boolean).join(', ')}.`,
      253,
    );
  }
  const sessionProfiles = profilesOfSession(cfg, session);
  const handWritten = sessionProfiles.find((n) => getProfile(cfg, n)?.[MARKER_KEY] === undefined);
  const target: SsoTarget = {
    kind: 'session',
    sessionName: session,
    startUrl,
    region: ssoRegion,
    ...(opts.profile !== undefined
      ? { profileName: opts.profile }
      : handWritten
        ? { profileName: handWritten }
        : {}),
  };
  const token = (await ensureToken(ctx, target)).token.accessToken;
  const epProfile = endpointProfile(cfg, target);
  const endpoint = resolveEndpoint('sso', ssoRegion, { env: io.env, cfg, profile: epProfile });
  const portal = new PortalClient(ctx.http, endpoint.url, token);

  let map: AccessMap | undefined;
  let source: PopulateResult['source'] = 'discovery';
  try {
    if (!opts.noDiscovery && endpoint.custom) map = await portal.discoverAccess();
    if (!map) {
      source = 'portal';
      map = (await accessViaPortal(ctx, portal, opts)).map;
    }
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'UnauthorizedException') {
      throw new LoginRequiredError(
        `The SSO session ${session} has expired or is otherwise invalid. To sign in again, run: idcenter sso login --sso-session ${session}`,
      );
    }
    if (err instanceof ServiceError) throw new CliError(err.message, 254);
    throw err;
  }

  // What every generated profile shares: session, region, output, endpoints.
  const base: Record<string, string> = { sso_session: session };
  const model = handWritten ? getProfile(cfg, handWritten) : undefined;
  const region = opts.region ?? str(model?.region) ?? ssoRegion;
  const output = opts.output ?? str(model?.output);
  let services: { name: string; block: Partial<Record<ServiceKey, string>> } | undefined;
  const knownServices = str(epProfile?.services);
  const knownEndpoint = str(epProfile?.endpoint_url);
  if (knownServices) base.services = knownServices;
  else if (knownEndpoint) base.endpoint_url = knownEndpoint;
  else {
    const block: Partial<Record<ServiceKey, string>> = {};
    for (const k of ['sso', 'sso_oidc', 'sts'] as const) {
      const e = resolveEndpoint(k, ssoRegion, { env: io.env, cfg });
      if (e.custom) block[k] = e.url;
    }
    if (Object.keys(block).length) {
      services = { name: session, block };
      base.services = session;
    }
  }

  // Desired (account, role) pairs in a stable order.
  const wanted: Wanted[] = [];
  for (const a of map.accounts) for (const role of a.roles) wanted.push({ account: a, role });
  wanted.sort((x, y) => {
    const ax = (x.account.accountName ?? '').toLowerCase();
    const ay = (y.account.accountName ?? '').toLowerCase();
    return ax < ay
      ? -1
      : ax > ay
        ? 1
        : x.account.accountId < y.account.accountId
          ? -1
          : x.account.accountId > y.account.accountId
            ? 1
            : x.role < y.role
              ? -1
              : x.role > y.role
                ? 1
                : 0;
  });

  // Existing profiles: ours (by marker) keyed by account/role, and every taken name.
  const ours = new Map<string, string>();
  const ourNames = new Set<string>();
  const taken = new Set<string>();
  const handWrittenNames = new Set<string>();
  for (const id of cfg.file.sections()) {
    if (id.kind !== 'profile' && id.kind !== 'default') continue;
    taken.add(id.name);
    const p = cfg.file.get(id) as Record<string, ConfigValue>;
    if (str(p[MARKER_KEY]) === session) {
      ours.set(`${str(p.sso_account_id)}/${str(p.sso_role_name)}`, id.name);
      ourNames.add(id.name);
    } else if (p[MARKER_KEY] === undefined) {
      handWrittenNames.add(id.name);
    }
  }

  const result: PopulateResult = {
    session,
    accounts: map.accounts.length,
    roles: wanted.length,
    added: [],
    updated: [],
    unchanged: 0,
    removed: [],
    lostAccess: [],
    skipped: [],
    source,
    written: [],
  };
  const keep = new Set<string>();
  for (const w of wanted) {
    const key = `${w.account.accountId}/${w.role}`;
    let name = ours.get(key);
    const values: Record<string, string> = {
      ...base,
      sso_account_id: w.account.accountId,
      sso_role_name: w.role,
      region,
      ...(output ? { output } : {}),
      [MARKER_KEY]: session,
    };
    if (name === undefined) {
      const wantedName =
        renderTemplate(template, w.account, w.role, session) || `${w.role}-${w.account.accountId}`;
      name = wantedName;
      for (let n = 1; taken.has(name); n++) {
        name = n === 1 ? `${wantedName}-${w.account.accountId}` : `${wantedName}-${w.account.accountId}-${n}`;
      }
      if (name !== wantedName && handWrittenNames.has(wantedName)) {
        // A hand-written profile holds the name; ours gets a suffixed one and the person is told.
        result.skipped.push(`${wantedName} (kept the hand-written profile; generated ${name} instead)`);
      }
      taken.add(name);
      cfg.file.set(sectionId.profile(name), values);
      result.added.push(name);
      result.written.push({ name, accountId: w.account.accountId, roleName: w.role, change: 'add' });
    } else {
      const current = getProfile(cfg, name) as Record<string, ConfigValue>;
      const changed = Object.entries(values).some(([k, v]) => current[k] !== v);
      if (changed) {
        cfg.file.set(sectionId.profile(name), values);
        result.updated.push(name);
        result.written.push({ name, accountId: w.account.accountId, roleName: w.role, change: 'update' });
      } else {
        result.unchanged++;
      }
    }
    keep.add(name);
  }
  for (const name of ourNames) {
    if (keep.has(name)) continue;
    if (opts.prune) {
      cfg.file.remove(sectionId.profile(name));
      result.removed.push(name);
    } else {
      result.lostAccess.push(name);
    }
  }
  if (services && (result.added.length || result.updated.length)) {
    const block: Record<string, Record<string, string>> = {};
    for (const [k, url] of Object.entries(services.block)) block[k] = { endpoint_url: url as string };
    cfg.file.set(sectionId.services(services.name), block);
  }
  const changed = result.added.length + result.updated.length + result.removed.length > 0;
  if (changed && !opts.dryRun) saveConfig(cfg as LoadedConfig);
  return result;
}

export function printPopulateResult(out: OutStream, r: PopulateResult, dryRun: boolean): void {
  const verb = dryRun ? 'Would populate' : 'Populated';
  out.write(
    `${verb} profiles for sso-session ${r.session} from ${r.accounts} account${r.accounts === 1 ? '' : 's'} and ${r.roles} role${r.roles === 1 ? '' : 's'}` +
      ` (${r.source === 'discovery' ? 'idcenter discovery' : 'portal API'}):\n` +
      `  ${r.added.length} added, ${r.updated.length} updated, ${r.unchanged} unchanged, ${r.removed.length} removed\n`,
  );
  if (dryRun && r.written.length) {
    // Every profile it would write, `+` new and `~` changed, so a dry run shows the names.
    const width = Math.max(...r.written.map((w) => w.name.length));
    for (const w of r.written) {
      out.write(
        `  ${w.change === 'add' ? '+' : '~'} ${w.name.padEnd(width)}  ${w.accountId}  ${w.roleName}\n`,
      );
    }
  }
  if (dryRun && r.removed.length) for (const name of r.removed) out.write(`  - ${name}\n`);
  const list = (names: string[]) =>
    names.slice(0, 20).join(', ') + (names.length > 20 ? `, … (${names.length - 20} more)` : '');
  if (r.removed.length) out.write(`Removed (access ended): ${list(r.removed)}\n`);
  if (r.lostAccess.length) {
    out.write(
      `${r.lostAccess.length} generated profile${r.lostAccess.length === 1 ? '' : 's'} lost access: ${list(r.lostAccess)}\n` +
        'Run again with --prune to remove them.\n',
    );
  }
  for (const s of r.skipped) out.write(`Name taken: ${s}\n`);
}
