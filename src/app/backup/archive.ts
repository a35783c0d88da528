/**
 * The backup archive: a gzipped tar (`tar tzf` lists it) of a few known files, written with
 * mode 0600 and put in place by one rename, so a reader never finds half an archive:
 *
 *   manifest.json          what the archive holds (no secret): format, when, key ids, checksums
 *   idcenter.db            the SQLite store, one file (no -wal)
 *   credential-keys.json   the credential key file, unless keys came from IDCENTER_CREDENTIAL_KEYS
 *   tls/…                  the generated TLS files, when the data directory has them
 *   saml/…                 the generated SAML signing key and certificate, likewise
 *
 * Reading takes only those names, only regular files, each written by us with mode 0600 and
 * checked against the manifest's SHA-256; anything else makes the archive invalid.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { create, list, type ReadEntry } from 'tar';
import {
  ensurePrivateDir,
  KEY_DIR_NAMES,
  openPrivateTemp,
  PRIVATE_FILE_MODE,
} from '../../storage/private-files.ts';
import { KEY_FILE_NAME } from '../credentials/keys.ts';

export const MANIFEST_NAME = 'manifest.json';
export const STORE_NAME = 'idcenter.db';
const FORMAT = 'idcenter-backup';
const FORMAT_VERSION = 1;

export interface Manifest {
  readonly format: typeof FORMAT;
  readonly version: typeof FORMAT_VERSION;
  /** When the store was copied (ISO-8601). */
  readonly createdAt: string;
  /** The idcenter that wrote it. */
  readonly writtenBy: string;
  readonly store: { readonly kind: 'sqlite'; readonly source: string };
  readonly credentialKeys: {
    /** `file`: credential-keys.json is in the archive; `config`: IDCENTER_CREDENTIAL_KEYS, not kept. */
    readonly source: 'file' | 'config';
    /** The ids of the keys the backed-up server used; never a secret. */
    readonly ids: readonly string[];
  };
  readonly files: ReadonlyArray<{ readonly name: string; readonly bytes: number; readonly sha256: string }>;
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** Whether `name` is one of the files an archive may hold. */
function isArchiveName(name: string): boolean {
  if (name === MANIFEST_NAME || name === STORE_NAME || name === KEY_FILE_NAME) return true;
  const parts = name.split('/');
  return (
    parts.length >= 2 &&
    (KEY_DIR_NAMES as readonly string[]).includes(parts[0]!) &&
    parts.every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\\'))
  );
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/** Every regular file under `dir` (relative, `/`-separated), in name order. */
function filesUnder(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...filesUnder(path.join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** The names of the archive's files in `staging`, ready to go in: the store, keys, TLS and SAML files. */
export function stagedNames(staging: string): string[] {
  const names = [STORE_NAME];
  if (fs.existsSync(path.join(staging, KEY_FILE_NAME))) names.push(KEY_FILE_NAME);
  for (const dir of KEY_DIR_NAMES) {
    if (fs.existsSync(path.join(staging, dir))) names.push(...filesUnder(path.join(staging, dir), dir));
  }
  return names;
}

/** Checksums of the staged files, for the manifest. */
export async function describeFiles(staging: string, names: readonly string[]): Promise<Manifest['files']> {
  const out: Array<Manifest['files'][number]> = [];
  for (const name of names) {
    const file = path.join(staging, name);
    out.push({ name, bytes: fs.statSync(file).size, sha256: await sha256(file) });
  }
  return out;
}

/**
 * Write `manifest` and the staged files into a gzipped tar at `output`: a temporary file
 * beside it (mode 0600), fsynced, renamed over `output`, then the directory fsynced.
 */
export async function writeArchive(staging: string, manifest: Manifest, output: string): Promise<void> {
  const manifestFile = path.join(staging, MANIFEST_NAME);
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  const temp = openPrivateTemp(output);
  try {
    const pack = create({ gzip: true, cwd: staging, portable: true }, [
      MANIFEST_NAME,
      ...manifest.files.map((f) => f.name),
    ]);
    await pipeline(pack, fs.createWriteStream('', { fd: temp.fd, autoClose: false }));
    temp.commit();
  } finally {
    temp.discard();
  }
}

/**
 * Unpack an archive into `staging` (an empty private directory) and check it: known names
 * only, regular files only, each matching the manifest. Returns the manifest.
 */
export async function readArchive(archive: string, staging: string): Promise<Manifest> {
  if (!fs.statSync(archive, { throwIfNoEntry: false })?.isFile()) {
    throw new BackupError(`${archive} does not exist or is not a file`);
  }
  const problems: string[] = [];
  const writes: Array<Promise<void>> = [];
  const seen = new Set<string>();
  const take = (entry: ReadEntry) => {
    const name = entry.path.replace(/^\.\//, '').replace(/\/$/, '');
    if (entry.type === 'Directory' && (KEY_DIR_NAMES as readonly string[]).includes(name)) {
      entry.resume();
      return;
    }
    if (entry.type !== 'File' || !isArchiveName(name) || seen.has(name)) {
      problems.push(`unexpected entry ${JSON.stringify(entry.path)} (${entry.type})`);
      entry.resume();
      return;
    }
    seen.add(name);
    const file = path.join(staging, ...name.split('/'));
    ensurePrivateDir(path.dirname(file));
    writes.push(pipeline(entry, fs.createWriteStream(file, { flags: 'wx', mode: PRIVATE_FILE_MODE })));
  };
  try {
    await list({ file: archive, noResume: true, strict: true, onReadEntry: take });
    await Promise.all(writes);
  } catch (err) {
    throw new BackupError(`${archive} is not a readable backup archive: ${(err as Error).message}`);
  }
  if (problems.length > 0)
    throw new BackupError(`${archive} is not an idcenter backup: ${problems.join('; ')}`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(staging, MANIFEST_NAME), 'utf8')) as Manifest;
  } catch {
    throw new BackupError(`${archive} is not an idcenter backup: it has no readable ${MANIFEST_NAME}`);
  }
  if (manifest?.format !== FORMAT || manifest.version !== FORMAT_VERSION || !Array.isArray(manifest.files)) {
    throw new BackupError(
      `${archive} is not an idcenter backup this version reads (format ${JSON.stringify(manifest?.format)}, version ${JSON.stringify(manifest?.version)})`,
    );
  }
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const name of seen) {
    if (name !== MANIFEST_NAME && !listed.has(name)) problems.push(`${name} is not in the manifest`);
  }
  for (const f of manifest.files) {
    const file = path.join(staging, ...String(f.name).split('/'));
    if (!seen.has(f.name)) problems.push(`${f.name} is missing`);
    else if ((await sha256(file)) !== f.sha256) problems.push(`${f.name} does not match its checksum`);
  }
  if (!seen.has(STORE_NAME)) problems.push(`${STORE_NAME} is missing`);
  if (problems.length > 0) throw new BackupError(`${archive} is damaged: ${problems.join('; ')}`);
  return manifest;
}
