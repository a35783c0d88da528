/**
 * Resolve the server configuration once: flags win over `IDCENTER_*` environment variables,
 * which win over defaults. Every problem is collected and reported at once
 * (`ConfigError.problems`), each naming the flag and variable and saying what to write.
 */
import path from 'node:path';
import { type Config, type SettingDef, settings } from './schema.ts';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Connections one client address may hold by default: a browser opens at most 6 to a host, so
 * this leaves room for some twenty people behind one NAT address, and for the benchmarks' 64
 * connections from 127.0.0.1, while one address cannot hold the thousands of sockets that
 * exhaust a process's file descriptors.
 */
const DEFAULT_CONNECTIONS_PER_ADDRESS = 128;

export type RawSettings = Partial<Record<keyof typeof settings, string>>;

/** Settings that are only sensible for development, with the warning to print when used. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (
    !config.publicUrl.startsWith('https:') &&
    !/^http:\/\/(127\.|localhost|\[::1\])/.test(config.publicUrl)
  ) {
    warnings.push(
      `IDCENTER_PUBLIC_URL (${config.publicUrl}) is plain HTTP on a non-loopback address: sign-in and tokens travel in clear text. Serve HTTPS (--tls) or put a TLS proxy in front.`,
    );
  }
  return warnings;
}

/**
 * @param flags values given on the command line (strings, as typed)
 * @param env the process environment (only `IDCENTER_*` keys are read)
 * @example loadConfig({ port: '0' }, process.env)
 */
export function loadConfig(flags: RawSettings, env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const known = new Set(Object.values(settings).map((s) => s.env));
  for (const name of Object.keys(env)) {
    if (name.startsWith('IDCENTER_') && !known.has(name) && !name.startsWith('IDCENTER_TEST_')) {
      problems.push(
        `${name} is not a setting of idcenter; remove it or check the spelling (see docs/configuration.md)`,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(settings) as [keyof typeof settings, SettingDef<unknown>][]) {
    const fromFlag = flags[key];
    const fromEnv = env[def.env];
    const raw = fromFlag ?? fromEnv ?? def.default;
    if (raw === undefined) continue;
    const parsed = def.schema.safeParse(raw);
    if (parsed.success) {
      out[key] = parsed.data;
    } else {
      const source = fromFlag !== undefined ? def.flag : fromEnv !== undefined ? def.env : 'default';
      for (const issue of parsed.error.issues) {
        problems.push(`${def.env} (${def.flag}) from ${source}: ${issue.message}`);
      }
    }
  }
  if (out.tlsCert && !out.tlsKey)
    problems.push('IDCENTER_TLS_CERT is set but IDCENTER_TLS_KEY is not: give both');
  if (out.tlsKey && !out.tlsCert)
    problems.push('IDCENTER_TLS_KEY is set but IDCENTER_TLS_CERT is not: give both');
  if (Boolean(out.samlKeyFile) !== Boolean(out.samlCertFile))
    problems.push('give both IDCENTER_SAML_KEY_FILE and IDCENTER_SAML_CERT_FILE, or neither');
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(cwd, out.dataDir as string);
  const scheme = out.tls ? 'https' : 'http';
  const host = out.host as string;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const publicUrl = (out.publicUrl as string | undefined) ?? `${scheme}://${urlHost}:${out.port as number}`;
  let databaseUrl = (out.databaseUrl as string | undefined) ?? `sqlite:${path.join(dataDir, 'idcenter.db')}`;
  if (databaseUrl.startsWith('sqlite:') && databaseUrl !== 'sqlite::memory:') {
    databaseUrl = `sqlite:${path.resolve(cwd, databaseUrl.slice('sqlite:'.length))}`;
  }
  // Behind a trusted proxy every connection comes from the proxy: a cap per address would be
  // one cap for everybody, so there is none unless one is asked for.
  const maxConnectionsPerAddress =
    (out.maxConnectionsPerAddress as number | undefined) ??
    (out.trustProxy ? 0 : DEFAULT_CONNECTIONS_PER_ADDRESS);
  const config = {
    ...(out as Omit<Config, 'dataDir' | 'publicUrl' | 'databaseUrl' | 'startUrl'>),
    maxConnectionsPerAddress,
    dataDir,
    publicUrl,
    databaseUrl,
    startUrl: `${publicUrl}/start`,
    publicUrlDerived: out.publicUrl === undefined,
  } as Config;
  return Object.freeze(config);
}

/** Re-derive the URLs after the listener picked its port (port 0). */
export function withListenPort(config: Config, port: number): Config {
  if (config.port !== 0 || !config.publicUrlDerived) return config;
  const publicUrl = config.publicUrl.replace(/:0$/, `:${port}`);
  return Object.freeze({ ...config, port, publicUrl, startUrl: `${publicUrl}/start` });
}
