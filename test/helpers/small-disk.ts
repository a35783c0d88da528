/**
 * A real small disk for tests of a full disk: a tmpfs of a few hundred KiB mounted in a mount
 * namespace of its own (`unshare --mount`, also `--map-root-user` when not run as root), with a
 * shell inside that runs the commands a test sends. Only processes that shell starts see the
 * tmpfs; tests reach servers started there over loopback and read their output from files on
 * the real disk. When the shell ends, the namespace and the tmpfs go with it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Each command's output, then a line with a marker and its exit code. */
const DRIVER = `
mount -t tmpfs -o size="$1" tmpfs "$2" || exit 97
echo ready
while IFS= read -r line; do
  out=$(eval "$line" 2>&1)
  code=$?
  printf '%s\\n__done__ %d\\n' "$out" "$code"
done
`;

export interface ShellResult {
  code: number;
  out: string;
}

export class SmallDisk {
  /** Where the tmpfs is mounted (inside the namespace; an empty directory outside). */
  readonly dir: string;
  /** A directory on the real disk, for logs the test reads. */
  readonly outside: string;
  private readonly shell: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: ((r: ShellResult) => void) | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, outside: string, shell: ChildProcessWithoutNullStreams) {
    this.dir = dir;
    this.outside = outside;
    this.shell = shell;
  }

  /** Mount a tmpfs of `size` (e.g. `512k`) and start the shell inside its namespace. */
  static async mount(size: string): Promise<SmallDisk> {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-smalldisk-'));
    const dir = path.join(outside, 'disk');
    fs.mkdirSync(dir);
    const userns = process.getuid?.() === 0 ? [] : ['--map-root-user'];
    // Servers started inside read their settings from flags only.
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IDCENTER_')) env[k] = v;
    const shell = spawn('unshare', [...userns, '--mount', 'sh', '-c', DRIVER, 'driver', size, dir], { env });
    const disk = new SmallDisk(dir, outside, shell);
    let stderr = '';
    shell.stderr.on('data', (d) => {
      stderr += d;
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        disk.buffer += d.toString();
        if (disk.buffer.startsWith('ready\n')) {
          disk.buffer = disk.buffer.slice('ready\n'.length);
          shell.stdout.off('data', onData);
          shell.stdout.on('data', (more: Buffer) => disk.take(more));
          resolve();
        }
      };
      shell.stdout.on('data', onData);
      shell.on('error', reject);
      shell.on('exit', (code) =>
        reject(
          new Error(`cannot mount a tmpfs in a mount namespace (unshare exit ${code}): ${stderr.trim()}`),
        ),
      );
    });
    return disk;
  }

  private take(d: Buffer): void {
    this.buffer += d.toString();
    const m = /(?:^|\n)__done__ (\d+)\n/.exec(this.buffer);
    if (!m) return;
    const out = this.buffer.slice(0, m.index);
    this.buffer = this.buffer.slice(m.index + m[0].length);
    const w = this.waiting;
    this.waiting = null;
    w?.({ code: Number(m[1]), out });
  }

  /** Run one line of shell inside the namespace; resolves with its output and exit code. */
  sh(line: string): Promise<ShellResult> {
    const run = this.queue.then(
      () =>
        new Promise<ShellResult>((resolve) => {
          this.waiting = resolve;
          this.shell.stdin.write(`${line.replace(/\n/g, ' ')}\n`);
        }),
    );
    this.queue = run.catch(() => {});
    return run;
  }

  /** Fill the disk until writes fail with ENOSPC. */
  async fill(name = 'filler'): Promise<void> {
    const r = await this.sh(`dd if=/dev/zero of=${this.dir}/${name} bs=4096`);
    if (!/No space left on device/.test(r.out)) throw new Error(`the disk did not fill up: ${r.out}`);
  }

  /** Give the space of `fill` back. */
  async free(name = 'filler'): Promise<void> {
    await this.sh(`rm -f ${this.dir}/${name}`);
  }

  /** End the shell (and so the namespace and the tmpfs) and remove the directories outside. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.shell.exitCode !== null) resolve();
      else this.shell.once('exit', () => resolve());
    });
    this.shell.stdin.end();
    await exited;
    fs.rmSync(this.outside, { recursive: true, force: true });
  }
}
