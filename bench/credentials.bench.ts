/**
 * Credential vending and STS (issue: credential vending), each beside a bare node:http JSON
 * server measured in the same run, on the embedded SQLite store:
 * - GetRoleCredentials (bearer token → access check → sealed credentials → audit row),
 * - ListAccounts (first page of 100) for a user with 5,000 accounts,
 * - the discovery extension for those 5,000 accounts (latency of whole responses),
 * - STS GetCallerIdentity with full SigV4 verification (botocore-signed request replayed), and
 *   the same request against moto's STS (`moto_server`, started and stopped here; moto closes
 *   every connection, so it is driven by fetch workers instead of autocannon).
 * Targets: GetCallerIdentity >= 40% of bare and >= 30x moto; GetRoleCredentials >= 35% of bare;
 * discovery of 5,000 accounts < 100 ms.
 *
 * The server runs as in production: log level `info` (the default: one line per request), each
 * line written synchronously to a file descriptor (/dev/null here), as a server's stdout to a
 * file or pipe is; SQLite with synchronous=FULL; the audit row of every issuance committed
 * before its answer leaves.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import pino from 'pino';
import { vendRoleCredentials } from '../src/app/credentials/vend.ts';
import { loadConfig } from '../src/config/load.ts';
import type { ServerDeps } from '../src/http/deps.ts';
import { createLogger, type RunningServer, startServer } from '../src/http/server.ts';
import { python } from '../test/helpers/python.ts';
import { accountIds, issueBearerToken, type SeededOrg, seedOrg } from '../test/helpers/seed.ts';
import { tempStoreUrl } from '../test/helpers/stores.ts';
import { startBareServer } from './bare-server.ts';
import { load, loadWithFetch } from './load.ts';
import { percentile, report } from './report.ts';

const ACCOUNTS = 5000;
const DISCOVERY_RUNS = 40;
const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A GetCallerIdentity request signed by botocore's SigV4 signer for `url`. */
async function signedGetCallerIdentity(
  url: string,
  c: { accessKeyId: string; secretAccessKey: string; sessionToken: string },
): Promise<Record<string, string>> {
  const script = `
import json, sys
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
req = AWSRequest(method='POST', url=a['url'] + '/', data=a['body'].encode(),
                 headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
botocore.auth.SigV4Auth(Credentials(a['akid'], a['secret'], a['token']), 'sts', 'us-east-1').add_auth(req)
print(json.dumps(dict(req.headers.items())))
`;
  const r = await python(script, [
    JSON.stringify({
      url,
      body: BODY,
      akid: c.accessKeyId,
      secret: c.secretAccessKey,
      token: c.sessionToken,
    }),
  ]);
  if (r.code !== 0) throw new Error(`signing failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

async function startMoto(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${url}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error('moto_server did not start');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A server on an ephemeral port with a store of its own, configured as in production. */
async function startProductionLikeServer(
  seed: (deps: ServerDeps) => Promise<void>,
): Promise<RunningServer & { stop(): Promise<void> }> {
  const temp = await tempStoreUrl('sqlite');
  const config = loadConfig(
    { host: '127.0.0.1', port: '0', dataDir: temp.dataDir, databaseUrl: temp.url },
    {},
  );
  const destination = pino.destination({ dest: '/dev/null', sync: true }) as unknown as NodeJS.WritableStream;
  const logger = createLogger(config.logLevel, destination);
  const server = await startServer(config, { logger, beforeListen: seed });
  return Object.assign(server, {
    async stop() {
      await server.close();
      await temp.cleanup();
    },
  });
}

async function main(): Promise<void> {
  const bare = await startBareServer();
  let org: SeededOrg | undefined;
  const server = await startProductionLikeServer(async (deps) => {
    org = await seedOrg(deps.ctx, {
      groups: [{ name: 'Everyone' }],
      users: [{ userName: 'alice', groups: ['Everyone'] }],
      accounts: accountIds(ACCOUNTS).map((id) => ({ id })),
      permissionSets: [{ name: 'ReadOnly' }],
      assignments: [{ group: 'Everyone', permissionSet: 'ReadOnly', accounts: accountIds(ACCOUNTS) }],
    });
  });
  console.log(`server log level: ${server.config.logLevel} (the default), one line per request`);
  const moto = await startMoto();
  try {
    const userId = org!.users.alice!;
    const { accessToken } = await issueBearerToken(server.deps.ctx, { userId, accessTtlMs: 3600_000 });
    const bearer = { 'x-amz-sso_bearer_token': accessToken };
    const account = accountIds(ACCOUNTS)[1234]!;

    /**
     * The target and the bare yardstick in the order bare, target, target, bare, so a change in
     * the machine's load during the run weighs on both sides alike.
     */
    const beside = async (target: Parameters<typeof load>[0]) => {
      await load({ ...target, seconds: 1 }); // warm-up: JIT, caches
      const b1 = await load({ url: bare.url, seconds: 3 });
      const t1 = await load({ ...target, seconds: 3 });
      const t2 = await load({ ...target, seconds: 3 });
      const b2 = await load({ url: bare.url, seconds: 3 });
      const bareRps = (b1.rps + b2.rps) / 2;
      const rps = (t1.rps + t2.rps) / 2;
      report({ name: '  bare node:http JSON, same window', value: Math.round(bareRps), unit: 'req/s' });
      return {
        rps,
        bareRps,
        share: rps / bareRps,
        p50: Math.max(t1.p50, t2.p50),
        p99: Math.max(t1.p99, t2.p99),
      };
    };

    const grc = await beside({
      url: `${server.url}/federation/credentials?account_id=${account}&role_name=ReadOnly`,
      headers: bearer,
    });
    const grcShare = grc.share;
    report({
      name: 'GetRoleCredentials',
      value: Math.round(grc.rps),
      unit: 'req/s',
      target: '>= 35% of bare',
      met: grcShare >= 0.35,
      detail: { shareOfBare: grcShare, p50ms: grc.p50, p99ms: grc.p99 },
    });
    report({ name: 'GetRoleCredentials share of bare', value: grcShare * 100, unit: '%' });

    const la = await beside({ url: `${server.url}/assignment/accounts?max_result=100`, headers: bearer });
    report({
      name: `ListAccounts (page of 100, user with ${ACCOUNTS} accounts)`,
      value: Math.round(la.rps),
      unit: 'req/s',
      detail: { p50ms: la.p50, p99ms: la.p99, shareOfBare: la.share },
    });
    report({ name: 'ListAccounts p99 latency', value: la.p99, unit: 'ms' });

    const times: number[] = [];
    for (let i = 0; i < DISCOVERY_RUNS; i++) {
      const t = performance.now();
      const res = await fetch(`${server.url}/idcenter/v1/access`, { headers: bearer });
      const body = (await res.json()) as { accountList: unknown[] };
      times.push(performance.now() - t);
      if (res.status !== 200 || body.accountList.length !== ACCOUNTS)
        throw new Error('discovery answered wrong');
    }
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    report({
      name: `discovery of ${ACCOUNTS} accounts, p50`,
      value: p50,
      unit: 'ms',
      target: '< 100 ms',
      met: p50 < 100,
    });
    report({
      name: `discovery of ${ACCOUNTS} accounts, p99`,
      value: p99,
      unit: 'ms',
      target: '< 100 ms',
      met: p99 < 100,
    });

    const creds = await vendRoleCredentials(server.deps, {
      userId,
      userName: 'alice',
      accountId: account,
      roleName: 'ReadOnly',
      sessionId: null,
      familyId: null,
      sourceIp: '127.0.0.1',
      channel: 'portal',
    });
    const ours = await beside({
      url: `${server.url}/`,
      method: 'POST',
      headers: await signedGetCallerIdentity(server.url, creds),
      body: BODY,
    });
    const motoHeaders = await signedGetCallerIdentity(moto.url, creds);
    // moto loads its backends on first use: warm it up before measuring.
    for (let i = 0; i < 5; i++)
      await fetch(`${moto.url}/`, { method: 'POST', headers: motoHeaders, body: BODY });
    const motoRun = await loadWithFetch({
      url: `${moto.url}/`,
      method: 'POST',
      headers: motoHeaders,
      body: BODY,
      seconds: 5,
    });
    const share = ours.share;
    const vsMoto = ours.rps / motoRun.rps;
    report({ name: 'moto STS GetCallerIdentity', value: Math.round(motoRun.rps), unit: 'req/s' });
    report({
      name: 'STS GetCallerIdentity with SigV4 verification',
      value: Math.round(ours.rps),
      unit: 'req/s',
      target: '>= 40% of bare',
      met: share >= 0.4,
      detail: { shareOfBare: share, timesMoto: vsMoto, p50ms: ours.p50, p99ms: ours.p99 },
    });
    report({
      name: 'GetCallerIdentity share of bare',
      value: share * 100,
      unit: '%',
      target: '>= 40%',
      met: share >= 0.4,
    });
    report({
      name: 'GetCallerIdentity vs moto',
      value: vsMoto,
      unit: 'x',
      target: '>= 30x',
      met: vsMoto >= 30,
    });
  } finally {
    await moto.stop();
    await server.stop();
    await bare.close();
  }
}

await main();
