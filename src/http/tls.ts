/**
 * HTTPS for `idcenter server --tls`.
 *
 * - With `--tls-cert` and `--tls-key`: those PEM files, as given.
 * - Without them: a private CA and a server certificate are generated into `<data dir>/tls/`
 *   (`ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem`) on first start, and the server
 *   certificate is renewed when it nears expiry or the public host changes. Clients trust the
 *   server with `AWS_CA_BUNDLE=<data dir>/tls/ca.pem` (or `ca_bundle`), which the banner prints.
 *
 * Certificates are made by the `openssl` command (present on Linux and macOS; Node has no X.509
 * builder). We chose it over an npm package such as node-forge or selfsigned: no new dependency
 * for a feature most deployments replace with their own certificate, and OpenSSL writes exactly
 * the extensions strict verifiers want (basicConstraints, key usage, SAN, key identifiers).
 * Without `openssl` on PATH the server says so and how to give certificate files instead.
 */
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
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

const SERVER_CERT_DAYS = 397;
const CA_DAYS = 3650;
const RENEW_BEFORE_MS = 30 * 86400_000;

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

function sanText(names: { dns: string[]; ips: string[] }): string {
  return [...names.dns.map((d) => `DNS:${d}`), ...names.ips.map((ip) => `IP:${ip}`)].join(',');
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

function writePrivate(file: string, data: string | Buffer): void {
  fs.writeFileSync(file, data, { mode: 0o600 });
}

async function ensureCa(dir: string): Promise<void> {
  const caPath = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca-key.pem');
  if (fs.existsSync(caPath) && fs.existsSync(caKey)) {
    const ca = new X509Certificate(fs.readFileSync(caPath));
    if (Date.parse(ca.validTo) - Date.now() > RENEW_BEFORE_MS) return;
  }
  const work = fs.mkdtempSync(path.join(dir, '.ca-'));
  try {
    await openssl(
      [
        'req',
        '-x509',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'ca-key.pem',
        '-out',
        'ca.pem',
        '-sha256',
        '-days',
        String(CA_DAYS),
        '-subj',
        `/O=idcenter/CN=idcenter local CA ${randomBytes(4).toString('hex')}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE,pathlen:0',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-addext',
        'subjectKeyIdentifier=hash',
      ],
      work,
    );
    writePrivate(caKey, fs.readFileSync(path.join(work, 'ca-key.pem')));
    fs.writeFileSync(caPath, fs.readFileSync(path.join(work, 'ca.pem')));
    // A new CA invalidates the old server certificate.
    fs.rmSync(path.join(dir, 'server.pem'), { force: true });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function serverCertIsCurrent(dir: string, names: { dns: string[]; ips: string[] }): boolean {
  const certPath = path.join(dir, 'server.pem');
  if (!fs.existsSync(certPath) || !fs.existsSync(path.join(dir, 'server-key.pem'))) return false;
  try {
    const cert = new X509Certificate(fs.readFileSync(certPath));
    const ca = new X509Certificate(fs.readFileSync(path.join(dir, 'ca.pem')));
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
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

async function ensureServerCert(dir: string, config: Config): Promise<void> {
  const names = certificateNames(config);
  if (serverCertIsCurrent(dir, names)) return;
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
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'server-key.pem',
        '-out',
        'server.csr',
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
        String(SERVER_CERT_DAYS),
        '-extfile',
        'ext.cnf',
        '-out',
        'server.pem',
      ],
      work,
    );
    writePrivate(path.join(dir, 'server-key.pem'), fs.readFileSync(path.join(work, 'server-key.pem')));
    fs.writeFileSync(path.join(dir, 'server.pem'), fs.readFileSync(path.join(work, 'server.pem')));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The HTTPS options for the listener, or undefined when TLS is off.
 *
 * @example const tls = await loadTlsOptions(config, log); if (tls?.caPath) console.log(`AWS_CA_BUNDLE=${tls.caPath}`);
 */
export async function loadTlsOptions(config: Config, log: FastifyBaseLogger): Promise<LoadedTls | undefined> {
  if (!config.tls) return undefined;
  if (config.tlsCert && config.tlsKey) {
    const cert = readPem(config.tlsCert, 'certificate');
    const key = readPem(config.tlsKey, 'key');
    log.info({ cert: config.tlsCert }, 'serving HTTPS with the given certificate');
    return { cert, key, caPath: null };
  }
  const dir = path.join(config.dataDir, 'tls');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await ensureCa(dir);
  await ensureServerCert(dir, config);
  const caPath = path.join(dir, 'ca.pem');
  const cert = Buffer.concat([fs.readFileSync(path.join(dir, 'server.pem')), fs.readFileSync(caPath)]);
  const key = fs.readFileSync(path.join(dir, 'server-key.pem'));
  log.info({ caPath }, 'serving HTTPS with a generated certificate; clients trust it with AWS_CA_BUNDLE');
  return { cert, key, caPath };
}
