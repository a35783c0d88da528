/**
 * The generated CA of `idcenter server --tls`, read by `openssl x509 -text` and checked by
 * `openssl verify`: it may vouch only for the server's names (a certificate its key signs for any
 * other name is refused), it lives 90 days and the server certificate no longer, and both are
 * replaced when due or when the names change, also under a running listener. And HSTS: sent
 * over HTTPS, never over plain HTTP or for a public host `localhost`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import tls from 'node:tls';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/http/server.ts';
import { hstsValue, keepGeneratedTlsFresh, loadTlsOptions } from '../../src/http/tls.ts';
import { startTestServer } from '../helpers/server.ts';

const DAY_MS = 86400_000;
const log = createLogger('silent');

function openssl(args: string[], cwd?: string): { code: number; out: string } {
  try {
    const out = execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-tls-'));
}

function tlsConfig(dataDir: string, publicUrl: string) {
  return loadConfig({ tls: 'true', dataDir, publicUrl, host: '127.0.0.1', port: '7400' }, {});
}

function fingerprint(file: string): string {
  return new X509Certificate(fs.readFileSync(file)).fingerprint256;
}

/** Sign a certificate for `san` with the generated CA's key, as someone holding that key could. */
function forge(dir: string, san: string): string {
  const work = fs.mkdtempSync(path.join(dir, 'forge-'));
  const args = ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  args.push('-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/O=forged', '-days', '30');
  args.push('-CA', path.join(dir, 'ca.pem'), '-CAkey', path.join(dir, 'ca-key.pem'));
  args.push('-addext', `subjectAltName=${san}`);
  const signed = openssl(args, work);
  assert.equal(signed.code, 0, signed.out);
  return path.join(work, 'cert.pem');
}

describe('the generated CA and server certificate', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('are name-constrained to the server names and live at most 90 days (openssl x509 -text)', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const loaded = await loadTlsOptions(tlsConfig(dataDir, 'https://idc.test.example:7400'), log);
    const dir = path.join(dataDir, 'tls');
    assert.equal(loaded?.caPath, path.join(dir, 'ca.pem'));

    const text = openssl(['x509', '-in', path.join(dir, 'ca.pem'), '-noout', '-text']).out;
    const constraints = /X509v3 Name Constraints: critical\n\s+Permitted:\n((?:\s+(?:DNS|IP):.*\n)+)/.exec(
      text,
    );
    assert.ok(constraints, text);
    const permitted = constraints[1]!
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .sort();
    assert.deepEqual(permitted, [
      'DNS:idc.test.example',
      'DNS:localhost',
      'IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF',
      'IP:127.0.0.1/255.255.255.255',
    ]);
    assert.doesNotMatch(text, /Excluded:/);
    assert.match(text, /CA:TRUE, pathlen:0/);

    const ca = new X509Certificate(fs.readFileSync(path.join(dir, 'ca.pem')));
    const leaf = new X509Certificate(fs.readFileSync(path.join(dir, 'server.pem')));
    const caDays = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / DAY_MS;
    assert.ok(caDays <= 90 && caDays >= 89, `CA valid ${caDays} days`);
    const leafDays = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / DAY_MS;
    assert.ok(leafDays <= 90, `server certificate valid ${leafDays} days`);
    assert.ok(
      Math.abs(Date.parse(leaf.validTo) - Date.parse(ca.validTo)) <= DAY_MS,
      'the server certificate ends with the CA',
    );
    assert.ok(Date.parse(leaf.validTo) - Date.now() > 60 * DAY_MS);
    assert.equal(
      leaf.subjectAltName,
      'DNS:idc.test.example, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );

    const ok = openssl(['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'server.pem')]);
    assert.equal(ok.code, 0, ok.out);
    for (const san of ['DNS:evil.example', 'DNS:test.example', 'IP:192.0.2.1', 'IP:::2']) {
      const forged = openssl(['verify', '-CAfile', path.join(dir, 'ca.pem'), forge(dir, san)]);
      assert.notEqual(forged.code, 0, `a certificate for ${san} from the CA's key is refused`);
      assert.match(forged.out, /permitted subtree violation/, san);
    }
    // A name under a permitted one stays permitted (name constraints are subtrees).
    assert.equal(
      openssl(['verify', '-CAfile', path.join(dir, 'ca.pem'), forge(dir, 'DNS:a.localhost')]).code,
      0,
    );
  });

  it('are kept while current, and replaced when due or when the names change', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const dir = path.join(dataDir, 'tls');
    const config = tlsConfig(dataDir, 'https://127.0.0.1:7400');
    await loadTlsOptions(config, log);
    const ca1 = fingerprint(path.join(dir, 'ca.pem'));
    const leaf1 = fingerprint(path.join(dir, 'server.pem'));

    await loadTlsOptions(config, log, Date.now() + 59 * DAY_MS);
    assert.equal(fingerprint(path.join(dir, 'ca.pem')), ca1, 'kept with more than 30 days left');
    assert.equal(fingerprint(path.join(dir, 'server.pem')), leaf1);

    await loadTlsOptions(config, log, Date.now() + 61 * DAY_MS);
    const ca2 = fingerprint(path.join(dir, 'ca.pem'));
    assert.notEqual(ca2, ca1, 'a new CA 30 days before the end');
    assert.notEqual(fingerprint(path.join(dir, 'server.pem')), leaf1);

    await loadTlsOptions(tlsConfig(dataDir, 'https://idc.other.example:7400'), log);
    assert.notEqual(fingerprint(path.join(dir, 'ca.pem')), ca2, 'a new CA for new names');
    const renamed = openssl([
      'x509',
      '-in',
      path.join(dir, 'ca.pem'),
      '-noout',
      '-ext',
      'nameConstraints',
    ]).out;
    assert.match(renamed, /^\s+DNS:idc\.other\.example$/m);
  });

  it('a running listener serves the replaced certificate without a restart', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const dir = path.join(dataDir, 'tls');
    const config = tlsConfig(dataDir, 'https://127.0.0.1:7400');
    const loaded = await loadTlsOptions(config, log);
    const server = https.createServer({ key: loaded!.key, cert: loaded!.cert }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const renewal = keepGeneratedTlsFresh(server, config, log);
    /** The certificate a new connection is given, verified against the CA file as it is now. */
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect(
          { host: '127.0.0.1', port, ca: fs.readFileSync(path.join(dir, 'ca.pem')) },
          () => {
            const fp = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
            socket.end();
            resolve(fp);
          },
        );
        socket.once('error', reject);
      });
    try {
      const before = await served();
      assert.equal(before, fingerprint(path.join(dir, 'server.pem')));
      assert.equal(await renewal.check(), false, 'nothing due now');
      assert.equal(await renewal.check(Date.now() + 61 * DAY_MS), true);
      const afterRenewal = await served();
      assert.notEqual(afterRenewal, before);
      assert.equal(afterRenewal, fingerprint(path.join(dir, 'server.pem')));
    } finally {
      renewal.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Strict-Transport-Security', () => {
  it('is sent by a server on --tls, for a year, without includeSubDomains', async () => {
    const server = await startTestServer({ settings: { tls: 'true' } });
    try {
      const ca = fs.readFileSync(server.tlsCaPath!);
      for (const p of ['/signin', '/start', '/healthz', '/no-such-page']) {
        const hsts = await new Promise<string | undefined>((resolve, reject) => {
          https
            .get(`${server.url}${p}`, { ca }, (res) => {
              res.resume();
              resolve(res.headers['strict-transport-security'] as string | undefined);
            })
            .on('error', reject);
        });
        assert.equal(hsts, 'max-age=31536000', p);
      }
    } finally {
      await server.stop();
    }
  });

  it('is not sent over plain HTTP', async () => {
    const server = await startTestServer();
    try {
      const res = await fetch(`${server.url}/signin`);
      await res.arrayBuffer();
      assert.equal(res.headers.get('strict-transport-security'), null);
    } finally {
      await server.stop();
    }
  });

  it('is sent behind a TLS proxy (an https public URL), not for a public host localhost', () => {
    const at = (publicUrl: string, tlsOn = false) =>
      hstsValue(loadConfig({ publicUrl, ...(tlsOn ? { tls: 'true' } : {}) }, {}));
    assert.equal(at('https://idc.example.com/idc'), 'max-age=31536000');
    assert.equal(at('https://127.0.0.1:7400', true), 'max-age=31536000');
    assert.equal(at('http://127.0.0.1:7400'), undefined);
    assert.equal(at('https://localhost:7400', true), undefined);
    assert.equal(at('https://idc.localhost'), undefined);
  });
});
