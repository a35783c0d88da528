/**
 * SSO OIDC under load: CreateToken polling of pending device
 * codes (what every `aws sso login` does while the person approves) and refresh-token
 * exchanges (what botocore and the JS SDK do when a cached token nears expiry), beside a bare
 * node:http JSON server measured in the same run. autocannon runs in a worker thread.
 *
 * Target: polling at least 30% of the bare server's requests per second. One pending code is
 * polled with a fixed body, in three short rounds alternating with the yardstick getting the very
 * same request; the figure is the median of the per-round ratios. Nearly every answer is
 * SlowDownException, which a replica gives from memory for a code it saw pending less than an
 * interval ago (app/auth/poll-tracker.ts): what a client polling too fast costs. A second
 * polling figure gives every request a different pending code (first poll, answered from the
 * store): what many simultaneous logins cost. Refresh exchanges likewise need
 * a different token per request. Those pools are made up front and handed out by the worker's
 * setupRequest hook (bench/oidc-requests.cjs); that hook costs the load generator time, so the
 * ratio to the fixed-body yardstick understates them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { hashToken, issueTokenFamily } from '../src/app/auth/tokens.ts';
import { DEVICE_GRANT, postJson, registerDeviceClient, seedUser } from '../test/helpers/oidc.ts';
import type { TestServer } from '../test/helpers/server.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { startBareServer } from './bare-server.ts';
import { load } from './load.ts';
import { percentile, report } from './report.ts';

const SECONDS = 5;
const ROUNDS = 3;
const ROUND_SECONDS = 3;
const CONNECTIONS = 10;
const REFRESH_POOL = 40_000;
const FIRST_POLL_POOL = 60_000;
const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'oidc-requests.cjs');

interface Spec {
  mode: 'poll' | 'refresh';
  clientId: string;
  clientSecret: string;
  values: string[];
}

/** A load run whose every request carries a different body (see oidc-requests.cjs). */
async function run(url: string, spec: Spec, expected: string[], path_ = '/token') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-bench-'));
  const file = path.join(dir, 'spec.json');
  fs.writeFileSync(file, JSON.stringify(spec));
  process.env.OIDC_BENCH_FILE = file;
  try {
    const r = await autocannon({
      url: `${url}${path_}`,
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

/** Many pending device codes straight into the store, each to be polled once. */
async function pendingPool(server: TestServer, clientId: string, n: number) {
  const ctx = server.deps.ctx;
  const now = ctx.clock.now();
  const codes: string[] = [];
  const BATCH = 500;
  for (let i = 0; i < n; i += BATCH) {
    const rows = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const code = randomBytes(32).toString('base64url');
      codes.push(code);
      rows.push({
        id: randomUUID(),
        device_code_hash: hashToken(code),
        user_code: `B${String(j).padStart(7, 'C')}`,
        client_id: clientId,
        scopes: '["sso:account:access"]',
        status: 'pending',
        user_id: null,
        session_id: null,
        interval_s: 5,
        last_poll_at: null,
        created_at: now,
        expires_at: now + 600_000,
      });
    }
    await ctx.store.db.insertInto('device_grants').values(rows).execute();
  }
  return codes;
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

async function benchStore(kind: 'sqlite' | 'postgres', bareUrl: string) {
  let userId = '';
  const server = await startTestServer({
    store: kind,
    settings: { logLevel: 'warn' },
    seed: async (deps) => {
      userId = await seedUser(deps, { userName: 'alice' });
    },
  });
  try {
    // One pending device code, polled over and over with a fixed body: the load generator does
    // no per-request work, and the yardstick gets the very same request just before.
    const { reg, codes } = await pendingCodes(server, 1);
    const body = JSON.stringify({ ...reg, grantType: DEVICE_GRANT, deviceCode: codes[0] });
    const json = { 'content-type': 'application/json' };
    // The machine's speed drifts (other work shares its cores): alternate yardstick and ours in
    // short rounds and take the median of the per-round ratios.
    const rounds: Array<{ bare: number; poll: number; p50: number; p99: number; requests: number }> = [];
    for (let i = 0; i < ROUNDS; i++) {
      const bare = await load({ url: bareUrl, method: 'POST', headers: json, body, seconds: ROUND_SECONDS });
      const poll = await load({
        url: `${server.url}/token`,
        method: 'POST',
        headers: json,
        body,
        seconds: ROUND_SECONDS,
        status: 400,
      });
      rounds.push({ bare: bare.rps, poll: poll.rps, p50: poll.p50, p99: poll.p99, requests: poll.requests });
    }
    const median = (xs: number[]) => percentile(xs, 50);
    const bareRps = median(rounds.map((r) => r.bare));
    const share = median(rounds.map((r) => r.poll / r.bare));
    report({
      name: `bare node:http JSON (yardstick, rounds with ${kind})`,
      value: Math.round(bareRps),
      unit: 'req/s',
    });
    report({
      name: `CreateToken polling a pending device code, ${kind}`,
      value: Math.round(median(rounds.map((r) => r.poll))),
      unit: 'req/s',
      target: '>= 30% of bare',
      met: share >= 0.3,
      detail: { shareOfBare: share, rounds },
    });
    report({
      name: `CreateToken polling share of bare (median of rounds), ${kind}`,
      value: share * 100,
      unit: '%',
    });

    // Every request a different pending code, polled for the first time: each answer
    // (AuthorizationPendingException) is read from the store. What many logins at once cost.
    const firstPolls = await pendingPool(server, reg.clientId, FIRST_POLL_POOL);
    const fresh = await run(server.url, { mode: 'poll', ...reg, values: firstPolls }, ['400']);
    report({
      name: `CreateToken first poll of distinct pending codes (store read), ${kind}`,
      value: Math.round(fresh.rps),
      unit: 'req/s',
      detail: { shareOfBare: fresh.rps / bareRps, p50ms: fresh.p50, p99ms: fresh.p99, requests: fresh.total },
    });
    report({
      name: `CreateToken first-poll share of bare, ${kind}`,
      value: (fresh.rps / bareRps) * 100,
      unit: '%',
    });

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
    await benchStore('sqlite', bare.url);
    await benchStore('postgres', bare.url);
  } finally {
    await bare.close();
  }
}

await main();
