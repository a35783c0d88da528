/**
 * Servers a benchmark runs in processes of their own, as in production: started, waited for
 * until they answer, and stopped.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../test/helpers/server.ts';

export interface ServerProcess {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * A server process on `port`, once `probe` answers; `stop` sends SIGTERM and waits for the exit.
 */
export async function spawnServer(
  name: string,
  command: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    port: number;
    probe: string;
    ready?: (r: Response) => boolean;
    /** Drop what it writes on stderr too (moto logs every request there). */
    quiet?: boolean;
  },
): Promise<ServerProcess> {
  const child = spawn(command, args, {
    ...(options.env ? { env: options.env } : {}),
    stdio: ['ignore', 'ignore', options.quiet ? 'ignore' : 'inherit'],
  });
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}${options.probe}`).then(options.ready ?? (() => true), () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const BIN = path.resolve('bin/idcenter.js');

/**
 * `idcenter server` from the built bundle on an ephemeral port over a store (its data directory
 * and database URL), as an operator runs it: NODE_ENV production, log level info (a line per
 * request, here to /dev/null), no `IDCENTER_*` setting of the benchmark's environment but
 * those given and `env`.
 */
export async function startIdcenterProcess(
  store: { dataDir: string; url: string },
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IDCENTER_')) childEnv[k] = v;
  Object.assign(childEnv, {
    NODE_ENV: 'production',
    IDCENTER_HOST: '127.0.0.1',
    IDCENTER_PORT: String(port),
    IDCENTER_DATA_DIR: store.dataDir,
    IDCENTER_DATABASE_URL: store.url,
    ...env,
  });
  return spawnServer('idcenter server', process.execPath, [BIN, 'server'], {
    env: childEnv,
    port,
    probe: '/readyz',
    ready: (r) => r.ok,
  });
}
