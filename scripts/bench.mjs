// `npm run bench`: runs every bench/*.bench.ts (or those whose name contains an argument) one
// after another through tsx; each prints its own table and appends JSON lines to
// bench-results/latest.jsonl. Benchmarks are bounded in time and request count and use only
// loopback servers they start themselves.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';

const filters = process.argv.slice(2);
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
// Benchmarks that run `bin/idcenter.js` measure the bundle: build it from the sources first.
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
mkdirSync('bench-results', { recursive: true });
rmSync('bench-results/latest.jsonl', { force: true });
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${f}`], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (r.status !== 0) failed++;
}
if (failed) {
  console.error(`${failed} benchmark file(s) failed`);
  process.exit(1);
}
