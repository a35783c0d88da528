/**
 * A store that answers but cannot write makes /readyz answer 503, and a
 * server restarted on a full disk says the disk is full instead of "another idcenter server is
 * already using …".
 *
 * SQLite: a real full disk — the server runs (as `idcenter server`) on a tmpfs of 4 MiB in a
 * mount namespace of its own (`test/helpers/small-disk.ts`), which the test fills with `dd`
 * until the kernel answers ENOSPC, then frees.
 * PostgreSQL: the test database is switched to `default_transaction_read_only` and the
 * server's connections are ended, so its new connections are read-only: every write is refused
 * the way a hot standby refuses it. This is a simulation of a database that takes connections
 * and reads but no writes (a failover to a standby, a read-only database), not of a full disk,
 * which PostgreSQL meets by stopping.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PG_ADMIN_URL } from '../helpers/pg.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { SmallDisk } from '../helpers/small-disk.ts';

const BIN = path.resolve('bin/idcenter.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ask /readyz until it answers `status` (the answer is reused for a second), within 15 s. */
async function readyzUntil(url: string, status: number): Promise<{ status: string; reason?: string }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => null);
    const body = res ? ((await res.json()) as { status: string; reason?: string }) : null;
    if (res?.status === status && body) return body;
    if (Date.now() > deadline)
      throw new Error(`/readyz did not answer ${status}: ${res?.status} ${JSON.stringify(body)}`);
    await sleep(200);
  }
}

describe('a full disk (SQLite on a 4 MiB tmpfs)', () => {
  let disk: SmallDisk;
  let url: string;
  let port: number;
  let pid = 0;
  const log = () => path.join(disk.outside, 'server.log');

  before(async () => {
    disk = await SmallDisk.mount('4m');
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await disk?.close();
  });

  const serverArgs = () => `${process.execPath} ${BIN} server --port ${port} --data-dir ${disk.dir}/data`;

  it('/readyz answers 503 while the store cannot write, and 200 once there is space again', async () => {
    const started = await disk.sh(`${serverArgs()} > ${log()} 2>&1 < /dev/null & echo $!`);
    pid = Number(started.out.trim());
    assert.ok(pid > 0, started.out);
    assert.deepEqual(await readyzUntil(url, 200), { status: 'ready', store: 'sqlite' });

    await disk.fill();
    assert.deepEqual(await readyzUntil(url, 503), {
      status: 'unavailable',
      reason: 'store does not accept writes',
    });
    const lines = fs.readFileSync(log(), 'utf8').split('\n').filter(Boolean);
    const warning = lines.map((l) => (l.startsWith('{') ? JSON.parse(l) : {})).find((l) => l.level === 40);
    assert.equal(warning?.msg, 'not ready: store does not accept writes');
    assert.match(warning?.problem, /disk is full/);

    await disk.free();
    assert.deepEqual(await readyzUntil(url, 200), { status: 'ready', store: 'sqlite' });
  });

  it('a server started on the full disk says so, not that another server is using the store', async () => {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await sleep(100);
    }
    pid = 0;
    await disk.fill();
    const r = await disk.sh(`timeout 30 ${serverArgs()}`);
    assert.equal(r.code, 253, r.out);
    assert.match(r.out, /cannot take the server lock for .*idcenter\.db: .*disk is full.*free space there/);
    assert.doesNotMatch(r.out, /another idcenter server/);
    await disk.free();
  });
});

describe('a PostgreSQL store that refuses writes', () => {
  let server: TestServer;
  let admin: pg.Client;
  let name: string;

  before(async () => {
    server = await startTestServer({ store: 'postgres' });
    name = new URL(server.config.databaseUrl).pathname.slice(1);
    admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await server?.stop();
  });

  /** Set the database's default and end the server's connections, so new ones take it. */
  async function readOnly(on: boolean) {
    await admin.query(
      on
        ? `alter database ${name} set default_transaction_read_only = on`
        : `alter database ${name} reset default_transaction_read_only`,
    );
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  }

  it('/readyz answers 503 while writes are refused, and 200 once they are accepted again', async () => {
    assert.deepEqual(await readyzUntil(server.url, 200), { status: 'ready', store: 'postgres' });
    await readOnly(true);
    const deadline = Date.now() + 15_000;
    let answer = await readyzUntil(server.url, 503);
    // The first probe after the connections ended may find the store unreachable.
    while (answer.reason !== 'store does not accept writes' && Date.now() < deadline) {
      await sleep(200);
      answer = await readyzUntil(server.url, 503);
    }
    assert.deepEqual(answer, { status: 'unavailable', reason: 'store does not accept writes' });
    const warning = server.logs
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'not ready: store does not accept writes');
    assert.match(warning?.problem, /read-only transaction/);

    await readOnly(false);
    assert.deepEqual(await readyzUntil(server.url, 200), { status: 'ready', store: 'postgres' });
  });
});
