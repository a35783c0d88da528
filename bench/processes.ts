/**
 * Servers a benchmark runs in processes of their own, as in production: started, waited for
 * until they answer, and stopped.
 */
import { spawn } from 'node:child_process';

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
