/**
 * Stopping a replica cleanly: on SIGTERM `idcenter server` fails /readyz at once,
 * keeps answering for the grace period — every answer with `Connection: close`, on keep-alive
 * connections too, the fast path's as well, never a 503 — then stops listening, lets requests in
 * flight finish and exits 0. A second signal exits at once; SIGINT skips the grace; the
 * shutdown timeout closes what is still open. The process runs from the bundle (`npm run
 * build`), as an operator runs it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawConnection, within } from '../helpers/connections.ts';
import { startTestServer } from '../helpers/server.ts';

const BIN = path.resolve('bin/idcenter.js');

const STS_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
/** `Expect: 100-continue`: the `100 Continue` answer tells the request is in flight. */
const STS_HEAD = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${STS_BODY.length}\r\nExpect: 100-continue\r\n\r\n`;
const TOKEN_BODY = JSON.stringify({
  clientId: 'nobody',
  clientSecret: 'nothing',
  grantType: 'refresh_token',
});
const TOKEN_HEAD = `POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${TOKEN_BODY.length}\r\nExpect: 100-continue\r\n\r\n`;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Log lines (JSON) so far. */
  logs: () => Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

async function startProcess(dataDir: string, env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await within(
    30_000,
    'server start',
    (async () => {
      for (;;) {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m?.[1]) return m[1];
        if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })(),
  );
  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, url, port: Number(new URL(url).port), logs, exited };
}

/** Until the server logs a line whose message starts with `msg`. */
function logged(server: ServerProcess, msg: string) {
  return within(
    15_000,
    `log line "${msg}"`,
    (async () => {
      for (;;) {
        const line = server.logs().find((l) => String(l.msg).startsWith(msg));
        if (line) return line;
        await new Promise((r) => setTimeout(r, 20));
      }
    })(),
  );
}

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  /** The request went over a connection opened before (keep-alive). */
  reused: boolean;
}

function request(url: string, agent: http.Agent | false, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            body: text,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Until a new connection to `port` is refused: the server stopped listening. */
function untilRefused(port: number) {
  return within(
    20_000,
    'listener closed',
    (async () => {
      for (;;) {
        const refused = await new Promise<boolean>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port });
          s.once('connect', () => {
            s.destroy();
            resolve(false);
          });
          s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
        });
        if (refused) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    })(),
  );
}

/** The status line and headers of a raw HTTP/1.1 answer, after its `100 Continue`. */
function head(raw: string): { status: number; headers: string } {
  const final = raw.startsWith(CONTINUE) ? raw.slice(CONTINUE.length) : raw;
  const end = final.indexOf('\r\n\r\n');
  const text = end === -1 ? final : final.slice(0, end);
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0), headers: text.toLowerCase() };
}

describe('idcenter server shutdown', () => {
  let dir: string;
  const started: ChildProcess[] = [];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-shutdown-'));
  });
  after(() => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(name: string, env: Record<string, string>) {
    const server = await startProcess(path.join(dir, name), env);
    started.push(server.child);
    return server;
  }

  it('SIGTERM: readiness fails first, keep-alive clients get Connection: close, requests in flight finish, exit 0', async () => {
    const server = await start('drain', { IDCENTER_SHUTDOWN_GRACE: '4s' });
    // Keep-alive connections opened before the signal: a Fastify route and the fast path's two
    // shapes (STS and GetRoleCredentials).
    const agents = [0, 1, 2].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const [route, sts, grc] = agents as [http.Agent, http.Agent, http.Agent];
    const grcPath = '/federation/credentials?account_id=111111111111&role_name=ReadOnly';
    try {
      assert.equal((await request(`${server.url}/healthz`, route)).connection, 'keep-alive');
      assert.equal((await request(server.url, sts, 'POST', STS_BODY)).connection, 'keep-alive');
      assert.equal((await request(`${server.url}${grcPath}`, grc)).connection, 'keep-alive');
      // Requests in flight: headers and part of a body sent, on the fast path and a route.
      const fastInFlight = await rawConnection(server.port, STS_HEAD + STS_BODY.slice(0, 10));
      const routeInFlight = await rawConnection(server.port, TOKEN_HEAD + TOKEN_BODY.slice(0, 10));
      await Promise.all([fastInFlight.receives(CONTINUE), routeInFlight.receives(CONTINUE)]);

      server.child.kill('SIGTERM');
      await logged(server, 'shutting down');

      // During the grace: not ready, but everything is answered, each answer closing its
      // connection.
      const ready = await request(`${server.url}/readyz`, false);
      assert.equal(ready.status, 503);
      assert.deepEqual(JSON.parse(ready.body), { status: 'draining' });
      const health = await request(`${server.url}/healthz`, route);
      assert.equal(health.reused, true);
      assert.equal(health.status, 200);
      assert.equal(health.connection, 'close');
      const identity = await request(server.url, sts, 'POST', STS_BODY);
      assert.equal(identity.reused, true);
      assert.equal(identity.status, 403, identity.body);
      assert.match(identity.body, /<ErrorResponse /);
      assert.equal(identity.connection, 'close');
      const credentials = await request(`${server.url}${grcPath}`, grc);
      assert.equal(credentials.reused, true);
      assert.equal(credentials.status, 401, credentials.body);
      assert.equal(credentials.connection, 'close');

      // After the grace the server stops listening; the requests in flight still finish.
      await untilRefused(server.port);
      assert.equal(server.child.exitCode, null, 'waits for the requests in flight');
      fastInFlight.send(STS_BODY.slice(10));
      routeInFlight.send(TOKEN_BODY.slice(10));
      const fast = await within(10_000, 'fast path answer', fastInFlight.ended);
      const routeAnswer = await within(10_000, 'route answer', routeInFlight.ended);
      for (const [name, { received }] of [
        ['fast path', fast],
        ['route', routeAnswer],
      ] as const) {
        const { status, headers } = head(received);
        assert.ok(status >= 400 && status < 500, `${name}: ${received}`);
        assert.match(headers, /\r\nconnection: close(\r\n|$)/, `${name}: ${received}`);
      }
      assert.match(fast.received, /<ErrorResponse /);
      assert.match(routeAnswer.received, /"error":/);

      assert.equal(await within(20_000, 'exit', server.exited), 0);
      assert.ok(server.logs().some((l) => l.msg === 'shut down'));
    } finally {
      for (const agent of agents) agent.destroy();
    }
  });

  it('a second signal exits at once, without waiting for requests in flight', async () => {
    const server = await start('twice', {
      IDCENTER_SHUTDOWN_GRACE: '0s',
      IDCENTER_BODY_TIMEOUT: '10m',
      IDCENTER_SHUTDOWN_TIMEOUT: '1h',
    });
    const stalled = await rawConnection(server.port, STS_HEAD);
    await stalled.receives(CONTINUE);
    server.child.kill('SIGTERM');
    await logged(server, 'shutting down');
    await untilRefused(server.port);
    assert.equal(server.child.exitCode, null, 'waits for the request in flight');
    server.child.kill('SIGTERM');
    assert.equal(await within(10_000, 'exit', server.exited), 1);
    assert.ok(server.logs().some((l) => String(l.msg).startsWith('second signal')));
    stalled.socket.destroy();
  });

  it('SIGINT skips the grace', async () => {
    const server = await start('interrupt', { IDCENTER_SHUTDOWN_GRACE: '5m' });
    server.child.kill('SIGINT');
    assert.equal(await within(20_000, 'exit', server.exited), 0);
  });
});

describe('RunningServer.close()', () => {
  it('closes what is still open once the shutdown timeout passes', async () => {
    const server = await startTestServer({ settings: { bodyTimeout: '10m', shutdownTimeout: '1s' } });
    const stalled = await rawConnection(Number(new URL(server.url).port), STS_HEAD);
    try {
      await stalled.receives(CONTINUE);
      await within(15_000, 'close', server.stop());
      await within(5_000, 'stalled connection closed', stalled.ended);
      assert.ok(server.logs.some((l) => l.includes('shutdown timeout passed')));
    } finally {
      stalled.socket.destroy();
    }
  });
});
