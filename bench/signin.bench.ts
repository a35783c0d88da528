/**
 * Password sign-in under a flood of guesses: many made-up user names, each costing an argon2
 * check, from one address and from thousands (as a trusted proxy forwards them), while a real
 * person signs in over and over from an address of their own. Measured: the person's sign-in
 * latency (p50, p99), how many of their attempts were refused because the password queue was
 * full, and what the flood got (answers per second and their statuses: 401 checked, 429 over the
 * address budget, 503 queue full). autocannon runs in a worker thread; the server is in process.
 *
 * Target: the person's p99 under 500 ms during every flood, in the browser where they signed in
 * before (its device cookie puts them in the password queue's known lane). The same person in a
 * browser that never signed in (no device cookie) is measured beside, without a target: such a
 * sign-in waits in the anonymous lane with the flood and is shed with it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { csrfOf, FormClient, seedUser } from '../test/helpers/oidc.ts';
import { startTestServer, type TestServer } from '../test/helpers/server.ts';
import { percentile, report } from './report.ts';

const PASSWORD = 'real-person-password-1';
const FLOOD_SECONDS = 8;
const FLOOD_CONNECTIONS = 32;
const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'signin-requests.cjs');

/**
 * A browser at `address` on the password step: post a password, time the answer. It keeps the
 * device cookie a successful sign-in gives it (as a browser does), unless `forget` (a browser
 * where the person never signed in before, e.g. a private window).
 */
async function person(server: TestServer, address: string, forget = false) {
  const web = new FormClient(server.url);
  const csrf = csrfOf((await web.get('/signin', { 'x-forwarded-for': address })).text);
  let cookie = [...web.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keepDeviceCookie = (res: Response) => {
    if (forget) return;
    const device = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0] ?? '')
      .find((c) => c.startsWith('idc_device_'));
    if (device)
      cookie = [...cookie.split('; ').filter((c) => !c.startsWith('idc_device_')), device].join('; ');
  };
  return {
    get cookie() {
      return cookie;
    },
    csrf,
    async signIn(): Promise<{ ms: number; status: number }> {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/signin`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': address,
        },
        body: new URLSearchParams({ _csrf: csrf, step: 'password', user_name: 'alice', password: PASSWORD }),
      });
      await res.arrayBuffer();
      keepDeviceCookie(res);
      return { ms: performance.now() - t0, status: res.status };
    },
  };
}

type Person = Awaited<ReturnType<typeof person>>;

/** The person signs in again and again (one at a time, 50 ms apart) until `until`. */
async function personLoop(me: Person, until: () => boolean) {
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  while (!until()) {
    const { ms, status } = await me.signIn();
    times.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { times, statuses };
}

/**
 * `me`: the person, in the browser where they signed in before (it holds the device cookie);
 * `newcomer`: the same person in a browser that never signed in (no device cookie).
 */
async function flood(server: TestServer, addresses: string[], me: Person, newcomer: Person) {
  const attacker = await person(server, addresses[0] ?? '203.0.113.1');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-bench-'));
  const file = path.join(dir, 'spec.json');
  fs.writeFileSync(file, JSON.stringify({ cookie: attacker.cookie, csrf: attacker.csrf, addresses }));
  process.env.SIGNIN_BENCH_FILE = file;
  let done = false;
  try {
    const loop = personLoop(me, () => done);
    const fresh = personLoop(newcomer, () => done);
    const r = await autocannon({
      url: `${server.url}/signin`,
      connections: FLOOD_CONNECTIONS,
      duration: FLOOD_SECONDS,
      workers: 1,
      timeout: 10,
      requests: [{ setupRequest: HOOK }],
    } as Parameters<typeof autocannon>[0]);
    done = true;
    const real = await loop;
    const first = await fresh;
    const statuses = Object.fromEntries(
      Object.entries(r.statusCodeStats).map(([code, { count }]) => [code, count]),
    );
    const unexpected = Object.keys(statuses).filter((c) => !['401', '429', '503'].includes(c));
    if (r.errors > 0 || unexpected.length > 0) {
      throw new Error(`flood: ${r.errors} errors, statuses ${JSON.stringify(statuses)}`);
    }
    return { real, first, flood: { rps: r.requests.average, total: r.requests.total, statuses } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `targeted`: the figure the target is about (the person on the browser they signed in with). */
function reportPerson(
  label: string,
  real: { times: number[]; statuses: Record<string, number> },
  flood?: unknown,
  targeted = true,
) {
  const p99 = percentile(real.times, 99);
  const signedIn = real.statuses['303'] ?? 0;
  report({
    name: `signin: real person p50, ${label}`,
    value: percentile(real.times, 50),
    unit: 'ms',
  });
  report({
    name: `signin: real person p99, ${label}`,
    value: p99,
    unit: 'ms',
    ...(targeted ? { target: '< 500 ms', met: p99 < 500 } : {}),
    detail: {
      attempts: real.times.length,
      statuses: real.statuses,
      msSorted: [...real.times].sort((x, y) => x - y).map(Math.round),
      flood,
    },
  });
  report({
    name: `signin: real person attempts signed in, ${label}`,
    value: Math.round((100 * signedIn) / Math.max(1, real.times.length)),
    unit: '%',
  });
}

async function main(): Promise<void> {
  const server = await startTestServer({
    settings: { logLevel: 'warn', trustProxy: 'true' },
    seed: async (deps) => {
      await seedUser(deps, { userName: 'alice', password: PASSWORD });
    },
  });
  try {
    // The person's browser: its first sign-in here earns it the device cookie.
    const me = await person(server, '198.51.100.77');
    const quiet = Date.now() + 3000;
    const baseline = await personLoop(me, () => Date.now() > quiet);
    reportPerson('no flood', baseline);
    const newcomer = await person(server, '198.51.100.78', true);

    const one = await flood(server, ['203.0.113.1'], me, newcomer);
    console.log(`  flood from one address: ${JSON.stringify(one.flood)}`);
    reportPerson(`flood of ${FLOOD_CONNECTIONS} from 1 address`, one.real, one.flood);
    reportPerson(`new browser, flood of ${FLOOD_CONNECTIONS} from 1 address`, one.first, undefined, false);

    const many = Array.from({ length: 4096 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 200)}`);
    const wide = await flood(server, many, me, newcomer);
    console.log(`  flood from ${many.length} addresses: ${JSON.stringify(wide.flood)}`);
    reportPerson(`flood of ${FLOOD_CONNECTIONS} from ${many.length} addresses`, wide.real, wide.flood);
    reportPerson(
      `new browser, flood of ${FLOOD_CONNECTIONS} from ${many.length} addresses`,
      wide.first,
      undefined,
      false,
    );
  } finally {
    await server.stop();
  }
}

await main();
