/**
 * The SAML metadata a server publishes at `/saml/metadata` and `idcenter aws metadata` prints:
 * the same document, with the entity id derived from the public URL (or set), the key generated
 * once into the data directory or taken from the files given, and a wrong key file refused by
 * name at start.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { runCli } from './cli-harness.ts';

const NS_MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';

function read(xml: string) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const certs = doc.getElementsByTagNameNS(NS_DS, 'X509Certificate');
  return {
    entityId: doc.documentElement!.getAttribute('entityID'),
    certificates: Array.from({ length: certs.length }, (_, i) => certs.item(i)!.textContent),
    sso: doc.getElementsByTagNameNS(NS_MD, 'SingleSignOnService').item(0)?.getAttribute('Location'),
  };
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IDCENTER_')) env[k] = v;
  return { ...env, ...extra };
}

describe('SAML metadata', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('is served at /saml/metadata: entity id from the public URL, one signing certificate, the portal as sign-on URL', async () => {
    const res = await fetch(`${server.url}/saml/metadata`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/samlmetadata+xml');
    const md = read(await res.text());
    assert.equal(md.entityId, `${server.url}/saml/metadata`);
    assert.equal(md.certificates.length, 1);
    assert.equal(md.sso, `${server.url}/start`);
    const dir = path.join(server.deps.config.dataDir, 'saml');
    assert.equal(fs.statSync(path.join(dir, 'signing-key.pem')).mode & 0o777, 0o600);
    // Asked again, the same key.
    assert.deepEqual(read(await (await fetch(`${server.url}/saml/metadata`)).text()), md);
  });

  it('idcenter aws metadata prints the same document for the same data directory and public URL', async () => {
    const served = await (await fetch(`${server.url}/saml/metadata`)).text();
    const r = await runCli(
      ['aws', 'metadata', '--data-dir', server.deps.config.dataDir, '--public-url', server.url],
      cleanEnv(),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, served);
  });

  it('idcenter aws metadata --help says what it is for', async () => {
    const r = await runCli(['aws', 'metadata', '--help'], cleanEnv());
    assert.equal(r.code, 0);
    assert.match(r.stdout, /aws iam create-saml-provider/);
    assert.match(r.stdout, /--public-url/);
  });
});

describe('SAML keys given as files', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-saml-files-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are used as given, a next certificate is published too, and the entity id can be set', async () => {
    const first = await startTestServer();
    let keyFile: string;
    let certFile: string;
    try {
      await fetch(`${first.url}/saml/metadata`);
      keyFile = path.join(dir, 'key.pem');
      certFile = path.join(dir, 'cert.pem');
      fs.copyFileSync(path.join(first.deps.config.dataDir, 'saml', 'signing-key.pem'), keyFile);
      fs.copyFileSync(path.join(first.deps.config.dataDir, 'saml', 'signing-cert.pem'), certFile);
    } finally {
      await first.stop();
    }
    const next = await startTestServer();
    let nextCert: string;
    try {
      await fetch(`${next.url}/saml/metadata`);
      nextCert = path.join(dir, 'next.pem');
      fs.copyFileSync(path.join(next.deps.config.dataDir, 'saml', 'signing-cert.pem'), nextCert);
    } finally {
      await next.stop();
    }
    const server = await startTestServer({
      settings: {
        samlKeyFile: keyFile,
        samlCertFile: certFile,
        samlNextCertFile: nextCert,
        samlEntityId: 'urn:idcenter:example',
      },
    });
    try {
      const md = read(await (await fetch(`${server.url}/saml/metadata`)).text());
      assert.equal(md.entityId, 'urn:idcenter:example');
      const body = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
      assert.deepEqual(md.certificates, [
        body(fs.readFileSync(certFile, 'utf8')),
        body(fs.readFileSync(nextCert, 'utf8')),
      ]);
      assert.equal(fs.existsSync(path.join(server.deps.config.dataDir, 'saml')), false, 'nothing generated');
    } finally {
      await server.stop();
    }
  });

  it('a server given a key file that is missing, or a certificate of another key, refuses to start and names the file', async () => {
    const a = await startTestServer();
    const b = await startTestServer();
    try {
      await fetch(`${a.url}/saml/metadata`);
      await fetch(`${b.url}/saml/metadata`);
      const keyA = path.join(a.deps.config.dataDir, 'saml', 'signing-key.pem');
      const certB = path.join(b.deps.config.dataDir, 'saml', 'signing-cert.pem');
      await assert.rejects(
        startTestServer({ settings: { samlKeyFile: keyA, samlCertFile: certB } }),
        (err: Error) => err.name === 'SamlKeyError' && err.message.includes(`${certB} does not match`),
      );
      const missing = path.join(dir, 'missing.pem');
      await assert.rejects(
        startTestServer({ settings: { samlKeyFile: missing, samlCertFile: certB } }),
        new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be used: it does not exist`),
      );
      const r = await runCli(
        ['server', '--port', '0', '--data-dir', path.join(dir, 'srv')],
        cleanEnv({
          IDCENTER_SAML_KEY_FILE: keyA,
          IDCENTER_SAML_CERT_FILE: certB,
        }),
      );
      assert.equal(r.code, 253, r.stdout + r.stderr);
      assert.match(r.stderr, /does not match the signing key/);
      assert.doesNotMatch(r.stderr, /unexpected error/);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
