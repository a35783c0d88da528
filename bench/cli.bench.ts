/**
 * The idcenter CLI: whole-process start-up of `idcenter --version` (target under 150 ms) and
 * `idcenter configure populate` writing 3,000 profiles for 1,000 accounts with 3 roles each
 * against a local server (target under 3 s), both as a person runs them (`node bin/idcenter.js`).
 * Run `npm run build` first so the bundle is current.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { registerDeviceClient } from '../test/helpers/oidc.ts';
import { accountIds, issueBearerToken, seedOrg } from '../test/helpers/seed.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { percentile, report } from './report.ts';

const BIN = path.resolve('bin/idcenter.js');

function timed(
  args: string[],
  env: NodeJS.ProcessEnv,
): { ms: number; status: number | null; stdout: string; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  return { ms: performance.now() - t0, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like timed(), without blocking this process (the server under test runs in it). */
function timedAsync(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ ms: performance.now() - t0, status, stdout, stderr }));
  });
}

function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('AWS_') && !k.startsWith('IDCENTER_')) env[k] = v;
  return { ...env, HOME: home, NODE_ENV: 'production' };
}

// ---- start-up ----
{
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-bench-'));
  const env = cleanEnv(home);
  timed(['--version'], env); // warm the file cache
  const runs: number[] = [];
  for (let i = 0; i < 30; i++) {
    const r = timed(['--version'], env);
    if (r.status !== 0) throw new Error(`idcenter --version failed: ${r.stderr}`);
    runs.push(r.ms);
  }
  const baseline: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    baseline.push(performance.now() - t0);
  }
  const median = percentile(runs, 50);
  report({
    name: 'idcenter --version start-up (median of 30, whole process)',
    value: median,
    unit: 'ms',
    target: '< 150 ms',
    met: median < 150,
    detail: { p95: percentile(runs, 95), nodeBaselineMedian: percentile(baseline, 50) },
  });
  report({ name: 'idcenter --version start-up p95', value: percentile(runs, 95), unit: 'ms' });
  report({
    name: 'bare `node -e 0` start-up (median, for reference)',
    value: percentile(baseline, 50),
    unit: 'ms',
  });
  fs.rmSync(home, { recursive: true, force: true });
}

// ---- populate 1,000 accounts x 3 roles ----
{
  const ids = accountIds(1000, 700_000_000_000);
  const roles = ['Admin', 'Developer', 'ReadOnly'];
  let userId = '';
  const server = await startTestServer({
    store: 'sqlite',
    seed: async (deps) => {
      const org = await seedOrg(deps.ctx, {
        users: [{ userName: 'bench' }],
        accounts: ids.map((id, i) => ({ id, name: `Team ${i} Workload` })),
        permissionSets: roles.map((name) => ({ name })),
        assignments: roles.map((r) => ({ user: 'bench', permissionSet: r, accounts: ids })),
      });
      userId = org.users.bench as string;
    },
  });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-bench-'));
  try {
    const reg = await registerDeviceClient(server.url);
    const tokens = await issueBearerToken(server.deps.ctx, { userId, clientId: reg.clientId });
    const cache = path.join(home, '.aws', 'sso', 'cache');
    fs.mkdirSync(cache, { recursive: true });
    const sha1 = (await import('node:crypto')).createHash('sha1').update('bench').digest('hex');
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    fs.writeFileSync(
      path.join(cache, `${sha1}.json`),
      JSON.stringify({
        startUrl: `${server.url}/start`,
        region: 'us-east-1',
        accessToken: tokens.accessToken,
        expiresAt: iso(tokens.accessExpiresAt),
        clientId: reg.clientId,
        clientSecret: reg.clientSecret,
        registrationExpiresAt: iso(Date.now() + 80 * 86_400_000),
        refreshToken: tokens.refreshToken,
      }),
    );
    const config =
      `[profile seed]\nsso_session = bench\nsso_account_id = ${ids[0]}\nsso_role_name = Admin\nregion = us-east-1\nservices = local\n` +
      `[sso-session bench]\nsso_start_url = ${server.url}/start\nsso_region = us-east-1\n` +
      `[services local]\nsso =\n  endpoint_url = ${server.url}\nsso_oidc =\n  endpoint_url = ${server.url}\nsts =\n  endpoint_url = ${server.url}\n`;
    const configFile = path.join(home, '.aws', 'config');
    const env = cleanEnv(home);
    const fresh: number[] = [];
    const again: number[] = [];
    for (let i = 0; i < 3; i++) {
      fs.writeFileSync(configFile, config);
      const first = await timedAsync(['configure', 'populate'], env);
      if (first.status !== 0 || !/3000 added/.test(first.stdout))
        throw new Error(`populate failed: ${first.stderr}${first.stdout}`);
      fresh.push(first.ms);
      const second = await timedAsync(['configure', 'populate'], env);
      if (second.status !== 0 || !/3000 unchanged/.test(second.stdout))
        throw new Error(`re-run failed: ${second.stderr}`);
      again.push(second.ms);
    }
    const median = percentile(fresh, 50);
    report({
      name: 'configure populate: 1,000 accounts x 3 roles, new config',
      value: median,
      unit: 'ms',
      target: '< 3000 ms',
      met: median < 3000,
      detail: { runs: fresh, profiles: 3000 },
    });
    report({
      name: 'configure populate: same, re-run with nothing to change',
      value: percentile(again, 50),
      unit: 'ms',
    });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
    await server.stop();
  }
}
