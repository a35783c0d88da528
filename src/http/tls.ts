/**
 * HTTPS for `idcenter server --tls`.
 *
 * - With `--tls-cert` and `--tls-key`: those PEM files, as given.
 * - Without them: a private CA and a server certificate are generated into `<data dir>/tls/`
 *   (`ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem`). Clients trust the server with
 *   `AWS_CA_BUNDLE=<data dir>/tls/ca.pem` (or `ca_bundle`), which the banner prints. Someone who
 *   trusts that CA trusts whatever its key signs, so the CA is made as harmless as it can be:
 *   name constraints allow it to vouch only for the server's own names (those of the server
 *   certificate: `certificateNames`), and it lives 90 days. Both are replaced together 30 days
 *   before the CA expires, or when the server's names change, at start and, while the server
 *   runs, by `keepGeneratedTlsFresh`, which hands new certificates to the listener without a
 *   restart. A client that trusts a copy of `ca.pem` (not the file itself) needs the new copy.
 * - `Strict-Transport-Security` (`installHsts`) on every answer of a server reached over HTTPS.
 *
 * Certificates are made by the `openssl` command (present on Linux and macOS; Node has no X.509
 * builder). We chose it over an npm package such as node-forge or selfsigned: no new dependency
 * for a feature most deployments replace with their own certificate, and OpenSSL writes exactly
 * the extensions strict verifiers want (basicConstraints, key usage, SAN, key identifiers).
 * Without `openssl` on PATH the server says so and how to give certificate files instead.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { promisify } from 'node:util';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.ts';

const run = promisify(execFile);

export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
}

export interface LoadedTls extends TlsOptions {
  /** The CA certificate clients should trust, when we generated it; null for given files. */
  caPath: string | null;
}

const DAY_MS = 86400_000;
/** Lifetime of a generated CA; the server certificate ends with it. */
export const CA_DAYS = 90;
/** Both are replaced when the CA has less than this left. */
export const RENEW_BEFORE_MS = 30 * DAY_MS;
/** How often a running server checks whether its generated certificates are due. */
const RENEW_CHECK_MS = 12 * 3600_000;

export class TlsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TlsError';
  }
}

function readPem(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new TlsError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** The names the server certificate must carry: loopback, the public host, the listen host. */
export function certificateNames(config: Config): { dns: string[]; ips: string[] } {
  const dns = new Set<string>(['localhost']);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  const add = (host: string) => {
    const h = host.replace(/^\[|\]$/g, '');
    if (!h || h === '0.0.0.0' || h === '::') return;
    if (isIP(h)) ips.add(h);
    else dns.add(h.toLowerCase());
  };
  add(new URL(config.publicUrl).hostname);
  add(config.host);
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}

type CertNames = { dns: string[]; ips: string[] };

function sanText(names: CertNames): string {
  return [...names.dns.map((d) => `DNS:${d}`), ...names.ips.map((ip) => `IP:${ip}`)].join(',');
}

/**
 * The CA's name constraints: permitted subtrees for exactly the server's names (a DNS name also
 * permits names under it), each IP address as a single-address range. Critical, as RFC 5280
 * asks, so a verifier that cannot apply them refuses the chain instead of ignoring them.
 */
function nameConstraintsText(names: CertNames): string {
  const ipRange = (ip: string) =>
    isIP(ip) === 4 ? `${ip}/255.255.255.255` : `${ip}/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff`;
  const permitted = [
    ...names.dns.map((d) => `permitted;DNS:${d}`),
    ...names.ips.map((ip) => `permitted;IP:${ipRange(ip)}`),
  ];
  return `critical,${permitted.join(',')}`;
}

/** A short digest of the names a CA is constrained to, kept in its subject to tell when they change. */
function namesTag(names: CertNames): string {
  return `names-${createHash('sha256').update(JSON.stringify(names)).digest('hex').slice(0, 16)}`;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new TlsError(
        'the openssl command is not installed, so no certificate can be generated: install openssl, or give a certificate with --tls-cert and --tls-key',
        { cause: err },
      );
    }
    throw new TlsError(`openssl failed: ${(e.stderr ?? e.message).trim().split('\n')[0]}`, { cause: err });
  }
}

/** openssl req arguments for a new P-256 key written to `keyFile` (unencrypted), the request or certificate to `outFile`. */
function newP256Key(keyFile: string, outFile: string): string[] {
  return [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    outFile,
  ];
}

function writePrivate(file: string, data: string | Buffer): void {
  fs.writeFileSync(file, data, { mode: 0o600 });
}

/**
 * The generated CA is usable: present, more than `RENEW_BEFORE_MS` from expiry, and constrained
 * to exactly these names (a CA from before name constraints has no tag and is replaced).
 */
function caIsCurrent(dir: string, names: CertNames, now: number): boolean {
  const caPath = path.join(dir, 'ca.pem');
  if (!fs.existsSync(caPath) || !fs.existsSync(path.join(dir, 'ca-key.pem'))) return false;
  try {
    const ca = new X509Certificate(fs.readFileSync(caPath));
    if (Date.parse(ca.validTo) - now <= RENEW_BEFORE_MS) return false;
    return ca.subject.split('\n').includes(`OU=${namesTag(names)}`);
  } catch {
    return false;
  }
}

/** Make a new CA unless the current one is usable; true when one was made. */
async function ensureCa(dir: string, names: CertNames, now: number): Promise<boolean> {
  if (caIsCurrent(dir, names, now)) return false;
  const caPath = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca-key.pem');
  const work = fs.mkdtempSync(path.join(dir, '.ca-'));
  try {
    await openssl(
      [
        'req',
        '-x509',
        '-new',
        ...newP256Key('ca-key.pem', 'ca.pem'),
        '-sha256',
        '-days',
        String(CA_DAYS),
        '-subj',
        `/O=idcenter/OU=${namesTag(names)}/CN=idcenter local CA ${randomBytes(4).toString('hex')}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE,pathlen:0',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-addext',
        'subjectKeyIdentifier=hash',
        '-addext',
        `nameConstraints=${nameConstraintsText(names)}`,
      ],
      work,
    );
    writePrivate(caKey, fs.readFileSync(path.join(work, 'ca-key.pem')));
    fs.writeFileSync(caPath, fs.readFileSync(path.join(work, 'ca.pem')));
    // A new CA invalidates the old server certificate.
    fs.rmSync(path.join(dir, 'server.pem'), { force: true });
    return true;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function serverCertIsCurrent(dir: string, names: CertNames, now: number): boolean {
  const certPath = path.join(dir, 'server.pem');
  if (!fs.existsSync(certPath) || !fs.existsSync(path.join(dir, 'server-key.pem'))) return false;
  try {
    const cert = new X509Certificate(fs.readFileSync(certPath));
    const ca = new X509Certificate(fs.readFileSync(path.join(dir, 'ca.pem')));
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (Date.parse(cert.validTo) - now <= RENEW_BEFORE_MS) return false;
    const san = cert.subjectAltName ?? '';
    const have = new Set(san.split(', ').map((s) => s.trim()));
    const wantDns = names.dns.every((d) => have.has(`DNS:${d}`));
    const wantIp = names.ips.every((ip) =>
      [...have].some((h) => h.startsWith('IP Address:') && sameIp(h.slice(11), ip)),
    );
    return wantDns && wantIp;
  } catch {
    return false;
  }
}

function sameIp(a: string, b: string): boolean {
  const norm = (s: string) => (s.includes(':') ? s.toLowerCase().replace(/(^|:)0+(?=[0-9a-f])/g, '$1') : s);
  if (norm(a) === norm(b)) return true;
  // node prints ::1 as 0:0:0:0:0:0:0:1
  return a.includes(':') && b === '::1' && /^(0+:){7}0*1$/.test(a);
}

/** Make a new server certificate unless the current one is usable; true when one was made. */
async function ensureServerCert(dir: string, names: CertNames, now: number): Promise<boolean> {
  if (serverCertIsCurrent(dir, names, now)) return false;
  // It ends with the CA (to within the day: openssl counts whole days from its own clock), so
  // the two come due together and are replaced together.
  const ca = new X509Certificate(fs.readFileSync(path.join(dir, 'ca.pem')));
  const days = Math.max(1, Math.ceil((Date.parse(ca.validTo) - Date.now()) / DAY_MS));
  const work = fs.mkdtempSync(path.join(dir, '.srv-'));
  try {
    const cn =
      names.dns.find((d) => d !== 'localhost') ?? names.ips.find((ip) => ip !== '::1') ?? 'localhost';
    fs.writeFileSync(
      path.join(work, 'ext.cnf'),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${sanText(names)}`,
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
        '',
      ].join('\n'),
    );
    await openssl(
      [
        'req',
        '-new',
        ...newP256Key('server-key.pem', 'server.csr'),
        '-subj',
        `/O=idcenter/CN=${cn.replace(/[/\\=]/g, '_')}`,
      ],
      work,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        path.join(dir, 'ca.pem'),
        '-CAkey',
        path.join(dir, 'ca-key.pem'),
        '-set_serial',
        `0x${randomBytes(16)
          .toString('hex')
          .replace(/^[89a-f]/, '1')}`,
        '-sha256',
        '-days',
        String(days),
        '-extfile',
        'ext.cnf',
        '-out',
        'server.pem',
      ],
      work,
    );
    writePrivate(path.join(dir, 'server-key.pem'), fs.readFileSync(path.join(work, 'server-key.pem')));
    fs.writeFileSync(path.join(dir, 'server.pem'), fs.readFileSync(path.join(work, 'server.pem')));
    return true;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Bring the generated CA and server certificate up to date; true when anything was replaced. */
async function ensureGenerated(dir: string, config: Config, now: number): Promise<boolean> {
  const names = certificateNames(config);
  const newCa = await ensureCa(dir, names, now);
  const newCert = await ensureServerCert(dir, names, now);
  return newCa || newCert;
}

/** What the listener serves from the generated files: the server certificate, then the CA. */
function generatedPems(dir: string): TlsOptions {
  return {
    cert: Buffer.concat([
      fs.readFileSync(path.join(dir, 'server.pem')),
      fs.readFileSync(path.join(dir, 'ca.pem')),
    ]),
    key: fs.readFileSync(path.join(dir, 'server-key.pem')),
  };
}

/**
 * The HTTPS options for the listener, or undefined when TLS is off.
 *
 * @example const tls = await loadTlsOptions(config, log); if (tls?.caPath) console.log(`AWS_CA_BUNDLE=${tls.caPath}`);
 */
export async function loadTlsOptions(
  config: Config,
  log: FastifyBaseLogger,
  now = Date.now(),
): Promise<LoadedTls | undefined> {
  if (!config.tls) return undefined;
  if (config.tlsCert && config.tlsKey) {
    const cert = readPem(config.tlsCert, 'certificate');
    const key = readPem(config.tlsKey, 'key');
    log.info({ cert: config.tlsCert }, 'serving HTTPS with the given certificate');
    return { cert, key, caPath: null };
  }
  const dir = path.join(config.dataDir, 'tls');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await ensureGenerated(dir, config, now);
  const caPath = path.join(dir, 'ca.pem');
  log.info({ caPath }, 'serving HTTPS with a generated certificate; clients trust it with AWS_CA_BUNDLE');
  return { ...generatedPems(dir), caPath };
}

/** The listener whose certificate can be swapped while it runs (a node:https / node:tls server). */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export interface TlsRenewal {
  /** Replace the generated certificates when due (`now`: the time to judge by) and serve the new ones; true when replaced. */
  check(now?: number): Promise<boolean>;
  stop(): void;
}

/**
 * Keep a generated certificate current while the server runs: every 12 hours, replace the CA
 * and server certificate when due (see the file comment) and give them to the listener, which
 * serves them on new connections. A failure is logged and the current certificate kept.
 *
 * @example const renewal = tls?.caPath ? keepGeneratedTlsFresh(app.server, config, log) : undefined;
 */
export function keepGeneratedTlsFresh(
  target: SecureContextTarget,
  config: Config,
  log: FastifyBaseLogger,
): TlsRenewal {
  const dir = path.join(config.dataDir, 'tls');
  const check = async (now = Date.now()): Promise<boolean> => {
    try {
      if (!(await ensureGenerated(dir, config, now))) return false;
      target.setSecureContext(generatedPems(dir));
      log.info({ caPath: path.join(dir, 'ca.pem') }, 'replaced the generated TLS certificates');
      return true;
    } catch (err) {
      log.error({ err }, 'could not replace the generated TLS certificates; keeping the current ones');
      return false;
    }
  };
  const timer = setInterval(() => void check(), RENEW_CHECK_MS);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

/** One year, in seconds: the usual HSTS lifetime. */
const HSTS_MAX_AGE = 31_536_000;

/**
 * The `Strict-Transport-Security` value this server sends, or undefined.
 *
 * Sent when browsers reach the server over HTTPS: it serves TLS itself (`--tls`) or its public
 * URL is https (a TLS proxy in front; the header travels through it, and over plain HTTP browsers
 * ignore it anyway). Not for a public host `localhost` (or `*.localhost`): HSTS holds for every
 * port of a host, and pinning localhost would force each other local development server to HTTPS
 * in that browser for a year. (Browsers ignore it for IP addresses, so it is harmless there.)
 * Without `includeSubDomains`: the public host may be an organization's apex
 * (`https://example.com/idc`), and HTTPS for every name under it is that organization's decision,
 * for its proxy to make; likewise `preload`.
 */
export function hstsValue(config: Config): string | undefined {
  if (!config.tls && !config.publicUrl.startsWith('https:')) return undefined;
  const host = new URL(config.publicUrl).hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return undefined;
  return `max-age=${HSTS_MAX_AGE}`;
}

/**
 * Send HSTS on every answer the Fastify routes give (pages, assets, the OIDC and portal APIs).
 * The fast path's STS, GetRoleCredentials and admin API answers go without it: only SDKs call
 * those, and HSTS is a browser's business.
 */
export function installHsts(app: FastifyInstance, config: Config): void {
  const value = hstsValue(config);
  if (value === undefined) return;
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('strict-transport-security', value);
    done();
  });
}
