/**
 * The one typed schema of server settings. Each setting has an environment variable
 * (`IDCENTER_*`), a flag of `idcenter server`, a default and a unit. `docs/configuration.md`
 * is generated from this table (`node scripts/gen-config-docs.mjs`); only `config/` reads
 * the environment.
 */
import { z } from 'zod';
import { parseDuration } from '../domain/duration.ts';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

/** A duration setting in seconds, written `90s`, `15m`, `8h`, `90d` or ISO-8601 `PT8H`. */
function durationSetting(min: number, max: number) {
  return z.string().transform((raw, ctx) => {
    const seconds = parseDuration(raw);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${raw}" is not a duration (write 15m, 8h, 90d or PT8H)` });
      return z.NEVER;
    }
    if (seconds < min || seconds > max) {
      ctx.addIssue({
        code: 'custom',
        message: `${raw} is outside the allowed range ${formatSeconds(min)} to ${formatSeconds(max)}`,
      });
      return z.NEVER;
    }
    return seconds;
  });
}

export function formatSeconds(seconds: number): string {
  if (seconds % DAY === 0) return `${seconds / DAY}d`;
  if (seconds % HOUR === 0) return `${seconds / HOUR}h`;
  if (seconds % MINUTE === 0) return `${seconds / MINUTE}m`;
  return `${seconds}s`;
}

/** A whole-number setting from `min` to `max`. */
function wholeNumberSetting(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

const booleanSetting = z.string().transform((raw, ctx) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  ctx.addIssue({ code: 'custom', message: `"${raw}" is not a boolean (write true or false)` });
  return z.NEVER;
});

const listSetting = z.string().transform((raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

/** `raw` without its trailing slashes when it is an http(s) URL, else an issue and z.NEVER. */
function httpUrl(raw: string, ctx: z.RefinementCtx): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    return raw.replace(/\/+$/, '');
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${raw}" is not an http(s) URL` });
    return z.NEVER;
  }
}

const urlSetting = z.string().transform(httpUrl);

/** An http(s) URL, or empty for none. */
const optionalUrlSetting = z.string().transform((raw, ctx) => (raw.trim() === '' ? '' : httpUrl(raw, ctx)));

/**
 * `host:port` (`[::1]:9464` for IPv6), or empty for none; port 0 picks a free one. Resolved to
 * `{ host, port }`, or null.
 */
const listenSetting = z.string().transform((raw, ctx) => {
  if (raw.trim() === '') return null;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(raw.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    ctx.addIssue({
      code: 'custom',
      message: `"${raw}" is not host:port (write 127.0.0.1:9464, or [::1]:9464 for IPv6)`,
    });
    return z.NEVER;
  }
  return { host: m[1] ?? m[2] ?? '', port };
});

const regionSetting = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region name such as us-east-1');

export interface SettingDef<T> {
  /** Key in the resolved config object. */
  key: string;
  env: string;
  flag: string;
  description: string;
  /** Raw default, as a user would write it; `undefined` means "derived" (see `derived`). */
  default: string | undefined;
  derived?: string;
  unit?: string;
  schema: z.ZodType<T, string>;
  /** Shown as a warning when the default is used in a setting meant for development only. */
  devOnly?: string;
}

function def<T>(d: SettingDef<T>): SettingDef<T> {
  return d;
}

export const settings = {
  host: def({
    key: 'host',
    env: 'IDCENTER_HOST',
    flag: '--host',
    description: 'Address the server listens on.',
    default: '127.0.0.1',
    schema: z.string().min(1),
  }),
  port: def({
    key: 'port',
    env: 'IDCENTER_PORT',
    flag: '--port',
    description: 'TCP port the server listens on (0 picks a free port).',
    default: '7400',
    schema: wholeNumberSetting(0, 65535),
  }),
  publicUrl: def({
    key: 'publicUrl',
    env: 'IDCENTER_PUBLIC_URL',
    flag: '--public-url',
    description:
      'The URL clients use to reach this server (scheme, host, port and optional path prefix). Used in start URL, device verification URI and redirects.',
    default: undefined,
    derived: 'http(s)://<host>:<port>',
    schema: urlSetting,
  }),
  startUrlAliases: def({
    key: 'startUrlAliases',
    env: 'IDCENTER_START_URL_ALIASES',
    flag: '--start-url-aliases',
    description:
      'Comma-separated extra start URLs accepted as startUrl/issuerUrl, e.g. an AWS-looking https://d-0000000000.awsapps.com/start for stock AWS CLI v2.',
    default: '',
    schema: listSetting,
  }),
  region: def({
    key: 'region',
    env: 'IDCENTER_REGION',
    flag: '--region',
    description: 'SSO region of this instance, shown to clients as sso_region.',
    default: 'us-east-1',
    schema: regionSetting,
  }),
  dataDir: def({
    key: 'dataDir',
    env: 'IDCENTER_DATA_DIR',
    flag: '--data-dir',
    description: 'Directory for the SQLite store, server keys and the generated TLS certificate.',
    default: './data',
    schema: z.string().min(1),
  }),
  databaseUrl: def({
    key: 'databaseUrl',
    env: 'IDCENTER_DATABASE_URL',
    flag: '--database-url',
    description:
      'postgres://user@host:port/db selects PostgreSQL (any number of replicas may share it); default is the SQLite file <data dir>/idcenter.db.',
    default: undefined,
    derived: 'sqlite:<data dir>/idcenter.db',
    schema: z
      .string()
      .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres://, postgresql:// or sqlite:'),
  }),
  logLevel: def({
    key: 'logLevel',
    env: 'IDCENTER_LOG_LEVEL',
    flag: '--log-level',
    description: 'Log level: fatal, error, warn, info, debug, trace or silent.',
    default: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  }),
  metricsListen: def({
    key: 'metricsListen',
    env: 'IDCENTER_METRICS_LISTEN',
    flag: '--metrics-listen',
    description:
      'host:port of a second listener that serves only GET /metrics (plain HTTP; keep it on a private address), e.g. 127.0.0.1:9464. Empty: no second listener.',
    default: '',
    unit: 'host:port, [IPv6]:port',
    schema: listenSetting,
  }),
  metricsToken: def({
    key: 'metricsToken',
    env: 'IDCENTER_METRICS_TOKEN',
    flag: '--metrics-token',
    description:
      'Bearer token a scraper must send (Authorization: Bearer <token>) wherever /metrics is served; with it set, the public listener serves /metrics too. Empty: the public listener does not serve /metrics. Prefer the variable to the flag, which other users of the machine can see.',
    default: '',
    unit: 'at least 32 characters, no spaces',
    schema: z
      .string()
      .regex(
        /^(|[\x21-\x7e]{32,1024})$/,
        'must be 32 to 1024 printable characters without spaces (e.g. openssl rand -hex 32)',
      ),
  }),
  portalSessionDuration: def({
    key: 'portalSessionDuration',
    env: 'IDCENTER_PORTAL_SESSION_DURATION',
    flag: '--portal-session-duration',
    description: 'Lifetime of an access-portal sign-in; refresh tokens live as long as it.',
    default: '8h',
    unit: 'duration, 15m to 90d',
    schema: durationSetting(15 * MINUTE, 90 * DAY),
  }),
  accessTokenTtl: def({
    key: 'accessTokenTtl',
    env: 'IDCENTER_ACCESS_TOKEN_TTL',
    flag: '--access-token-ttl',
    description:
      'Lifetime of OIDC access tokens. Never under 15 minutes: botocore refreshes tokens with less than 15 minutes left.',
    default: '1h',
    unit: 'duration, 15m to 24h',
    schema: durationSetting(15 * MINUTE, 24 * HOUR),
  }),
  requireMfa: def({
    key: 'requireMfa',
    env: 'IDCENTER_REQUIRE_MFA',
    flag: '--require-mfa',
    description: 'Require an MFA device for every user; users without one enrol at their next sign-in.',
    default: 'false',
    schema: booleanSetting,
  }),
  tls: def({
    key: 'tls',
    env: 'IDCENTER_TLS',
    flag: '--tls',
    description:
      'Serve HTTPS. Without --tls-cert/--tls-key a self-signed CA and certificate are generated into the data directory.',
    default: 'false',
    schema: booleanSetting,
  }),
  tlsCert: def({
    key: 'tlsCert',
    env: 'IDCENTER_TLS_CERT',
    flag: '--tls-cert',
    description: 'PEM certificate chain file for HTTPS.',
    default: '',
    schema: z.string(),
  }),
  tlsKey: def({
    key: 'tlsKey',
    env: 'IDCENTER_TLS_KEY',
    flag: '--tls-key',
    description: 'PEM private key file for HTTPS.',
    default: '',
    schema: z.string(),
  }),
  credentialKeys: def({
    key: 'credentialKeys',
    env: 'IDCENTER_CREDENTIAL_KEYS',
    flag: '--credential-keys',
    description:
      'Keys that seal role-credential session tokens, as comma-separated <id>:<base64 32 bytes>; the first signs, all verify. Default: generated into <data dir>/credential-keys.json (give the same value to every replica).',
    default: '',
    schema: z.string(),
  }),
  samlKeyFile: def({
    key: 'samlKeyFile',
    env: 'IDCENTER_SAML_KEY_FILE',
    flag: '--saml-key-file',
    description:
      'PEM RSA private key that signs SAML assertions for federated (aws) accounts. Give it with IDCENTER_SAML_CERT_FILE, the same files to every replica. Default: generated into <data dir>/saml/ on first use.',
    default: '',
    schema: z.string(),
  }),
  samlCertFile: def({
    key: 'samlCertFile',
    env: 'IDCENTER_SAML_CERT_FILE',
    flag: '--saml-cert-file',
    description: 'PEM certificate of IDCENTER_SAML_KEY_FILE, published in the SAML metadata.',
    default: '',
    schema: z.string(),
  }),
  samlNextCertFile: def({
    key: 'samlNextCertFile',
    env: 'IDCENTER_SAML_NEXT_CERT_FILE',
    flag: '--saml-next-cert-file',
    description:
      'A certificate published in the SAML metadata beside the current one before a key rollover, so IAM providers updated from the metadata trust both.',
    default: '',
    schema: z.string(),
  }),
  samlEntityId: def({
    key: 'samlEntityId',
    env: 'IDCENTER_SAML_ENTITY_ID',
    flag: '--saml-entity-id',
    description:
      'The SAML entity id of this identity provider: the Issuer of every assertion and the entityID of the metadata IAM trusts. Keep it stable: changing it breaks every IAM SAML provider made from the old metadata.',
    default: undefined,
    derived: '<public url>/saml/metadata',
    schema: z.string(),
  }),
  webIdentityKeyFile: def({
    key: 'webIdentityKeyFile',
    env: 'IDCENTER_WEB_IDENTITY_KEY_FILE',
    flag: '--web-identity-key-file',
    description:
      'PEM RSA private key (2048 bits or more) that signs the web identity (OIDC) tokens of federated accounts with federation: oidc; its public key is published at <public url>/.well-known/jwks.json. The same file to every replica. Default: generated into <data dir>/oidc/ on first use.',
    default: '',
    schema: z.string(),
  }),
  webIdentityNextKeyFile: def({
    key: 'webIdentityNextKeyFile',
    env: 'IDCENTER_WEB_IDENTITY_NEXT_KEY_FILE',
    flag: '--web-identity-next-key-file',
    description:
      'A PEM RSA key (private or public) published in the JWKS beside the current one before a key rollover, so AWS already knows it when tokens start being signed with it.',
    default: '',
    schema: z.string(),
  }),
  awsStsEndpoint: def({
    key: 'awsStsEndpoint',
    env: 'IDCENTER_AWS_STS_ENDPOINT',
    flag: '--aws-sts-endpoint',
    description:
      "The STS endpoint that turns signed SAML assertions and web identity tokens into credentials for federated (aws) accounts, for every partition and region: a VPC endpoint, a private region, or a stand-in for tests. Default: the regional endpoint of the account's partition (https://sts.<region>.amazonaws.com).",
    default: '',
    schema: optionalUrlSetting,
  }),
  awsSigninEndpoint: def({
    key: 'awsSigninEndpoint',
    env: 'IDCENTER_AWS_SIGNIN_ENDPOINT',
    flag: '--aws-signin-endpoint',
    description:
      "The audience and recipient of every SAML assertion for federated (aws) accounts. Default: the sign-in endpoint of the account's partition (https://signin.aws.amazon.com/saml for aws). IAM refuses assertions for any other audience, so change it only for a stand-in.",
    default: '',
    schema: optionalUrlSetting,
  }),
  awsStsTimeout: def({
    key: 'awsStsTimeout',
    env: 'IDCENTER_AWS_STS_TIMEOUT',
    flag: '--aws-sts-timeout',
    description:
      'How long the server waits for STS when it gets credentials for a federated (aws) account, connecting included; then the caller gets an error saying STS did not answer. Not retried by the server.',
    default: '10s',
    unit: 'duration, 1s to 60s',
    schema: durationSetting(1, MINUTE),
  }),
  awsIamEndpoint: def({
    key: 'awsIamEndpoint',
    env: 'IDCENTER_AWS_IAM_ENDPOINT',
    flag: '--aws-iam-endpoint',
    description:
      "The IAM endpoint idcenter apply provisions federated (aws) accounts through (their SAML provider and roles), for every partition: a private region, or a stand-in for tests. Default: the IAM endpoint of the account's partition (https://iam.amazonaws.com for aws).",
    default: '',
    schema: optionalUrlSetting,
  }),
  awsIamTimeout: def({
    key: 'awsIamTimeout',
    env: 'IDCENTER_AWS_IAM_TIMEOUT',
    flag: '--aws-iam-timeout',
    description:
      'How long idcenter apply waits for one IAM or STS call while it provisions federated (aws) accounts, connecting and retries included; then it stops with an error naming the endpoint.',
    default: '10s',
    unit: 'duration, 1s to 5m',
    schema: durationSetting(1, 5 * MINUTE),
  }),
  trustProxy: def({
    key: 'trustProxy',
    env: 'IDCENTER_TRUST_PROXY',
    flag: '--trust-proxy',
    description: 'Trust X-Forwarded-* headers from a reverse proxy (for client IPs in the audit log).',
    default: 'false',
    schema: booleanSetting,
  }),
  bodyTimeout: def({
    key: 'bodyTimeout',
    env: 'IDCENTER_BODY_TIMEOUT',
    flag: '--body-timeout',
    description:
      'Time a client has to send a whole request, headers and body, from its first byte; a slower request is answered 408 and its connection closed. A connection that sends nothing for this long is closed too.',
    default: '30s',
    unit: 'duration, 1s to 10m',
    schema: durationSetting(1, 10 * MINUTE),
  }),
  maxConnectionsPerAddress: def({
    key: 'maxConnectionsPerAddress',
    env: 'IDCENTER_MAX_CONNECTIONS_PER_ADDRESS',
    flag: '--max-connections-per-address',
    description:
      'Most connections one client address may hold open at once; more are refused (closed at once). 0 is no cap. Behind a reverse proxy (IDCENTER_TRUST_PROXY) every connection comes from the proxy, so the default there is no cap: limit clients at the proxy.',
    default: undefined,
    derived: '128; 0 with IDCENTER_TRUST_PROXY=true',
    unit: 'connections, 0 to 1000000',
    schema: wholeNumberSetting(0, 1_000_000),
  }),
  shutdownGrace: def({
    key: 'shutdownGrace',
    env: 'IDCENTER_SHUTDOWN_GRACE',
    flag: '--shutdown-grace',
    description:
      'On SIGTERM, how long /readyz answers 503 while the server still accepts and answers requests, so a load balancer takes it out of rotation before it stops listening. SIGINT skips it.',
    default: '5s',
    unit: 'duration, 0s to 5m',
    schema: durationSetting(0, 5 * MINUTE),
  }),
  shutdownTimeout: def({
    key: 'shutdownTimeout',
    env: 'IDCENTER_SHUTDOWN_TIMEOUT',
    flag: '--shutdown-timeout',
    description:
      'After the grace, how long requests in flight may take to finish; then the connections still open are closed and the server exits.',
    default: '20s',
    unit: 'duration, 1s to 1h',
    schema: durationSetting(1, HOUR),
  }),
  sweepInterval: def({
    key: 'sweepInterval',
    env: 'IDCENTER_SWEEP_INTERVAL',
    flag: '--sweep-interval',
    description:
      'How often the server deletes what can never be used again: device authorizations, authorization codes, tokens, sign-ins and client registrations a day past their expiry, stale throttle counters and revocations that outlived every credential they covered (never the audit log). On PostgreSQL one replica sweeps at a time. 0s: never (run idcenter store sweep instead).',
    default: '10m',
    unit: 'duration, 0s to 24h',
    schema: durationSetting(0, DAY),
  }),
  partition: def({
    key: 'partition',
    env: 'IDCENTER_PARTITION',
    flag: '--partition',
    description: 'ARN partition used in identifiers.',
    default: 'aws',
    schema: z.enum(['aws', 'aws-cn', 'aws-us-gov']),
  }),
} as const;

type Settings = typeof settings;
type Raw = { [K in keyof Settings]: Settings[K] extends SettingDef<infer T> ? T : never };

/** The resolved, frozen server configuration. */
export interface Config extends Omit<Raw, 'publicUrl' | 'databaseUrl' | 'samlEntityId'> {
  /** Absent: `<publicUrl>/saml/metadata` (see app/federation/identity-provider.ts). */
  samlEntityId?: string;
  publicUrl: string;
  databaseUrl: string;
  /** `<publicUrl>/start` */
  startUrl: string;
  /** True when publicUrl was derived from host and port rather than configured. */
  publicUrlDerived: boolean;
}
