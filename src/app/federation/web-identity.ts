/**
 * This server as an OpenID Connect issuer for `aws` accounts with `federation: oidc`: its
 * signing key, the keys it publishes (JWKS), its discovery document and the RS256 ID tokens
 * STS `AssumeRoleWithWebIdentity` takes (`domain/federation/web-identity.ts` says what IAM reads).
 *
 * The key is an RSA key given as a file (`IDCENTER_WEB_IDENTITY_KEY_FILE`) or generated once into
 * `<data dir>/oidc/signing-key.pem` (mode 0600). Each key's `kid` is its RFC 7638 thumbprint, so
 * every replica given the same file names it the same. Rollover, as for the SAML certificate: a
 * next key (`IDCENTER_WEB_IDENTITY_NEXT_KEY_FILE`, private or public) is published in the JWKS
 * beside the current one first; once AWS has had time to read it, it becomes the signing key and
 * the old one stays listed as the next until the tokens it signed have expired (minutes).
 *
 * The key loads on first use, so a server without OIDC accounts never generates one; a key given
 * as a file is checked at start (`verify`), so a wrong file stops the server with its name.
 */
import { createHash, createPublicKey, createSign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import {
  discoveryDocument,
  jwkThumbprintInput,
  jwsSigningInput,
  type PublishedJwk,
  type RsaPublicJwk,
} from '../../domain/federation/web-identity.ts';
import { ensurePrivateDir, OIDC_DIR_NAME, syncDirectory } from '../../storage/private-files.ts';
import { type KeyFileKind, parseKeyFile, readKeyFile, writeNewRsaKey } from './key-files.ts';

const KEY_NAME = 'signing-key.pem';
const MIN_MODULUS_BITS = 2048;

export class WebIdentityKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebIdentityKeyError';
  }
}

export interface WebIdentityKeys {
  signing: { privateKey: KeyObject; kid: string };
  /** What the JWKS lists: the signing key, then the next one when given. */
  published: PublishedJwk[];
}

export interface WebIdentityIssuer {
  /** The issuer URL: the public URL, path prefix included. */
  readonly issuer: string;
  keys(): Promise<WebIdentityKeys>;
  /** `GET /.well-known/openid-configuration` */
  discovery(): Record<string, unknown>;
  /** `GET /.well-known/jwks.json` */
  jwks(): Promise<{ keys: PublishedJwk[] }>;
  /** A signed compact JWS of `claims`. */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** Load and check the keys now when they are given as files; nothing to do otherwise. */
  verify(): Promise<void>;
}

const WEB_IDENTITY_KEYS: KeyFileKind = {
  label: 'web identity',
  fail: (message, options) => new WebIdentityKeyError(message, options),
};

/** The public JWK of an RSA key, with its thumbprint as `kid`. */
function publishedJwk(key: KeyObject, file: string): PublishedJwk {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'rsa') {
    throw new WebIdentityKeyError(
      `the web identity key ${file} must be an RSA key (tokens are signed RS256)`,
    );
  }
  const bits = pub.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS) {
    throw new WebIdentityKeyError(
      `the web identity key ${file} has ${bits} bits; AWS needs RSA keys of at least ${MIN_MODULUS_BITS}`,
    );
  }
  const jwk = pub.export({ format: 'jwk' }) as { n?: string; e?: string };
  const rsa: RsaPublicJwk = { kty: 'RSA', n: jwk.n ?? '', e: jwk.e ?? '' };
  const kid = createHash('sha256').update(jwkThumbprintInput(rsa)).digest('base64url');
  return { ...rsa, kid, use: 'sig', alg: 'RS256' };
}

/** Generate the key into `dir` unless it is there (written aside, fsynced and renamed into place). */
function generate(dir: string): void {
  ensurePrivateDir(dir);
  const file = path.join(dir, KEY_NAME);
  if (fs.existsSync(file)) return;
  const work = path.join(dir, `.${KEY_NAME}.${process.pid}.new`);
  writeNewRsaKey(work, MIN_MODULUS_BITS);
  fs.renameSync(work, file);
  syncDirectory(dir);
}

export interface WebIdentityKeySettings {
  dataDir: string;
  keyFile?: string | undefined;
  nextKeyFile?: string | undefined;
}

/** The signing key and the keys to publish; generated on first use when no file is given. */
export function loadWebIdentityKeys(settings: WebIdentityKeySettings): WebIdentityKeys {
  let keyFile = settings.keyFile;
  if (keyFile === undefined) {
    const dir = path.join(settings.dataDir, OIDC_DIR_NAME);
    keyFile = path.join(dir, KEY_NAME);
    generate(dir);
  }
  const privateKey = parseKeyFile(
    WEB_IDENTITY_KEYS,
    readKeyFile(WEB_IDENTITY_KEYS, keyFile, 'signing key'),
    keyFile,
    'key',
  );
  const current = publishedJwk(privateKey, keyFile);
  const published = [current];
  if (settings.nextKeyFile !== undefined) {
    const file = settings.nextKeyFile;
    const pem = readKeyFile(WEB_IDENTITY_KEYS, file, 'next key');
    const next = publishedJwk(parseKeyFile(WEB_IDENTITY_KEYS, pem, file, 'key', true), file);
    if (next.kid !== current.kid) published.push(next);
  }
  return { signing: { privateKey, kid: current.kid }, published };
}

type IssuerConfig = Pick<Config, 'dataDir' | 'publicUrl' | 'webIdentityKeyFile' | 'webIdentityNextKeyFile'>;

export function createWebIdentityIssuer(config: IssuerConfig): WebIdentityIssuer {
  const issuer = config.publicUrl;
  let loaded: WebIdentityKeys | undefined;
  const keys = async () => {
    loaded ??= loadWebIdentityKeys({
      dataDir: config.dataDir,
      keyFile: config.webIdentityKeyFile || undefined,
      nextKeyFile: config.webIdentityNextKeyFile || undefined,
    });
    return loaded;
  };
  return {
    issuer,
    keys,
    discovery: () => discoveryDocument(issuer),
    async jwks() {
      return { keys: (await keys()).published };
    },
    async sign(claims) {
      const { signing } = await keys();
      const input = jwsSigningInput(signing.kid, claims);
      const signature = createSign('RSA-SHA256').update(input).sign(signing.privateKey, 'base64url');
      return `${input}.${signature}`;
    },
    async verify() {
      if (config.webIdentityKeyFile || config.webIdentityNextKeyFile) await keys();
    },
  };
}
