/**
 * Run python (botocore, boto3) or the installed AWS CLI in a child process with an isolated
 * HOME, so real AWS clients judge the server. Nothing here talks to the network beyond the
 * loopback URL the test gives.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp HOME with an empty ~/.aws, removed by cleanup. */
export function tempHome(): { home: string; cleanup(): void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-home-'));
  fs.mkdirSync(path.join(home, '.aws'), { recursive: true });
  return { home, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/** Environment for AWS clients: no ambient credentials or config from the real user. */
export function cleanAwsEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AWS_') || k.startsWith('IDCENTER_')) continue;
    env[k] = v;
  }
  return { ...env, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

/** What a child writes on stdout and stderr, as text collected as it comes. */
function collect(child: ChildProcess): { stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = collect(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: out.stdout(), stderr: out.stderr() });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Run a python script (text) with arguments; JSON on stdout is the usual way back. */
export function python(script: string, args: string[] = [], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return run('python3', ['-c', script, ...args], env ? { env } : {});
}

/** A command running in the background, its output collected as it comes. */
export interface Started {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code once it ends. */
  readonly exited: Promise<number | null>;
  /** The first match of `pattern` in stdout; fails after `timeoutMs` or if the command ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  kill(): void;
}

/** Start a command (stdin closed) that the test talks to while it runs: a login that polls. */
export function start(command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collect(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    get stdout() {
      return out.stdout();
    },
    get stderr() {
      return out.stderr();
    },
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(out.stdout());
        if (m) return m;
        if (Date.now() > deadline || child.exitCode !== null) {
          child.kill('SIGKILL');
          throw new Error(`${command} printed no ${pattern}: ${out.stdout()} ${out.stderr()}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: () => child.kill('SIGKILL'),
  };
}
