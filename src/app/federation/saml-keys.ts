/**
 * The key that signs SAML assertions and its certificate.
 *
 * Given as files (`keyFile`, `certFile`), they are read as they are; otherwise they are generated
 * once into `<data dir>/saml/` (`signing-key.pem` 0600, `signing-cert.pem`), an RSA 2048 key with a
 * self-signed certificate valid ten years: IAM trusts the certificates of a provider's metadata
 * as listed and does not check their dates, so a short validity would only force rollovers. A
 * `nextCertFile` is published in the metadata beside the current one ahead of a rollover.
 *
 * A key that does not match its certificate, or a file that cannot be read, stops the server at
 * start with the file named: signing with the wrong key would fail every federated sign-in later.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { certificateBody } from '../../domain/federation/saml-metadata.ts';
import {
  ensurePrivateDir,
  PRIVATE_FILE_MODE,
  SAML_DIR_NAME,
  syncDirectory,
} from '../../storage/private-files.ts';
import { type KeyFileKind, parseKeyFile, readKeyFile, writeNewRsaKey } from './key-files.ts';
import type { SamlSigningKey } from './saml-signer.ts';

const run = promisify(execFile);

const KEY_NAME = 'signing-key.pem';
const CERT_NAME = 'signing-cert.pem';
const CERT_DAYS = 3650;

export class SamlKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SamlKeyError';
  }
}

export interface SamlKeySettings {
  dataDir: string;
  keyFile?: string | undefined;
  certFile?: string | undefined;
  nextCertFile?: string | undefined;
}

export interface SamlKeys {
  signing: SamlSigningKey;
  /** What the metadata lists: the current certificate, then the next one when given. */
  certificates: string[];
}

const SAML_KEYS: KeyFileKind = {
  label: 'SAML',
  fail: (message, options) => new SamlKeyError(message, options),
};

function readFile(file: string, what: string): string {
  return readKeyFile(SAML_KEYS, file, what);
}

function parseCertificate(pem: string, file: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new SamlKeyError(`the SAML certificate ${file} is not a PEM certificate`, { cause: err });
  }
}

/** The pair after checking that the key is an RSA key the certificate belongs to. */
function checkedPair(keyPem: string, certPem: string, keyFile: string, certFile: string): SamlSigningKey {
  const key = parseKeyFile(SAML_KEYS, keyPem, keyFile, 'signing key');
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SamlKeyError(`the SAML signing key ${keyFile} must be an RSA key (IAM verifies RSA-SHA256)`);
  }
  if (!parseCertificate(certPem, certFile).checkPrivateKey(key)) {
    throw new SamlKeyError(`the SAML certificate ${certFile} does not match the signing key ${keyFile}`);
  }
  return { privateKey: key, certificate: certPem, certificateBody: certificateBody(certPem) };
}

async function generate(dir: string): Promise<void> {
  ensurePrivateDir(dir);
  const work = fs.mkdtempSync(path.join(dir, '.new-'));
  try {
    const keyFile = path.join(work, KEY_NAME);
    writeNewRsaKey(keyFile, 2048);
    const certFile = path.join(work, CERT_NAME);
    try {
      await run(
        'openssl',
        [
          'req',
          '-x509',
          '-new',
          '-key',
          keyFile,
          '-sha256',
          '-days',
          String(CERT_DAYS),
          '-subj',
          '/CN=idcenter SAML signing',
          '-out',
          certFile,
        ],
        { timeout: 30_000 },
      );
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      throw new SamlKeyError(
        e.code === 'ENOENT'
          ? 'the openssl command is not installed, so no SAML certificate can be generated: install openssl, or give IDCENTER_SAML_KEY_FILE and IDCENTER_SAML_CERT_FILE'
          : `openssl could not make the SAML certificate: ${(e.stderr ?? e.message).trim().split('\n')[0]}`,
        { cause: err },
      );
    }
    fs.chmodSync(certFile, PRIVATE_FILE_MODE);
    // The certificate goes last: a directory with a certificate always has its key.
    fs.renameSync(keyFile, path.join(dir, KEY_NAME));
    fs.renameSync(certFile, path.join(dir, CERT_NAME));
    syncDirectory(dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The signing key and the certificates to publish; generated on first use when no files are given. */
export async function loadSamlKeys(settings: SamlKeySettings): Promise<SamlKeys> {
  if ((settings.keyFile === undefined) !== (settings.certFile === undefined)) {
    throw new SamlKeyError('give both IDCENTER_SAML_KEY_FILE and IDCENTER_SAML_CERT_FILE, or neither');
  }
  let keyFile = settings.keyFile;
  let certFile = settings.certFile;
  if (keyFile === undefined || certFile === undefined) {
    const dir = path.join(settings.dataDir, SAML_DIR_NAME);
    keyFile = path.join(dir, KEY_NAME);
    certFile = path.join(dir, CERT_NAME);
    if (!fs.existsSync(certFile)) await generate(dir);
  }
  const signing = checkedPair(
    readFile(keyFile, 'signing key'),
    readFile(certFile, 'certificate'),
    keyFile,
    certFile,
  );
  const certificates = [signing.certificate];
  if (settings.nextCertFile !== undefined) {
    const next = readFile(settings.nextCertFile, 'next certificate');
    parseCertificate(next, settings.nextCertFile);
    certificates.push(next);
  }
  return { signing, certificates };
}
