/**
 * What the fast path (`src/http/fast-path.ts`) earns, per call: the same calls to two servers,
 * one answering them through the fast path as `idcenter server` does, the other with it turned
 * off (`StartOptions.fastPath: false`, every request through the Fastify routes), beside the
 * bare node:http yardstick. A call stays on the fast path only if it is at least 1.5 times as
 * fast there.
 *
 * - STS GetCallerIdentity with full SigV4 verification (a botocore-signed request replayed),
 * - the portal API's GetRoleCredentials (bearer token → access check → sealed credentials →
 *   audit row committed before the answer).
 *
 * Each server runs in a process of its own on a SQLite store of its own, seeded alike, at the
 * default log level (one line per request, to /dev/null); autocannon drives them from this
 * process with 10 connections, closed loop (each connection sends its next request when the
 * answer came). Each round measures bare, fast path, Fastify, Fastify, fast path, bare for 2 s
 * each, so a change in the machine's load weighs on both sides alike; of three rounds the one
 * with the median ratio is reported, with its p50 and p99 latency and the CPU each server
 * process spent per request (steadier than rates on a shared machine).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createAppContext } from '../src/app/context.ts';
import { ensureInstance } from '../src/app/instance.ts';
import { loadConfig } from '../src/config/load.ts';
import { startServer } from '../src/http/server.ts';
import { openStore } from '../src/storage/db.ts';
import { issueBearerToken, seedOrg } from '../test/helpers/seed.ts';
import { freePort } from '../test/helpers/server.ts';
import { type TempStoreUrl, tempStoreUrl } from '../test/helpers/stores.ts';
import { startBareServerProcess } from './bare-server.ts';
import { type LoadOptions, load, withServerCpu } from './load.ts';
import { type ServerProcess, spawnServer } from './processes.ts';
import { report } from './report.ts';
import { GCI_BODY, signedGetCallerIdentity } from './sts-request.ts';

const SELF = fileURLToPath(import.meta.url);
const ACCOUNT = '111111111111';
const ROUNDS = 3;
const SECONDS = 2;
const CONNECTIONS = 10;
/** The gain below which a call goes back to the Fastify routes. */
const KEEP_AT = 1.5;

interface ServeArgs {
  dataDir: string;
  databaseUrl: string;
  port: number;
  fastPath: boolean;
}

/** A seeded store and a signed-in user's bearer token, written before a server opens it. */
async function seededStore(): Promise<{ temp: TempStoreUrl; accessToken: string }> {
  const temp = await tempStoreUrl('sqlite');
  const store = await openStore(temp.url);
  const ctx = createAppContext(store);
  await ensureInstance(ctx);
  const org = await seedOrg(ctx, {
    users: [{ userName: 'alice' }],
    accounts: [{ id: ACCOUNT }],
    permissionSets: [{ name: 'ReadOnly' }],
    assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
  });
  const { accessToken } = await issueBearerToken(ctx, { userId: org.users.alice!, accessTtlMs: 3600_000 });
  await store.close();
  return { temp, accessToken };
}

/** A server in a process of its own (this file, `serve`), with or without the fast path. */
async function startServerProcess(temp: TempStoreUrl, fastPath: boolean): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IDCENTER_')) env[k] = v;
  env.NODE_ENV = 'production';
  const args: ServeArgs = { dataDir: temp.dataDir, databaseUrl: temp.url, port, fastPath };
  return spawnServer(
    `server ${fastPath ? 'with' : 'without'} the fast path`,
    process.execPath,
    ['--import', 'tsx', SELF, 'serve', JSON.stringify(args)],
    { env, port, probe: '/readyz', ready: (r) => r.ok },
  );
}

interface Side {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number | null;
}

/** Means of two runs of one side in a round: rates and CPU averaged, the worse latency kept. */
function side(a: Side, b: Side): Side {
  return {
    rps: (a.rps + b.rps) / 2,
    p50: Math.max(a.p50, b.p50),
    p99: Math.max(a.p99, b.p99),
    cpuUs: a.cpuUs === null || b.cpuUs === null ? null : (a.cpuUs + b.cpuUs) / 2,
  };
}

async function run(pid: number | undefined, options: LoadOptions): Promise<Side> {
  const r = await withServerCpu(pid, () => load({ ...options, seconds: SECONDS, connections: CONNECTIONS }));
  return { rps: r.rps, p50: r.p50, p99: r.p99, cpuUs: r.cpuPerRequestUs };
}

const cpu = (us: number | null) => (us === null ? 'n/a' : `${us.toFixed(0)} µs`);

/** One call measured both ways, reported under `name`; returns the median round's ratio. */
async function compare(
  name: string,
  bare: { url: string; pid?: number },
  fast: { pid: number | undefined; target: LoadOptions },
  fastify: { pid: number | undefined; target: LoadOptions },
): Promise<number> {
  // Warm-up: JIT, caches, connections.
  await load({ ...fast.target, seconds: 1 });
  await load({ ...fastify.target, seconds: 1 });
  const rounds: Array<{ fast: Side; fastify: Side; bare: number; ratio: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b1 = await run(bare.pid, { url: bare.url });
    const f1 = await run(fast.pid, fast.target);
    const s1 = await run(fastify.pid, fastify.target);
    const s2 = await run(fastify.pid, fastify.target);
    const f2 = await run(fast.pid, fast.target);
    const b2 = await run(bare.pid, { url: bare.url });
    const withIt = side(f1, f2);
    const without = side(s1, s2);
    rounds.push({
      fast: withIt,
      fastify: without,
      bare: (b1.rps + b2.rps) / 2,
      ratio: withIt.rps / without.rps,
    });
  }
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(ROUNDS / 2)]!;
  console.log(
    `  ${name} by round (fast path / Fastify req/s): ${rounds
      .map((x) => `${Math.round(x.fast.rps)} / ${Math.round(x.fastify.rps)} = ${x.ratio.toFixed(2)}x`)
      .join(', ')}`,
  );
  for (const [label, s] of [
    ['fast path', median.fast],
    ['Fastify routes', median.fastify],
  ] as const) {
    report({
      name: `${name}, ${label}`,
      value: Math.round(s.rps),
      unit: 'req/s',
      detail: { p50ms: s.p50, p99ms: s.p99, cpuUsPerRequest: s.cpuUs, shareOfBare: s.rps / median.bare },
    });
    console.log(
      `  p50 ${s.p50} ms, p99 ${s.p99} ms, server CPU ${cpu(s.cpuUs)} per request, ${((s.rps / median.bare) * 100).toFixed(1)} % of bare`,
    );
  }
  report({ name: '  bare node:http JSON, same window', value: Math.round(median.bare), unit: 'req/s' });
  report({
    name: `${name}, fast path over Fastify`,
    value: median.ratio,
    unit: 'x',
    target: `>= ${KEEP_AT}x to stay on the fast path`,
    met: median.ratio >= KEEP_AT,
    detail: {
      cpuRatio: median.fast.cpuUs && median.fastify.cpuUs ? median.fastify.cpuUs / median.fast.cpuUs : null,
    },
  });
  return median.ratio;
}

async function main(): Promise<void> {
  const a = await seededStore();
  const b = await seededStore();
  const bare = await startBareServerProcess();
  const fast = await startServerProcess(a.temp, true);
  const fastify = await startServerProcess(b.temp, false);
  console.log(`servers: ${CONNECTIONS} connections, closed loop, ${ROUNDS} rounds of ${SECONDS} s runs`);
  try {
    const grc = (url: string, token: string): LoadOptions => ({
      url: `${url}/federation/credentials?account_id=${ACCOUNT}&role_name=ReadOnly`,
      headers: { 'x-amz-sso_bearer_token': token },
    });
    const gci = async (url: string, token: string): Promise<LoadOptions> => {
      const res = await fetch(grc(url, token).url, { headers: grc(url, token).headers ?? {} });
      const { roleCredentials } = (await res.json()) as {
        roleCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
      };
      return {
        url: `${url}/`,
        method: 'POST',
        headers: await signedGetCallerIdentity(url, roleCredentials),
        body: GCI_BODY,
      };
    };
    await compare(
      'STS GetCallerIdentity',
      bare,
      { pid: fast.pid, target: await gci(fast.url, a.accessToken) },
      { pid: fastify.pid, target: await gci(fastify.url, b.accessToken) },
    );
    await compare(
      'GetRoleCredentials',
      bare,
      { pid: fast.pid, target: grc(fast.url, a.accessToken) },
      { pid: fastify.pid, target: grc(fastify.url, b.accessToken) },
    );
  } finally {
    await fast.stop();
    await fastify.stop();
    await bare.close();
    await a.temp.cleanup();
    await b.temp.cleanup();
  }
}

// `node --import tsx bench/fast-path.bench.ts serve <args>`: a server process of `startServerProcess`.
if (process.argv[2] === 'serve') {
  const args = JSON.parse(process.argv[3] ?? '{}') as ServeArgs;
  const config = loadConfig(
    {
      host: '127.0.0.1',
      port: String(args.port),
      dataDir: args.dataDir,
      databaseUrl: args.databaseUrl,
      metricsToken: randomBytes(24).toString('hex'),
    },
    {},
  );
  const server = await startServer(config, { fastPath: args.fastPath });
  process.on('SIGTERM', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
} else {
  await main();
}
