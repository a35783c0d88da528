/**
 * SSO OIDC under load (issue: sign-in and SSO OIDC): CreateToken polling of pending device
 * codes (what every `aws sso login` does while the person approves) and refresh-token
 * exchanges (what botocore and the JS SDK do when a cached token nears expiry), beside a bare
 * node:http JSON server measured in the same run. autocannon runs in a worker thread.
 *
 * Target: polling at least 30% of the bare server's requests per second.
 * Polling answers are AuthorizationPendingException or, for a code polled again within its
 * interval, SlowDownException (both HTTP 400, the same reads and one conditional write).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { issueTokenFamily } from '../src/app/auth/tokens.ts';
import { postJson, registerDeviceClient, seedUser } from '../test/helpers/oidc.ts';
import type { TestServer } from '../test/helpers/server.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { startBareServer } from './bare-server.ts';
import { load } from './load.ts';
import { report } from './report.ts';

const SECONDS = 5;
const CONNECTIONS = 10;
const DEVICE_CODES = 200;
const REFRESH_POOL = 40_000;
const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'oidc-requests.cjs');

interface Spec {
  mode: 'poll' | 'refresh';
  clientId: string;
  clientSecret: string;
  values: string[];
}

async function run(url: string, spec: Spec, expected: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-bench-'));
  const file = path.join(dir, 'spec.json');
  fs.writeFileSync(file, JSON.stringify(spec));
  process.env.OIDC_BENCH_FILE = file;
  try {
    const r = await autocannon({
      url: `${url}/token`,
      connections: CONNECTIONS,
      duration: SECONDS,
      workers: 1,
      timeout: 10,
      requests: [{ setupRequest: HOOK }],
    } as Parameters<typeof autocannon>[0]);
    const unexpected = Object.keys(r.statusCodeStats).filter((code) => !expected.includes(code));
    if (r.errors > 0 || unexpected.length > 0) {
      throw new Error(`${spec.mode}: ${r.errors} errors, statuses ${JSON.stringify(r.statusCodeStats)}`);
    }
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function pendingCodes(server: TestServer, n: number) {
  const reg = await registerDeviceClient(server.url);
  const codes: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await postJson(server.url, '/device_authorization', {
      ...reg,
      startUrl: server.config.startUrl,
    });
    codes.push(String(r.json.deviceCode));
  }
  return { reg, codes };
}

async function refreshPool(server: TestServer, userId: string, n: number) {
  const reg = await registerDeviceClient(server.url);
  const ctx = server.deps.ctx;
  const now = ctx.clock.now();
  const tokens: string[] = [];
  const BATCH = 2000;
  for (let i = 0; i < n; i += BATCH) {
    await ctx.store.db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(n, i + BATCH); j++) {
        const t = await issueTokenFamily(ctx, trx, {
          userId,
          clientId: reg.clientId,
          sessionId: null,
          scopes: ['sso:account:access'],
          familyExpiresAt: now + 8 * 3600_000,
          accessTtlMs: 3600_000,
        });
        tokens.push(t.refreshToken);
      }
    });
  }
  return { reg, tokens };
}

async function benchStore(kind: 'sqlite' | 'postgres', bareRps: number) {
  let userId = '';
  const server = await startTestServer({
    store: kind,
    settings: { logLevel: 'warn' },
    seed: async (deps) => {
      userId = await seedUser(deps, { userName: 'alice' });
    },
  });
  try {
    const { reg, codes } = await pendingCodes(server, DEVICE_CODES);
    const poll = await run(server.url, { mode: 'poll', ...reg, values: codes }, ['400']);
    const share = poll.rps / bareRps;
    report({
      name: `CreateToken polling a pending device code, ${kind}`,
      value: Math.round(poll.rps),
      unit: 'req/s',
      target: '>= 30% of bare',
      met: share >= 0.3,
      detail: { shareOfBare: share, p50ms: poll.p50, p99ms: poll.p99, requests: poll.total },
    });
    report({ name: `CreateToken polling share of bare, ${kind}`, value: share * 100, unit: '%' });

    const pool = await refreshPool(server, userId, REFRESH_POOL);
    const refresh = await run(server.url, { mode: 'refresh', ...pool.reg, values: pool.tokens }, ['200']);
    report({
      name: `CreateToken refresh_token exchange (rotation), ${kind}`,
      value: Math.round(refresh.rps),
      unit: 'req/s',
      detail: {
        shareOfBare: refresh.rps / bareRps,
        p50ms: refresh.p50,
        p99ms: refresh.p99,
        requests: refresh.total,
      },
    });
    report({ name: `CreateToken refresh p99 latency, ${kind}`, value: refresh.p99, unit: 'ms' });
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const bare = await startBareServer();
  try {
    const bareRun = await load({
      url: bare.url,
      method: 'POST',
      body: '{"grantType":"x"}',
      seconds: SECONDS,
    });
    report({ name: 'bare node:http JSON (yardstick)', value: Math.round(bareRun.rps), unit: 'req/s' });
    await benchStore('sqlite', bareRun.rps);
    await benchStore('postgres', bareRun.rps);
  } finally {
    await bare.close();
  }
}

await main();
