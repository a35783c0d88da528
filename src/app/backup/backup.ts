/**
 * `idcenter backup`: one archive (see `archive.ts`) with everything a SQLite installation needs
 * to run again — the store (users, password hashes, MFA devices and the key that seals their
 * secrets, sessions, the organization, revocations, audit) copied online beside a running
 * server, the credential key file that role credentials were sealed under, and the generated
 * TLS files. PostgreSQL is backed up with its own tools (`postgresProcedure`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import { ensurePrivateDir, KEY_DIR_NAMES, PRIVATE_FILE_MODE } from '../../storage/private-files.ts';
import { inspectSnapshot, snapshotSqlite } from '../../storage/sqlite-snapshot.ts';
import {
  CredentialKeyError,
  KEY_FILE_NAME,
  keyFilePath,
  parseKeyList,
  readKeyFile,
} from '../credentials/keys.ts';
import {
  BackupError,
  describeFiles,
  type Manifest,
  STORE_NAME,
  stagedNames,
  writeArchive,
} from './archive.ts';

export type BackupConfig = Pick<Config, 'databaseUrl' | 'dataDir' | 'credentialKeys'>;

/** The SQLite file of a configuration, or null for PostgreSQL. */
export function sqliteFileOf(config: Pick<Config, 'databaseUrl'>): string | null {
  if (!config.databaseUrl.startsWith('sqlite:')) return null;
  const file = config.databaseUrl.slice('sqlite:'.length);
  if (file === ':memory:')
    throw new BackupError('an in-memory store (sqlite::memory:) has nothing to back up or restore');
  return file;
}

/** What to do instead on PostgreSQL, for the message of `backup` and `restore`. */
export function postgresProcedure(dataDir: string): string {
  return [
    'this store is PostgreSQL: back it up with PostgreSQL’s own tools, and keep the credential keys with the dump.',
    '  Back up:  pg_dump --format=custom --file=idcenter.dump "$IDCENTER_DATABASE_URL"',
    `            and copy ${keyFilePath(dataDir)} (or the value of IDCENTER_CREDENTIAL_KEYS) next to it.`,
    '  Restore:  stop the servers; pg_restore --clean --if-exists --no-owner --dbname="$IDCENTER_DATABASE_URL" idcenter.dump;',
    '            put the key file (or IDCENTER_CREDENTIAL_KEYS) back; start the servers;',
    '            then idcenter sessions revoke --all to cut everything issued before the restore.',
    '  See "Backup and restore" in the README.',
  ].join('\n');
}

export interface BackupRequest {
  readonly config: BackupConfig;
  /** Where the archive goes (replaced only with `force`). */
  readonly output: string;
  readonly force: boolean;
  /** The idcenter version, for the manifest. */
  readonly writtenBy: string;
  readonly now: () => number;
  /** One line of progress at a time (stderr). */
  readonly progress: (line: string) => void;
}

export interface BackupResult {
  readonly output: string;
  readonly bytes: number;
  readonly manifest: Manifest;
}

function copyPrivate(from: string, to: string): void {
  ensurePrivateDir(path.dirname(to));
  fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(to, PRIVATE_FILE_MODE);
}

/** Copy every regular file under `from` into `to`, modes private. Returns how many. */
function copyTree(from: string, to: string): number {
  let n = 0;
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) n += copyTree(path.join(from, e.name), path.join(to, e.name));
    else if (e.isFile()) {
      copyPrivate(path.join(from, e.name), path.join(to, e.name));
      n++;
    }
  }
  return n;
}

/** The credential keys to archive: the key file staged beside the store copy, or a note why none. */
function stageKeys(
  config: BackupConfig,
  staging: string,
  recorded: readonly string[],
  progress: (line: string) => void,
): Manifest['credentialKeys'] {
  if (config.credentialKeys.trim().length > 0) {
    let ids: string[];
    try {
      ids = [...parseKeyList(config.credentialKeys).byId.keys()];
    } catch (err) {
      throw new BackupError(`IDCENTER_CREDENTIAL_KEYS (--credential-keys): ${(err as Error).message}`);
    }
    progress(
      `credential keys come from IDCENTER_CREDENTIAL_KEYS (${ids.join(', ')}): they are not in the archive; keep that value with it`,
    );
    return { source: 'config', ids };
  }
  const file = keyFilePath(config.dataDir);
  if (!fs.existsSync(file)) {
    if (recorded.length > 0) {
      throw new BackupError(
        `${file} does not exist, but the store was used with the credential keys ${recorded.join(', ')}: a backup without them cannot bring back working credentials. Find the key file (or the IDCENTER_CREDENTIAL_KEYS the servers use) first.`,
      );
    }
    progress(
      `no ${KEY_FILE_NAME} yet (no server has started on this store): the archive holds the store only`,
    );
    return { source: 'file', ids: [] };
  }
  const staged = path.join(staging, KEY_FILE_NAME);
  copyPrivate(file, staged);
  let ids: string[];
  try {
    ids = [...readKeyFile(staged).ring.byId.keys()];
  } catch (err) {
    if (err instanceof CredentialKeyError) throw new BackupError(err.message.replaceAll(staged, file));
    throw err;
  }
  if (recorded.length > 0 && !recorded.some((id) => ids.includes(id))) {
    throw new BackupError(
      `${file} holds ${ids.join(', ')}, none of the credential keys the store was used with (${recorded.join(', ')}): it does not belong to this store`,
    );
  }
  progress(`adding ${file} (keys ${ids.join(', ')})`);
  return { source: 'file', ids };
}

/**
 * Write a backup of the SQLite store `config` names, with its key file and TLS files.
 * @example await backupSqlite({ config, output: 'idcenter.tar.gz', force: false, writtenBy: VERSION, now: Date.now, progress })
 */
export async function backupSqlite(req: BackupRequest): Promise<BackupResult> {
  const { config, output, progress } = req;
  const source = sqliteFileOf(config);
  if (!source) throw new BackupError(postgresProcedure(config.dataDir));
  if (!fs.statSync(source, { throwIfNoEntry: false })?.isFile()) {
    throw new BackupError(`there is no store at ${source}: give the server's --data-dir or --database-url`);
  }
  const outDir = path.dirname(output);
  if (!fs.statSync(outDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new BackupError(`the directory ${outDir} does not exist`);
  }
  if (fs.existsSync(output) && !req.force) {
    throw new BackupError(`${output} exists: give another file name, or --force to replace it`);
  }
  // Beside the output: the store copy may be large, and /tmp small.
  const staging = fs.mkdtempSync(path.join(outDir, '.idcenter-backup-'));
  try {
    progress(`copying the store ${source} (an online backup: servers keep running)`);
    const createdAt = new Date(req.now()).toISOString();
    const copied = await snapshotSqlite(source, path.join(staging, STORE_NAME));
    const facts = inspectSnapshot(path.join(staging, STORE_NAME));
    progress(`copied ${copied.pages} pages (${copied.bytes} bytes); integrity check ok`);
    const credentialKeys = stageKeys(config, staging, facts.keyIds, progress);
    for (const name of KEY_DIR_NAMES) {
      const dir = path.join(config.dataDir, name);
      if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
        const n = copyTree(dir, path.join(staging, name));
        progress(`adding ${n} file(s) from ${dir}`);
      }
    }
    const names = stagedNames(staging);
    const manifest: Manifest = {
      format: 'idcenter-backup',
      version: 1,
      createdAt,
      writtenBy: req.writtenBy,
      store: { kind: 'sqlite', source },
      credentialKeys,
      files: await describeFiles(staging, names),
    };
    progress(`writing ${output}`);
    await writeArchive(staging, manifest, output);
    return { output, bytes: fs.statSync(output).size, manifest };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
