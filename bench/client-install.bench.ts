/**
 * Installing the client alone, as a person does: `npm pack ./packages/client`, then
 * `npm install -g <tarball> --offline` into an empty prefix with an empty npm cache (targets:
 * under 15 s and under 20 MB, no native build), five times; then `idcenter --version` of the
 * installed client (target under 150 ms), with hyperfine when it is on PATH, else 30 timed runs.
 * `node -e 0` is measured beside it: on a busy machine both move together. Run `npm run build`
 * first (npm run bench does).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, report } from './report.ts';

const ROOT = process.cwd();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-install-bench-'));

function npmEnv(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    npm_config_cache: path.join(dir, 'npm-cache'),
    npm_config_userconfig: path.join(dir, 'npmrc'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_offline: 'true',
  };
}

function must(r: ReturnType<typeof spawnSync>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}`);
}

function sizeOf(dir: string): number {
  let total = 0;
  for (const d of fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
    if (d.isFile()) total += fs.statSync(path.join(d.parentPath, d.name)).size;
  }
  return total;
}

try {
  const pack = spawnSync('npm', ['pack', path.join(ROOT, 'packages', 'client'), '--json'], {
    cwd: work,
    env: npmEnv(work),
    encoding: 'utf8',
  });
  must(pack, 'npm pack');
  const [packed] = JSON.parse(pack.stdout) as { filename: string }[];
  if (!packed) throw new Error('npm pack printed no file');
  const filename = packed.filename;
  const tarball = path.join(work, filename);
  report({
    name: 'client tarball (npm pack ./packages/client)',
    value: fs.statSync(tarball).size,
    unit: 'bytes',
  });

  const times: number[] = [];
  let prefix = '';
  let installedBytes = 0;
  let native = 0;
  for (let i = 0; i < 5; i++) {
    const dir = fs.mkdtempSync(path.join(work, 'install-'));
    prefix = path.join(dir, 'prefix');
    const t0 = performance.now();
    const r = spawnSync('npm', ['install', '-g', '--prefix', prefix, tarball], {
      cwd: dir,
      env: npmEnv(dir),
      encoding: 'utf8',
    });
    times.push(performance.now() - t0);
    must(r, 'npm install -g');
    installedBytes = sizeOf(prefix);
    native = (fs.readdirSync(prefix, { recursive: true }) as string[]).filter((f) =>
      f.endsWith('.node'),
    ).length;
  }
  const median = percentile(times, 50);
  report({
    name: 'client install: npm install -g <tarball> --offline, empty prefix (median of 5)',
    value: median / 1000,
    unit: 's',
    target: '< 15 s',
    met: median < 15_000,
    detail: { runsMs: times.map((t) => Math.round(t)) },
  });
  report({
    name: 'client installed size (prefix, every file)',
    value: installedBytes / 1e6,
    unit: 'MB',
    target: '< 20 MB',
    met: installedBytes < 20e6,
  });
  report({
    name: 'client native modules installed',
    value: native,
    unit: 'files',
    target: '0',
    met: native === 0,
  });

  const bin = path.join(prefix, 'bin', 'idcenter');
  const hyperfine = spawnSync('hyperfine', ['--version'], { encoding: 'utf8' });
  if (hyperfine.status === 0) {
    const json = path.join(work, 'hyperfine.json');
    const r = spawnSync(
      'hyperfine',
      [
        '--warmup',
        '3',
        '--runs',
        '30',
        '--export-json',
        json,
        '-N',
        `${bin} --version`,
        `${process.execPath} -e 0`,
      ],
      { encoding: 'utf8' },
    );
    must(r, 'hyperfine');
    const results = JSON.parse(fs.readFileSync(json, 'utf8')).results as { median: number }[];
    const client = (results[0]?.median ?? Number.NaN) * 1000;
    report({
      name: 'installed client `idcenter --version` (hyperfine median)',
      value: client,
      unit: 'ms',
      target: '< 150 ms',
      met: client < 150,
    });
    report({
      name: 'bare `node -e 0` (hyperfine median, for reference)',
      value: (results[1]?.median ?? 0) * 1000,
      unit: 'ms',
    });
  } else {
    const timed = (cmd: string, args: string[]) => {
      const t0 = performance.now();
      must(spawnSync(cmd, args, { encoding: 'utf8' }), cmd);
      return performance.now() - t0;
    };
    for (let i = 0; i < 3; i++) timed(bin, ['--version']);
    const runs: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < 30; i++) {
      runs.push(timed(bin, ['--version']));
      baseline.push(timed(process.execPath, ['-e', '0']));
    }
    const m = percentile(runs, 50);
    report({
      name: 'installed client `idcenter --version` (median of 30, whole process)',
      value: m,
      unit: 'ms',
      target: '< 150 ms',
      met: m < 150,
      detail: { p95: percentile(runs, 95), nodeBaselineMedian: percentile(baseline, 50) },
    });
    report({
      name: 'bare `node -e 0` (median of 30, for reference)',
      value: percentile(baseline, 50),
      unit: 'ms',
    });
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
