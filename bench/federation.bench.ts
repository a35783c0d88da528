/**
 * A federated GetRoleCredentials: bearer token → access check → SAML Response built
 * and signed (two RSA 2048 signatures) → STS AssumeRoleWithSAML through the AWS SDK → audit row
 * → real credentials. STS here is a constant-time stand-in in a process of its own (node:http
 * answering a canned AssumeRoleWithSAML document), so what is measured is idcenter's own time.
 *
 * Open loop at 200 requests a second for 10 s (after 2 s of warm-up): each request leaves at its
 * scheduled instant whatever the ones before did, and its latency counts from that instant, so a
 * stall shows as the queue it causes. The same schedule against the stand-in alone gives the STS
 * round trip, which is subtracted. Target: idcenter's overhead p99 < 3 ms at 200 req/s.
 *
 * Then the floor (`FLOOR_SERVER`), on the same schedule: a node:http server that only makes the
 * STS round trip and has a worker thread commit an audit row before it answers. Its overhead
 * over STS alone is what the waits alone cost here, whatever a server does around them.
 *
 * The server is the built `bin/idcenter.js server` in a process of its own on SQLite, log level
 * info (one line per request) to /dev/null, the audit row of every issuance committed before the
 * answer leaves. `IDCENTER_BENCH_SERVER_FLAGS` gives node flags for the server process, to look
 * into it: `--cpu-prof --cpu-prof-dir=/tmp/prof`, say, or `--trace-gc`.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createAppContext } from '../src/app/context.ts';
import { ensureInstance } from '../src/app/instance.ts';
import { openStore } from '../src/storage/db.ts';
import { applyText } from '../test/helpers/apply.ts';
import { issueBearerToken } from '../test/helpers/seed.ts';
import { freePort } from '../test/helpers/server.ts';
import { tempStoreUrl } from '../test/helpers/stores.ts';
import { processCpuMs } from './load.ts';
import { percentile, report } from './report.ts';

const BIN = path.resolve('bin/idcenter.js');
const RATE = 200;
const SECONDS = 10;
const WARMUP_SECONDS = 2;
const ACCOUNT = '123456789012';

const ORG = `
accounts: [ { id: "${ACCOUNT}", name: Federated, email: fed@example.com, access: aws } ]
users: [ { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe } ]
permissionSets: [ { name: Admin, sessionDuration: PT1H } ]
assignments: [ { user: alice, permissionSet: Admin, accounts: ["${ACCOUNT}"] } ]
`;

/** The stand-in STS: one canned answer, built once, whatever the request. */
const CANNED_STS = `
const http = require('node:http');
const port = Number(process.argv[1]);
const expiration = new Date(Date.now() + 3600e3).toISOString();
const ns = 'https://sts.amazonaws.com/doc/2011-06-15/';
const body = '<AssumeRoleWithSAMLResponse xmlns="' + ns + '"><AssumeRoleWithSAMLResult><Credentials>' +
  '<AccessKeyId>ASIAEXAMPLE000000001</AccessKeyId><SecretAccessKey>secret0000000000000000000000000000000000</SecretAccessKey>' +
  '<SessionToken>token000000000000000000000000000000</SessionToken><Expiration>' + expiration + '</Expiration></Credentials>' +
  '<AssumedRoleUser><Arn>arn:aws:sts::${ACCOUNT}:assumed-role/idcenter-Admin/alice</Arn><AssumedRoleId>AROAEXAMPLE:alice</AssumedRoleId></AssumedRoleUser>' +
  '</AssumeRoleWithSAMLResult><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></AssumeRoleWithSAMLResponse>';
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-RequestId': '00000000-0000-4000-8000-000000000000', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1');
`;

/**
 * The floor: the two waits every federated issuance has, and nothing else. A node:http server
 * that, for each request, sends an AssumeRoleWithSAML body of the real size to the stand-in STS
 * (keep-alive), then has a worker thread commit an audit row to SQLite (WAL, synchronous FULL,
 * as idcenter's audit worker does), then answers. No token, no access check, no signature, no
 * SDK: what any server that calls STS and keeps a durable record before answering waits for on
 * this machine. Arguments: port, the STS URL, the SQLite file.
 */
const FLOOR_SERVER = `
const http = require('node:http');
const { Worker } = require('node:worker_threads');
const [port, stsUrl, file] = process.argv.slice(1);
const worker = new Worker(\`
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const db = new Database(workerData);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('create table if not exists audit (id integer primary key, at integer not null, detail text not null)');
const insert = db.prepare('insert into audit (at, detail) values (?, ?)');
parentPort.on('message', (m) => { insert.run(Date.now(), m.detail); parentPort.postMessage(m.id); });
\`, { eval: true, workerData: file });
const waiting = new Map();
let next = 0;
worker.on('message', (id) => { const done = waiting.get(id); waiting.delete(id); done(); });
const agent = new http.Agent({ keepAlive: true });
const sts = new URL(stsUrl);
const stsBody = 'Action=AssumeRoleWithSAML&Version=2011-06-15&SAMLAssertion=' + 'A'.repeat(8000);
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const call = http.request({ host: sts.hostname, port: sts.port, path: '/', method: 'POST', agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': Buffer.byteLength(stsBody) } }, (answer) => {
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const id = next++;
        waiting.set(id, () => {
          const body = JSON.stringify({ roleCredentials: { accessKeyId: text.slice(0, 20), expiration: Date.now() } });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
        worker.postMessage({ id, detail: text.slice(0, 400) });
      });
    });
    call.on('error', () => { res.writeHead(502); res.end(); });
    call.end(stsBody);
  });
}).listen(Number(port), '127.0.0.1');
`;

interface Proc {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function waitFor(url: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

async function startCannedSts(): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', CANNED_STS, String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, child, 'the stand-in STS');
  return { url, pid: child.pid ?? 0, stop: stopper(child) };
}

async function startFloor(stsUrl: string, file: string): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', FLOOR_SERVER, String(port), stsUrl, file], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, child, 'the floor server');
  return { url, pid: child.pid ?? 0, stop: stopper(child) };
}

async function startServer(dataDir: string, databaseUrl: string, stsUrl: string): Promise<Proc> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('IDCENTER_') && !k.startsWith('AWS_')) env[k] = v;
  }
  Object.assign(env, {
    NODE_ENV: 'production',
    IDCENTER_HOST: '127.0.0.1',
    IDCENTER_PORT: String(port),
    IDCENTER_DATA_DIR: dataDir,
    IDCENTER_DATABASE_URL: databaseUrl,
    IDCENTER_AWS_STS_ENDPOINT: stsUrl,
  });
  const flags = (process.env.IDCENTER_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, BIN, 'server'], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/readyz`, child, 'idcenter server');
  return { url, pid: child.pid ?? 0, stop: stopper(child) };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request; resolves with its status once the whole answer is read. */
function send(url: string, options: { method: string; headers: Record<string, string>; body?: string }) {
  return new Promise<number>((resolve, reject) => {
    const req = http.request(url, { method: options.method, headers: options.headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Open loop: `rate` requests a second for `seconds`; latencies in ms from each scheduled instant. */
async function openLoop(
  seconds: number,
  request: () => Promise<number>,
): Promise<{ latencies: number[]; bad: number; statuses: Record<string, number> }> {
  const total = RATE * seconds;
  const interval = 1000 / RATE;
  const start = performance.now() + 10;
  const latencies: number[] = [];
  let bad = 0;
  const statuses: Record<string, number> = {};
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      request().then(
        (status) => {
          latencies.push(performance.now() - due);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status !== 200) bad++;
        },
        (err: Error) => {
          statuses[err.message] = (statuses[err.message] ?? 0) + 1;
          bad++;
        },
      ),
    );
  }
  await Promise.all(pending);
  return { latencies, bad, statuses };
}

async function main(): Promise<void> {
  const temp = await tempStoreUrl('sqlite');
  const store = await openStore(temp.url);
  const ctx = createAppContext(store);
  await ensureInstance(ctx);
  await applyText(ctx, ORG);
  const user = await store.db
    .selectFrom('users')
    .select('id')
    .where('user_name', '=', 'alice')
    .executeTakeFirstOrThrow();
  const { accessToken } = await issueBearerToken(ctx, { userId: user.id, accessTtlMs: 3600_000 });
  await store.close();

  const sts = await startCannedSts();
  const server = await startServer(temp.dataDir, temp.url, sts.url);
  try {
    const credentials = () =>
      send(`${server.url}/federation/credentials?role_name=Admin&account_id=${ACCOUNT}`, {
        method: 'GET',
        headers: { 'x-amz-sso_bearer_token': accessToken },
      });
    // An AssumeRoleWithSAML request of the real size (a signed Response is about 8 KB in base64).
    const stsBody = `Action=AssumeRoleWithSAML&Version=2011-06-15&SAMLAssertion=${'A'.repeat(8000)}`;
    const stsAlone = () =>
      send(`${sts.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: stsBody,
      });

    await openLoop(WARMUP_SECONDS, credentials);
    await openLoop(WARMUP_SECONDS, stsAlone);
    // One at a time: the cost of a request with nothing queued ahead of it.
    const sequential: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await credentials();
      sequential.push(performance.now() - t);
    }
    report({
      name: 'federated GetRoleCredentials one at a time, p50',
      value: percentile(sequential, 50),
      unit: 'ms',
    });
    report({
      name: 'federated GetRoleCredentials one at a time, p99',
      value: percentile(sequential, 99),
      unit: 'ms',
    });
    const alone = await openLoop(SECONDS, stsAlone);
    const cpuBefore = processCpuMs(server.pid);
    const federated = await openLoop(SECONDS, credentials);
    const cpuAfter = processCpuMs(server.pid);
    if (federated.bad > 0 || alone.bad > 0) {
      console.log(
        `failed requests: federated ${JSON.stringify(federated.statuses)}, STS alone ${JSON.stringify(alone.statuses)}`,
      );
    }
    const p = (values: number[], q: number) => percentile(values, q);
    const overheadP99 = p(federated.latencies, 99) - p(alone.latencies, 99);
    const detail = {
      rate: RATE,
      seconds: SECONDS,
      federatedP50: p(federated.latencies, 50),
      federatedP99: p(federated.latencies, 99),
      stsAloneP50: p(alone.latencies, 50),
      stsAloneP99: p(alone.latencies, 99),
      failed: federated.bad + alone.bad,
    };
    report({
      name: 'federated GetRoleCredentials p50 at 200 req/s (stand-in STS)',
      value: detail.federatedP50,
      unit: 'ms',
      detail,
    });
    report({
      name: 'federated GetRoleCredentials p99 at 200 req/s (stand-in STS)',
      value: detail.federatedP99,
      unit: 'ms',
      detail,
    });
    if (cpuBefore !== null && cpuAfter !== null) {
      // Steadier than latencies when other work shares the machine: what one request costs the
      // server process (its main thread, the SDK's call to STS, the audit and checkpoint threads).
      report({
        name: 'server CPU per federated GetRoleCredentials',
        value: (cpuAfter - cpuBefore) / (RATE * SECONDS),
        unit: 'ms',
      });
    }
    report({ name: 'stand-in STS alone p99 at 200 req/s', value: detail.stsAloneP99, unit: 'ms', detail });
    report({
      name: "idcenter's own overhead p99 (federated p99 - STS p99)",
      value: overheadP99,
      unit: 'ms',
      target: '< 3 ms',
      met: overheadP99 < 3 && detail.failed === 0,
      detail,
    });

    // The floor, measured the same way right after: how far above STS alone the two waits of
    // every issuance (the STS round trip, the audit commit on a worker thread) put the p99 here.
    const floor = await startFloor(sts.url, path.join(temp.dataDir, 'floor.db'));
    try {
      const floorCall = () => send(`${floor.url}/`, { method: 'GET', headers: {} });
      await openLoop(WARMUP_SECONDS, floorCall);
      const floorSequential: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await floorCall();
        floorSequential.push(performance.now() - t);
      }
      const floorLoop = await openLoop(SECONDS, floorCall);
      report({
        name: 'floor (STS round trip + audit commit on node:http) one at a time, p99',
        value: p(floorSequential, 99),
        unit: 'ms',
      });
      report({
        name: 'floor (STS round trip + audit commit on node:http) p99 at 200 req/s',
        value: p(floorLoop.latencies, 99),
        unit: 'ms',
        detail: { p50: p(floorLoop.latencies, 50), failed: floorLoop.bad },
      });
      report({
        name: 'floor overhead p99 (floor p99 - STS p99): the least any server could show here',
        value: p(floorLoop.latencies, 99) - detail.stsAloneP99,
        unit: 'ms',
        detail: { failed: floorLoop.bad },
      });
    } finally {
      await floor.stop();
    }
  } finally {
    agent.destroy();
    await server.stop();
    await sts.stop();
    await temp.cleanup();
  }
}

await main();
