import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/python.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const BIN = path.resolve('bin/idcenter.js');

describe('server basics', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.stop());

  it('serves /favicon.ico and the pages link the icon', async () => {
    const icon = await fetch(`${server.url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.match(await icon.text(), /^<svg /);
    const page = await (await fetch(`${server.url}/signin`)).text();
    const href = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)">/.exec(page)?.[1];
    assert.ok(href, page.slice(0, 400));
    assert.equal((await fetch(`${server.url}${href}`)).status, 200);
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((await ready.json()).status, 'ready');
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${server.config.metricsToken}` },
    });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /idcenter_http_request_duration_seconds_bucket/);
  });

  it('collapses duplicate slashes in paths', async () => {
    const res = await fetch(`${server.url}//healthz`);
    assert.equal(res.status, 200);
  });

  it('logs JSON lines with request ids', async () => {
    await fetch(`${server.url}/healthz`);
    const line = server.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request completed');
    assert.ok(line?.reqId);
  });
});

describe('idcenter server process', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-proc-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a second server on the same SQLite file and shuts down cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    try {
      const deadline = Date.now() + 15_000;
      while (!/listening on/.test(stderr) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.match(stderr, /listening on http:\/\/127\.0\.0\.1:\d+/);
      const second = await run(process.execPath, [BIN, 'server', '--port', '0', '--data-dir', dir]);
      assert.equal(second.code, 253);
      assert.match(second.stderr, /another idcenter server \(pid \d+\) is already using/);
      assert.doesNotMatch(second.stderr, /\n\s+at /);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });

  it('a busy port names the port and how to choose another, with exit code 253', async () => {
    const net = await import('node:net');
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (holder.address() as { port: number }).port;
    const busyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-busy-'));
    try {
      const res = await run(process.execPath, [BIN, 'server', '--port', String(port), '--data-dir', busyDir]);
      assert.equal(res.code, 253, res.stderr);
      assert.match(res.stderr, new RegExp(`port ${port} is already in use on 127\\.0\\.0\\.1`));
      assert.match(res.stderr, /--port N \(or IDCENTER_PORT=N\), or --port 0 for any free port/);
      assert.doesNotMatch(res.stderr, /unexpected error/);
    } finally {
      holder.close();
      fs.rmSync(busyDir, { recursive: true, force: true });
    }
  });

  it('reports bad configuration all at once with exit code 253', async () => {
    const res = await run(process.execPath, [BIN, 'server', '--data-dir', dir], {
      env: { ...process.env, IDCENTER_PORT: 'x', IDCENTER_BOGUS: '1' },
    });
    assert.equal(res.code, 253);
    assert.match(res.stderr, /IDCENTER_BOGUS is not a setting/);
    assert.match(res.stderr, /IDCENTER_PORT/);
  });
});
