/**
 * A lock file beside a cache file (`<file>.lock`), so that two CLIs refreshing the same SSO token
 * at the same time spend the refresh token once: the second waits, then finds the fresh token.
 * A lock whose process is gone, or that is older than a minute, is broken.
 */
import fs from 'node:fs';
import { CliError } from '../errors.ts';
import type { ClientIO } from './io.ts';

export interface LockOptions {
  /** Give up waiting after this long. Default 60 s. */
  timeoutMs?: number;
  /** A lock older than this is abandoned. Default 60 s. */
  staleMs?: number;
  /** Poll interval while waiting. Default 50 ms. */
  pollMs?: number;
}

interface LockInfo {
  pid: number;
  at: number;
}

function readLock(path: string): { info: LockInfo | undefined; raw: string; mtimeMs: number } | undefined {
  let raw: string;
  let mtimeMs: number;
  try {
    raw = fs.readFileSync(path, 'utf8');
    mtimeMs = fs.statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(raw) as LockInfo;
    return { info: typeof v.pid === 'number' && typeof v.at === 'number' ? v : undefined, raw, mtimeMs };
  } catch {
    // Empty or partial: the holder may not have written its pid yet.
    return { info: undefined, raw, mtimeMs };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withFileLock<T>(
  file: string,
  io: ClientIO,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const path = `${file}.lock`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 50;
  const started = io.now();
  const mine = JSON.stringify({ pid: process.pid, at: io.now() });
  for (;;) {
    try {
      const fd = fs.openSync(path, 'wx', 0o600);
      fs.writeSync(fd, mine);
      fs.closeSync(fd);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        fs.mkdirSync(file.slice(0, file.lastIndexOf('/')) || '.', { recursive: true, mode: 0o700 });
        continue;
      }
      if (code !== 'EEXIST') throw err;
    }
    const held = readLock(path);
    if (held) {
      // Only a lock whose holder is gone, or that is old, is stale; a lock just created and not
      // yet written is someone else's live lock.
      const stale =
        (held.info !== undefined && held.info.pid !== process.pid && !alive(held.info.pid)) ||
        Date.now() - held.mtimeMs > staleMs;
      if (stale) {
        breakLock(path, held.raw);
        io.debug(`broke a stale lock ${path}`);
        continue;
      }
    }
    if (io.now() - started > timeoutMs) {
      throw new CliError(
        `another idcenter process holds ${path}; wait for it to finish, or delete that file if no idcenter is running`,
        255,
      );
    }
    io.debug(`waiting for ${path}`);
    await io.sleep(pollMs);
  }
  try {
    return await fn();
  } finally {
    const held = readLock(path);
    if (held?.raw === mine) fs.rmSync(path, { force: true });
  }
}

/** Move a stale lock aside atomically; put it back if it turned out to be a fresh one. */
function breakLock(path: string, staleRaw: string): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    fs.renameSync(path, aside);
  } catch {
    return; // someone else broke it first
  }
  let raw = '';
  try {
    raw = fs.readFileSync(aside, 'utf8');
  } catch {
    // gone
  }
  if (raw !== staleRaw) {
    try {
      fs.linkSync(aside, path);
    } catch {
      // a third process already holds a new lock; theirs stands
    }
  }
  fs.rmSync(aside, { force: true });
}
