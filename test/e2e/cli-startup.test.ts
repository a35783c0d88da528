/**
 * `idcenter --version` and `--help` must start fast: the bundle's entry chunk, and every chunk
 * it imports statically, may load commander and node built-ins only. Everything else (zod, the
 * database drivers, fastify, the client commands) is behind dynamic imports. Timing itself is in
 * bench/cli.bench.ts. Needs a current bundle (`npm run build`, which `npm test` runs first).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliEnv, runCli, tempHome } from './cli-harness.ts';

const DIST = path.resolve('dist');

function staticGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.includes(file)) return;
    files.push(file);
    const text = fs.readFileSync(file, 'utf8');
    // Static imports only: `import … from "x"` and `import "x"` (not `import("x")`).
    for (const m of text.matchAll(/^\s*import\s+(?:[^'"()]*?\s+from\s+)?["']([^"']+)["'];?/gm)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('idcenter start-up', () => {
  it('the entry chunk statically loads only commander and node built-ins', () => {
    const entry = path.join(DIST, 'idcenter.mjs');
    assert.ok(fs.existsSync(entry), 'dist/idcenter.mjs is missing: run npm run build');
    const { files, packages } = staticGraph(entry);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const heavy = [...packages].filter((p) => p !== 'commander' && !builtins.has(p));
    assert.deepEqual(heavy, [], `statically imported at start-up: ${heavy.join(', ')}`);
    const size = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    assert.ok(size < 200_000, `start-up code is ${size} bytes`);
    // The client commands are not in it.
    for (const f of files)
      assert.equal(/PortalClient|ConfigFile\.parse/.test(fs.readFileSync(f, 'utf8')), false, f);
  });

  it('--version and --help work from the bundle', async () => {
    const h = tempHome();
    try {
      const v = await runCli(['--version'], cliEnv(h.home));
      assert.equal(v.code, 0);
      assert.match(v.stdout, /^\d+\.\d+\.\d+/);
      for (const args of [
        ['--help'],
        ['configure', 'sso', '--help'],
        ['sso', 'login', '--help'],
        ['exec', '--help'],
      ]) {
        const r = await runCli(args, cliEnv(h.home));
        assert.equal(r.code, 0, args.join(' '));
        assert.match(r.stdout, /^Usage: idcenter /);
      }
      const bad = await runCli(['sso', 'login', '--nope'], cliEnv(h.home));
      assert.equal(bad.code, 252);
      assert.match(bad.stderr, /unknown option '--nope'/);
    } finally {
      h.cleanup();
    }
  });
});
