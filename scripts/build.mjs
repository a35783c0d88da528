// Bundle the idcenter command into dist/ with esbuild: our sources in one module graph split at
// dynamic imports (so `idcenter --version` loads only the entry chunk), dependencies left in
// node_modules. Runs on `npm install` (prepare) and in `npm test`.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { idcenter: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  define: { __IDCENTER_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
