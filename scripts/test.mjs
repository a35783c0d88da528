// Runs every test file (src/**/*.test.ts, test/**/*.test.ts) with node's test runner through
// tsx. Arguments narrow the set: `npm run test:only -- test/e2e/oidc` runs files whose path
// contains that text. PostgreSQL suites use IDCENTER_TEST_DATABASE_URL (a server where the
// tests may create and drop databases); .ci/run sets it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * PATH with python's own bin directory before the shims when `python3` is a version manager's shim
 * (pyenv, asdf: a script in a `shims` directory that works out which interpreter to run). A
 * shim costs about 0.3 s of CPU per call, and the suite starts python3, aws and moto_server
 * hundreds of times; that directory holds the same commands the shims lead to.
 */
function pathWithoutShims(env) {
  const dirs = (env.PATH ?? '').split(path.delimiter);
  const shims = dirs.find((d) => {
    try {
      return path.basename(d) === 'shims' && statSync(path.join(d, 'python3')).isFile();
    } catch {
      return false;
    }
  });
  if (!shims) return env.PATH;
  const r = spawnSync(
    path.join(shims, 'python3'),
    ['-c', 'import os, sys; print(os.path.dirname(sys.executable))'],
    {
      encoding: 'utf8',
      env,
    },
  );
  const bin = r.status === 0 ? r.stdout.trim() : '';
  if (!bin) return env.PATH;
  // Where the shims stood, so commands found before them still are.
  dirs.splice(dirs.indexOf(shims), 0, bin);
  return dirs.join(path.delimiter);
}

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
let files = [...walk('src', []), ...walk('test', [])].sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.IDCENTER_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, PATH: pathWithoutShims(process.env), NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
