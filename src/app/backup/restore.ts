/**
 * `idcenter restore`: put a backup (see `archive.ts`) back into a data directory. It refuses a
 * data directory that has a store unless told to replace it, refuses while a server runs on it
 * (it holds the server lock throughout, so none starts meanwhile), and refuses an archive whose
 * credential keys are not there — without them every credential issued before would fail and
 * the server would not start. Files land with modes 0700/0600.
 *
 * A restore brings the store back as it was when the backup was made: what happened since is
 * gone, revocations included, so sessions ended and credentials revoked after the backup are
 * valid again until they expire. `revokeBefore` cuts everything issued until the restore (an
 * `all` revocation, every sign-in ended), as `idcenter sessions revoke --all` does later.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import { openStore } from '../../storage/db.ts';
import {
  ensurePrivateDir,
  KEY_DIR_NAMES,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  privatePaths,
  syncDirectory,
  TLS_DIR_NAME,
  tightenModes,
} from '../../storage/private-files.ts';
import { acquireServerLock, ServerLockHeldError } from '../../storage/server-lock.ts';
import { inspectSnapshot } from '../../storage/sqlite-snapshot.ts';
import { writeAudit } from '../audit.ts';
import { createAppContext } from '../context.ts';
import {
  CredentialKeyError,
  KEY_FILE_NAME,
  type KeyRing,
  keyFilePath,
  parseKeyList,
  readKeyFile,
} from '../credentials/keys.ts';
import { type RevocationOutcome, revokeEverything } from '../sessions.ts';
import { BackupError, type Manifest, readArchive, STORE_NAME } from './archive.ts';
import { postgresProcedure, sqliteFileOf } from './backup.ts';

export interface RestoreRequest {
  readonly config: Pick<Config, 'databaseUrl' | 'dataDir' | 'credentialKeys'>;
  readonly archive: string;
  /** Replace a store (and key file) the data directory has. */
  readonly force: boolean;
  /** Cut every sign-in and credential issued until now (see the module comment). */
  readonly revokeBefore: boolean;
  /** Who the audit events name. */
  readonly actor: string;
  readonly progress: (line: string) => void;
}

export interface RestoreResult {
  readonly manifest: Manifest;
  readonly dbFile: string;
  /** Where the servers' keys come from after the restore. */
  readonly keys: { readonly source: 'archive' | 'config' | 'none'; readonly ids: readonly string[] };
  readonly tlsFiles: number;
  /** What `revokeBefore` revoked. */
  readonly revoked: RevocationOutcome | null;
}

/** Whether `dbFile` holds a store: a non-empty database or write-ahead log. */
function hasStore(dbFile: string): boolean {
  return ['', '-wal'].some((s) => (fs.statSync(`${dbFile}${s}`, { throwIfNoEntry: false })?.size ?? 0) > 0);
}

/** The keys servers will use after the restore, checked against the ids the store recorded. */
function restoredKeys(
  req: RestoreRequest,
  manifest: Manifest,
  stagedKeyFile: string | null,
  recorded: readonly string[],
): RestoreResult['keys'] {
  let ring: KeyRing | null = null;
  let source: RestoreResult['keys']['source'] = 'none';
  const configured = req.config.credentialKeys.trim().length > 0;
  try {
    if (configured) {
      ring = parseKeyList(req.config.credentialKeys);
      source = 'config';
    } else if (stagedKeyFile) {
      ring = readKeyFile(stagedKeyFile).ring;
      source = 'archive';
    }
  } catch (err) {
    if (!(err instanceof CredentialKeyError)) throw err;
    throw new BackupError(
      configured
        ? `IDCENTER_CREDENTIAL_KEYS (--credential-keys): ${err.message}`
        : `the archive's ${KEY_FILE_NAME} cannot be used: ${err.message}`,
    );
  }
  const used = `the backed-up store was used with the credential keys ${recorded.join(', ')}`;
  if (!ring) {
    if (recorded.length === 0) return { source: 'none', ids: [] };
    throw new BackupError(
      manifest.credentialKeys.source === 'config'
        ? `${used}, which came from IDCENTER_CREDENTIAL_KEYS and so are not in the archive: set IDCENTER_CREDENTIAL_KEYS to those keys and restore again (without them every credential issued before fails and the server does not start)`
        : `the archive holds no ${KEY_FILE_NAME}, but ${used}: without them every credential issued before fails and the server does not start. Use an archive made by idcenter backup, or set IDCENTER_CREDENTIAL_KEYS to those keys`,
    );
  }
  const ids = [...ring.byId.keys()];
  if (recorded.length > 0 && !recorded.some((id) => ring.byId.has(id))) {
    throw new BackupError(
      `${source === 'config' ? 'IDCENTER_CREDENTIAL_KEYS' : `the archive's ${KEY_FILE_NAME}`} holds ${ids.join(', ')}, but ${used}: ${
        source === 'config'
          ? 'set IDCENTER_CREDENTIAL_KEYS to the keys of the backed-up servers'
          : 'the archive is not consistent'
      }`,
    );
  }
  return { source, ids };
}

/** Move `from` over `to` (a file, or a directory replacing one), keeping what it replaced in `aside`. */
function moveInto(from: string, to: string, aside: string): void {
  if (fs.existsSync(to) && fs.statSync(to).isDirectory()) fs.renameSync(to, aside);
  fs.renameSync(from, to);
}

/**
 * Restore the archive into the SQLite store and data directory `config` names.
 * @example await restoreSqlite({ config, archive: 'idcenter.tar.gz', force: false, revokeBefore: true, actor: 'cli:restore', progress })
 */
export async function restoreSqlite(req: RestoreRequest): Promise<RestoreResult> {
  const { config, progress } = req;
  const dbFile = sqliteFileOf(config);
  if (!dbFile) throw new BackupError(postgresProcedure(config.dataDir));
  const keyFile = keyFilePath(config.dataDir);
  const existing = [hasStore(dbFile) ? dbFile : null, fs.existsSync(keyFile) ? keyFile : null].filter(
    (f): f is string => f !== null,
  );
  if (existing.length > 0 && !req.force) {
    throw new BackupError(
      `${existing.join(' and ')} exist${existing.length === 1 ? 's' : ''}: restoring replaces ${existing.length === 1 ? 'it' : 'them'}. Stop the server, keep a copy if you need one (idcenter backup), then give --force`,
    );
  }
  ensurePrivateDir(config.dataDir);
  ensurePrivateDir(path.dirname(dbFile));
  let lock: ReturnType<typeof acquireServerLock>;
  try {
    lock = acquireServerLock(dbFile);
  } catch (err) {
    if (err instanceof ServerLockHeldError) {
      throw new BackupError(
        `an idcenter server${err.holder ? ` (pid ${err.holder})` : ''} is running on ${dbFile}: stop it before restoring`,
      );
    }
    throw err;
  }
  const staging = fs.mkdtempSync(path.join(config.dataDir, '.restore-'));
  try {
    progress(`reading ${req.archive}`);
    const manifest = await readArchive(req.archive, staging);
    const stagedDb = path.join(staging, STORE_NAME);
    const facts = inspectSnapshot(stagedDb);
    const stagedKeyFile = path.join(staging, KEY_FILE_NAME);
    const keys = restoredKeys(
      req,
      manifest,
      fs.existsSync(stagedKeyFile) ? stagedKeyFile : null,
      facts.keyIds,
    );
    progress(`the archive holds the store as of ${manifest.createdAt}; integrity check ok`);

    progress(`replacing ${dbFile}`);
    // A log or journal of the store being replaced must never be applied to the restored one.
    for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${dbFile}${suffix}`, { force: true });
    fs.chmodSync(stagedDb, PRIVATE_FILE_MODE);
    fs.renameSync(stagedDb, dbFile);
    if (fs.existsSync(stagedKeyFile)) {
      progress(`replacing ${keyFile}`);
      fs.chmodSync(stagedKeyFile, PRIVATE_FILE_MODE);
      fs.renameSync(stagedKeyFile, keyFile);
    }
    let tlsFiles = 0;
    for (const name of KEY_DIR_NAMES) {
      const files = manifest.files.filter((f) => f.name.startsWith(`${name}/`)).length;
      if (name === TLS_DIR_NAME) tlsFiles = files;
      if (files === 0) continue;
      const target = path.join(config.dataDir, name);
      progress(`replacing ${target}`);
      fs.chmodSync(path.join(staging, name), PRIVATE_DIR_MODE);
      moveInto(path.join(staging, name), target, path.join(staging, `${name}.replaced`));
    }
    tightenModes(privatePaths(config.dataDir, dbFile));
    syncDirectory(config.dataDir);
    syncDirectory(path.dirname(dbFile));

    // Opening migrates a backup made by an older version.
    const store = await openStore(config.databaseUrl, { poolSize: 2 });
    let revoked: RevocationOutcome | null = null;
    try {
      const ctx = createAppContext(store);
      await writeAudit(store.db, {
        at: ctx.clock.now(),
        actor: req.actor,
        action: 'store.restore',
        targetType: 'INSTANCE',
        targetId: 'default',
        detail: { backupCreatedAt: manifest.createdAt, archive: path.basename(req.archive), keys: keys.ids },
      });
      if (req.revokeBefore) revoked = await revokeEverything(ctx, req.actor, 'restored from a backup');
    } finally {
      await store.close();
    }
    return { manifest, dbFile, keys, tlsFiles, revoked };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    lock.release();
  }
}
