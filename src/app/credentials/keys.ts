/**
 * Credential keys: the versioned server keys that seal role-credential session tokens
 * (docs/decisions.md, "Stateless role credentials"). The first key of the ring seals new tokens;
 * every key opens tokens that name it, so a rotated-out key keeps verifying until the last token it
 * sealed expires.
 *
 * Keys come from `config.credentialKeys` (`<id>:<base64 32 bytes>,…`, first one signs) or, when
 * that is empty, from `<data dir>/credential-keys.json`, generated with mode 0600 on first start,
 * changed by `idcenter credential-keys rotate|prune` (each change one atomic rename) and re-read
 * by running servers when it changes (service.ts).
 * Each master key is split with HKDF into an AES-256-GCM sealing key and an HMAC key that
 * derives the secret access key from the sealed token, so no secret is stored anywhere.
 */
import { hkdfSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../config/load.ts';
import type { Random } from '../../domain/runtime.ts';
import { ensurePrivateDir, syncDirectory } from '../../storage/private-files.ts';

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
  /** True when the key file does not exist. */
  readonly missing: boolean;
  constructor(message: string, missing = false) {
    super(message);
    this.name = 'CredentialKeyError';
    this.missing = missing;
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

/** One entry of the key file, as written there. */
export interface KeyFileEntry {
  readonly id: string;
  readonly secret: string;
  /** When the key was made (ISO-8601); hand-written entries may lack it. */
  readonly createdAt?: string;
}

interface KeyFile {
  keys: KeyFileEntry[];
  [other: string]: unknown;
}

/** A key file read and checked: its entries in order (the first seals) and the ring they make. */
export interface KeyFileContents {
  readonly file: string;
  readonly entries: readonly KeyFileEntry[];
  readonly ring: KeyRing;
  /** The parsed document, for rewriting it with other top-level fields kept. */
  readonly document: Readonly<KeyFile>;
}

export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, KEY_FILE_NAME);
}

/** A fresh key file body with one key. */
export function newKeyFile(random: Random, now: number): KeyFile {
  return { keys: [newKeyEntry(random, now)] };
}

function newKeyEntry(random: Random, now: number): KeyFileEntry {
  const id = `k${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${random.bytes(3).toString('hex')}`;
  return { id, secret: random.bytes(32).toString('base64'), createdAt: new Date(now).toISOString() };
}

/** Check a key file's text; messages name the file and key ids, never a secret. */
function parseKeyFile(file: string, text: string): KeyFileContents {
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(text) as KeyFile;
  } catch {
    throw new CredentialKeyError(
      `${file} is not JSON; restore it from a backup or remove it to start afresh`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.keys)) {
    throw new CredentialKeyError(`${file} must hold {"keys":[{"id":…,"secret":…}]}`);
  }
  const entries = parsed.keys.map((k) => {
    if (typeof k?.id !== 'string' || typeof k.secret !== 'string') {
      throw new CredentialKeyError(`${file}: every key needs a string "id" and "secret"`);
    }
    return k;
  });
  const ring = makeKeyRing(
    entries.map((k) => {
      try {
        return makeKey(k.id, decodeBase64Strict(k.secret, k.id));
      } catch (err) {
        if (err instanceof CredentialKeyError) throw new CredentialKeyError(`${file}: ${err.message}`);
        throw err;
      }
    }),
  );
  return { file, entries, ring, document: parsed };
}

/**
 * Read and check an existing key file (nothing is created). Throws CredentialKeyError, with
 * `missing` set when there is no file.
 * @example readKeyFile('/srv/idcenter/data/credential-keys.json').ring.current.id
 */
export function readKeyFile(file: string): KeyFileContents {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialKeyError(
      code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(err as Error).message}`,
      code === 'ENOENT',
    );
  }
  return parseKeyFile(file, text);
}

/** Read `<dataDir>/credential-keys.json`, creating it (mode 0600) when absent. */
export function loadKeyFile(dataDir: string, random: Random, now: number): KeyRing {
  const file = keyFilePath(dataDir);
  try {
    return readKeyFile(file).ring;
  } catch (err) {
    if (!(err instanceof CredentialKeyError && err.missing)) throw err;
  }
  ensurePrivateDir(dataDir);
  const body = `${JSON.stringify(newKeyFile(random, now), null, 2)}\n`;
  try {
    fs.writeFileSync(file, body, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new CredentialKeyError(`cannot write ${file}: ${(e as Error).message}`);
    }
  }
  return readKeyFile(file).ring;
}

/**
 * What identifies the key file's content on disk without reading it: inode (a rename puts a new
 * one in place), size, modification and change times. `missing` when there is no file.
 */
export function keyFileStamp(file: string): string {
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : 'missing';
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}

/** A temporary file left behind longer than this by a stopped command is stale. */
const STALE_TEMP_MS = 60_000;

/**
 * Change the key file as one step: the temporary file beside it (mode 0600, owned like the file
 * it replaces when run as root) is created exclusively, so two commands never change the file at
 * once; `change` gets the file as it is after that, and what it returns is written, fsynced and
 * renamed over the key file, then the directory is fsynced. Returns what `change` returned.
 */
function changeKeyFile<T>(
  file: string,
  change: (current: KeyFileContents | null) => { document: KeyFile; result: T },
): T {
  const tmp = `${file}.tmp`;
  /** The temporary file, created here, or null when it exists. */
  const create = (): number | null => {
    try {
      return fs.openSync(tmp, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
      throw new CredentialKeyError(`cannot write ${tmp}: ${(err as Error).message}`);
    }
  };
  let fd = create();
  if (fd === null) {
    const age = Date.now() - (fs.statSync(tmp, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age >= STALE_TEMP_MS) {
      // Left by a command that stopped half-way.
      fs.rmSync(tmp, { force: true });
      fd = create();
    }
  }
  if (fd === null) {
    throw new CredentialKeyError(
      `another change of ${file} is under way (${tmp} exists); try again in a minute`,
    );
  }
  let renamed = false;
  try {
    let current: KeyFileContents | null = null;
    try {
      current = readKeyFile(file);
    } catch (err) {
      if (!(err instanceof CredentialKeyError && err.missing)) throw err;
    }
    const { document, result } = change(current);
    const text = `${JSON.stringify(document, null, 2)}\n`;
    // What is written must open as a key file: never replace a good file with a bad one.
    parseKeyFile(file, text);
    fs.fchmodSync(fd, 0o600);
    const old = fs.statSync(file, { throwIfNoEntry: false });
    // Run as root, keep the owner the server reads the file as.
    if (old && process.getuid?.() === 0) fs.fchownSync(fd, old.uid, old.gid);
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, file);
    renamed = true;
    syncDirectory(path.dirname(file));
    return result;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    if (!renamed) fs.rmSync(tmp, { force: true });
  }
}

/**
 * Put a new sealing key at the front of the key file; older keys keep opening the tokens they
 * sealed. Without a key file, writes one with this single key. Returns the new key id.
 * (With `IDCENTER_CREDENTIAL_KEYS`, rotate by prepending an entry instead.)
 * @example rotateKeyFile('/srv/idcenter/data', systemRandom, Date.now()) // 'k20261128-1a2b3c'
 */
export function rotateKeyFile(dataDir: string, random: Random, now: number): string {
  return changeKeyFile(keyFilePath(dataDir), (current) => {
    let entry = newKeyEntry(random, now);
    while (current?.ring.byId.has(entry.id)) entry = newKeyEntry(random, now);
    const document: KeyFile = current
      ? { ...current.document, keys: [entry, ...current.entries] }
      : { keys: [entry] };
    return { document, result: entry.id };
  });
}

/** A key that no longer seals, and when it stopped: when the key listed before it was made. */
export interface RetiredKey {
  readonly id: string;
  readonly createdAt: string | null;
  /** Epoch ms, or null when the key before it has no `createdAt`. */
  readonly retiredAt: number | null;
}

/** A `createdAt` as epoch ms; null when absent or not a time (hand-written entries). */
function timeOf(createdAt: unknown): number | null {
  if (typeof createdAt !== 'string') return null;
  const t = Date.parse(createdAt);
  return Number.isNaN(t) ? null : t;
}

export interface PrunePlan {
  /** Retired at least `olderThanMs` ago. */
  readonly remove: readonly RetiredKey[];
  /** Retired too recently, or at an unknown time. */
  readonly keep: readonly RetiredKey[];
}

/**
 * Which keys of a key file may go: every key but the first whose sealing ended at least
 * `olderThanMs` before `now`. A key stops sealing when the key listed before it is created, so
 * with `olderThanMs` = the longest credential lifetime no token it sealed is still valid.
 * @example planPrune(readKeyFile(file).entries, Date.now(), 12 * 3600_000)
 */
export function planPrune(entries: readonly KeyFileEntry[], now: number, olderThanMs: number): PrunePlan {
  const remove: RetiredKey[] = [];
  const keep: RetiredKey[] = [];
  for (let i = 1; i < entries.length; i++) {
    const e = entries[i]!;
    const retiredAt = timeOf(entries[i - 1]!.createdAt);
    const key = { id: e.id, createdAt: typeof e.createdAt === 'string' ? e.createdAt : null, retiredAt };
    if (retiredAt !== null && now - retiredAt >= olderThanMs) remove.push(key);
    else keep.push(key);
  }
  return { remove, keep };
}

/**
 * Remove from the key file the keys `planPrune` gives up (never the first). Writes nothing
 * when there is nothing to remove. Throws CredentialKeyError (`missing`) without a key file.
 */
export function pruneKeyFile(dataDir: string, now: number, olderThanMs: number): PrunePlan {
  const file = keyFilePath(dataDir);
  const preview = planPrune(readKeyFile(file).entries, now, olderThanMs);
  if (preview.remove.length === 0) return preview;
  return changeKeyFile(file, (current) => {
    if (!current) throw new CredentialKeyError(`${file} does not exist`, true);
    const plan = planPrune(current.entries, now, olderThanMs);
    const gone = new Set(plan.remove.map((k) => k.id));
    const keys = current.entries.filter((e, i) => i === 0 || !gone.has(e.id));
    return { document: { ...current.document, keys }, result: plan };
  });
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
