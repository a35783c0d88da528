/**
 * File writes that never leave a half-written file: write a temporary file beside the target
 * (mode 0600), fsync it, then rename it over the target, as botocore's JSONFileCache does.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of a new file; an existing file keeps its own. Default 0600. */
  mode?: number;
  /** Mode of directories created on the way. Default 0700. */
  dirMode?: number;
}

export function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions = {}): void {
  // Write through a symlink to its target, so a linked ~/.aws/config stays a link.
  let target = file;
  try {
    target = fs.realpathSync(file);
  } catch {
    // does not exist yet
  }
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
  let mode = options.mode ?? 0o600;
  try {
    mode = fs.statSync(target).mode & 0o777;
  } catch {
    // new file
  }
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** The file's text, or undefined when it does not exist. Other errors (EACCES…) propagate. */
export function readTextIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
