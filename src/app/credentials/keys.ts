/**
 * Credential keys: the versioned server keys that seal role-credential session tokens
 * (DESIGN.md decision 1). The first key of the ring seals new tokens; every key opens tokens
 * that name it, so a rotated-out key keeps verifying until the last token it sealed expires.
 *
 * Keys come from `config.credentialKeys` (`<id>:<base64 32 bytes>,…`, first one signs) or, when
 * that is empty, from `<data dir>/credential-keys.json`, generated with mode 0600 on first start.
 * Each master key is split with HKDF into an AES-256-GCM sealing key and an HMAC key that
 * derives the secret access key from the sealed token, so no secret is stored anywhere.
 */
import { hkdfSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../config/load.ts';
import type { Random } from '../../domain/runtime.ts';

export interface CredentialKey {
  readonly id: string;
  /** AES-256-GCM key for sealing session tokens. */
  readonly sealKey: Buffer;
  /** HMAC-SHA256 key for deriving secret access keys from sealed tokens. */
  readonly secretKey: Buffer;
}

export interface KeyRing {
  /** The key that seals new tokens. */
  readonly current: CredentialKey;
  /** Every key that opens tokens, by id. */
  readonly byId: ReadonlyMap<string, CredentialKey>;
}

export const KEY_FILE_NAME = 'credential-keys.json';
const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;

export class CredentialKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialKeyError';
  }
}

function derive(master: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
}

export function makeKey(id: string, master: Buffer): CredentialKey {
  if (!KEY_ID.test(id)) {
    throw new CredentialKeyError(`credential key id "${id}" must be 1-32 characters of A-Z a-z 0-9 . _ -`);
  }
  if (master.length !== 32) {
    throw new CredentialKeyError(`credential key "${id}" must be 32 bytes (base64), not ${master.length}`);
  }
  return {
    id,
    sealKey: derive(master, 'idcenter role-credential seal v1'),
    secretKey: derive(master, 'idcenter role-credential secret v1'),
  };
}

export function makeKeyRing(keys: CredentialKey[]): KeyRing {
  const first = keys[0];
  if (!first) throw new CredentialKeyError('no credential keys given');
  const byId = new Map<string, CredentialKey>();
  for (const k of keys) {
    if (byId.has(k.id)) throw new CredentialKeyError(`credential key id "${k.id}" appears twice`);
    byId.set(k.id, k);
  }
  return { current: first, byId };
}

function decodeBase64Strict(text: string, id: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new CredentialKeyError(`credential key "${id}" is not base64`);
  }
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * Parse the `--credential-keys` setting: `<id>:<base64 32 bytes>` separated by commas.
 * @example parseKeyList('k2:…,k1:…') // k2 seals, both open
 */
export function parseKeyList(value: string): KeyRing {
  const keys = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const colon = entry.indexOf(':');
      if (colon <= 0) {
        throw new CredentialKeyError(
          'IDCENTER_CREDENTIAL_KEYS entries must look like <id>:<base64 of 32 bytes>, separated by commas',
        );
      }
      const id = entry.slice(0, colon);
      return makeKey(id, decodeBase64Strict(entry.slice(colon + 1), id));
    });
  return makeKeyRing(keys);
}

interface KeyFile {
  keys: Array<{ id: string; secret: string; createdAt?: string }>;
}

/** A fresh key file body with one key. */
export function newKeyFile(random: Random, now: number): KeyFile {
  const id = `k${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${random.bytes(3).toString('hex')}`;
  return {
    keys: [{ id, secret: random.bytes(32).toString('base64'), createdAt: new Date(now).toISOString() }],
  };
}

/** Read `<dataDir>/credential-keys.json`, creating it (mode 0600) when absent. */
export function loadKeyFile(dataDir: string, random: Random, now: number): KeyRing {
  const file = path.join(dataDir, KEY_FILE_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CredentialKeyError(`cannot read ${file}: ${(err as Error).message}`);
    }
    fs.mkdirSync(dataDir, { recursive: true });
    const body = `${JSON.stringify(newKeyFile(random, now), null, 2)}\n`;
    try {
      fs.writeFileSync(file, body, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CredentialKeyError(`cannot write ${file}: ${(e as Error).message}`);
      }
    }
    text = fs.readFileSync(file, 'utf8');
  }
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(text) as KeyFile;
  } catch {
    throw new CredentialKeyError(
      `${file} is not JSON; restore it from a backup or remove it to start afresh`,
    );
  }
  if (!parsed || !Array.isArray(parsed.keys)) {
    throw new CredentialKeyError(`${file} must hold {"keys":[{"id":…,"secret":…}]}`);
  }
  return makeKeyRing(
    parsed.keys.map((k) => {
      if (typeof k?.id !== 'string' || typeof k.secret !== 'string') {
        throw new CredentialKeyError(`${file}: every key needs a string "id" and "secret"`);
      }
      return makeKey(k.id, decodeBase64Strict(k.secret, k.id));
    }),
  );
}

/**
 * Put a new signing key at the front of the key file; older keys keep verifying. Returns the
 * new key id. (With `IDCENTER_CREDENTIAL_KEYS`, rotate by prepending an entry instead.)
 */
export function rotateKeyFile(dataDir: string, random: Random, now: number): string {
  const file = path.join(dataDir, KEY_FILE_NAME);
  loadKeyFile(dataDir, random, now);
  const current = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  const fresh = newKeyFile(random, now);
  const entry = fresh.keys[0]!;
  const next: KeyFile = { keys: [entry, ...current.keys] };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return entry.id;
}

/**
 * The key ring this server uses: configured keys, else the data-directory key file. A problem
 * is a configuration error (exit code 253 at start-up) naming the setting or the file.
 */
export function loadKeyRing(
  config: { credentialKeys: string; dataDir: string },
  random: Random,
  now: number,
): KeyRing {
  const configured = config.credentialKeys.trim().length > 0;
  try {
    return configured ? parseKeyList(config.credentialKeys) : loadKeyFile(config.dataDir, random, now);
  } catch (err) {
    if (!(err instanceof CredentialKeyError)) throw err;
    throw new ConfigError([
      configured
        ? `IDCENTER_CREDENTIAL_KEYS (--credential-keys): ${err.message}`
        : `credential keys: ${err.message}`,
    ]);
  }
}
