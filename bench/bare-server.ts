/**
 * The yardstick: a bare node:http server answering a small JSON body, measured in the same run
 * as our endpoints so ratios hold when the machine's speed drifts. A benchmark places it as it
 * places the server it measures: in its own process (`startBareServerProcess`) beside a server
 * process, in the benchmark's process (`startBareServer`) beside an in-process server.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

interface Bare {
  url: string;
  /** The server's process id when it runs in a process of its own. */
  pid?: number;
  close(): Promise<void>;
}

function bareServer(): http.Server {
  const body = JSON.stringify({ ok: true, accountId: '111111111111', roleName: 'ReadOnly' });
  return http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

export async function startBareServer(): Promise<Bare> {
  const server = bareServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const SELF = fileURLToPath(import.meta.url);

export async function startBareServerProcess(): Promise<Bare> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, 'serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// `node --import tsx bench/bare-server.ts serve`: the process `startBareServerProcess` starts.
if (process.argv[1] === SELF && process.argv[2] === 'serve') {
  const server = bareServer();
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
