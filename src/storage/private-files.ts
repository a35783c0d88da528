/**
 * The data directory holds password hashes, the key that seals TOTP secrets and the credential
 * keys, so nobody but the server's own user may read it: directories are made 0700 and files
 * 0600, whatever the umask. SQLite gives the files it derives from a database (`-wal`, `-shm`,
 * `-journal`) the mode of the database file, so creating that file 0600 before SQLite opens it
 * covers them.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Make `dir` (and any missing parent) with mode 0700; an existing directory is left as it is. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Create `file` empty with mode 0600 unless it exists. */
export function ensurePrivateFile(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'wx', PRIVATE_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** The files SQLite and the server lock keep beside a SQLite database. */
export function sqliteFiles(dbFile: string): string[] {
  return ['', '-wal', '-shm', '-journal', '.server-lock', '.server-lock-journal', '.server-pid'].map(
    (suffix) => `${dbFile}${suffix}`,
  );
}

/** The directory in the data directory where the server keeps its generated TLS files. */
export const TLS_DIR_NAME = 'tls';

/** The directory in the data directory where the server keeps its generated SAML signing key. */
export const SAML_DIR_NAME = 'saml';

/** The directory where the server keeps its generated key for web identity (OIDC) tokens. */
export const OIDC_DIR_NAME = 'oidc';

/** The directories of generated key material a backup carries and a restore puts back. */
export const KEY_DIR_NAMES = [TLS_DIR_NAME, SAML_DIR_NAME, OIDC_DIR_NAME] as const;

/**
 * What idcenter keeps in a data directory, as far as it exists: the directory itself, the
 * credential key file and its temporary file, the SQLite store's files (when `dbFile` is given,
 * wherever it is), and the generated TLS, SAML and OIDC directories with everything under them. Nothing else in
 * the directory is touched, so a data directory set to a shared place by mistake keeps the
 * modes of what others put there.
 */
export function privatePaths(dataDir: string, dbFile: string | null): string[] {
  const paths = [dataDir];
  let names: string[] = [];
  try {
    names = fs.readdirSync(dataDir).sort();
  } catch {}
  for (const name of names) if (name.startsWith('credential-keys.json')) paths.push(path.join(dataDir, name));
  if (dbFile) paths.push(...sqliteFiles(dbFile));
  const walk = (p: string) => {
    paths.push(p);
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(p, { withFileTypes: true });
    } catch {}
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = path.join(p, e.name);
      if (e.isDirectory()) walk(child);
      else paths.push(child);
    }
  };
  for (const dir of KEY_DIR_NAMES) if (names.includes(dir)) walk(path.join(dataDir, dir));
  return paths;
}

export interface LooseMode {
  readonly path: string;
  /** The mode it had, octal (`0644`). */
  readonly was: string;
  /** Why it could not be tightened; absent when it was. */
  readonly error?: string;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Take group and other permissions away from each path: a directory becomes 0700 at most, a
 * file 0600 at most. Symbolic links are neither followed nor changed; missing paths are
 * skipped. Returns what was loose.
 */
export function tightenModes(paths: readonly string[]): LooseMode[] {
  const loose: LooseMode[] = [];
  for (const p of new Set(paths)) {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(p, { throwIfNoEntry: false });
    } catch {
      continue;
    }
    if (!st || st.isSymbolicLink() || (st.mode & 0o077) === 0) continue;
    const mode = st.mode & (st.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE);
    try {
      fs.chmodSync(p, mode);
      loose.push({ path: p, was: octal(st.mode) });
    } catch (err) {
      loose.push({ path: p, was: octal(st.mode), error: (err as Error).message });
    }
  }
  return loose;
}

/** Make a rename durable: fsync the directory (not possible everywhere, e.g. on Windows). */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Best effort: the rename itself is atomic either way.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Write `text` to `file` atomically with mode 0600: a temporary file beside it (created 0600
 * whatever the umask), fsynced, renamed over `file`, then the directory fsynced. A reader sees
 * the old file or the new one, never part of either; a failure leaves the old file as it was.
 */
export function writePrivateFileAtomic(file: string, text: string): void {
  const temp = openPrivateTemp(file);
  try {
    fs.writeFileSync(temp.fd, text);
    temp.commit();
  } finally {
    temp.discard();
  }
}

/** A temporary private file open for writing, to be put in place of another or thrown away. */
export interface PrivateTemp {
  fd: number;
  /** fsync, close, rename over the file, fsync its directory. */
  commit(): void;
  /** Close and remove it unless committed (so it belongs in a `finally`). */
  discard(): void;
}

/**
 * The temporary file of `writePrivateFileAtomic`, for content written another way (a stream:
 * the backup archive), with the same guarantees once the caller commits it.
 *
 * @example
 * const temp = openPrivateTemp(output);
 * try {
 *   await pipeline(source, fs.createWriteStream('', { fd: temp.fd, autoClose: false }));
 *   temp.commit();
 * } finally {
 *   temp.discard();
 * }
 */
export function openPrivateTemp(file: string): PrivateTemp {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const fd = fs.openSync(tmp, 'wx', PRIVATE_FILE_MODE);
  let renamed = false;
  try {
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return {
    fd,
    commit() {
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.renameSync(tmp, file);
      renamed = true;
      syncDirectory(dir);
    },
    discard() {
      if (renamed) return;
      try {
        fs.closeSync(fd);
      } catch {}
      fs.rmSync(tmp, { force: true });
    },
  };
}
