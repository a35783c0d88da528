// Bundle the idcenter command into dist/ with esbuild: our sources in one module graph split at
// dynamic imports (so `idcenter --version` loads only the entry chunk), dependencies left in
// node_modules. Runs on `npm install` (prepare) and in `npm test`.
//
// `src/cli/commands/server-flags.ts` derives the `idcenter server` flags from the config
// schema (zod). The bundle gets the same table as plain data, computed here, so the entry chunk
// never loads zod.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Build beside dist/ and swap it in at the end, so a command started meanwhile (tests running
// while someone rebuilds) never finds a half-written or missing bundle.
const outdir = `dist.build-${process.pid}`;

async function serverFlags() {
  const probe = await build({
    entryPoints: ['src/cli/commands/server-flags.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  // Written inside the project so its bare imports (zod) resolve from node_modules.
  const file = new URL(`../.server-flags-${process.pid}.mjs`, import.meta.url);
  writeFileSync(file, probe.outputFiles[0].text);
  try {
    const { SERVER_FLAGS } = await import(pathToFileURL(file.pathname).href);
    return SERVER_FLAGS;
  } finally {
    rmSync(file, { force: true });
  }
}

const flags = await serverFlags();
const staticServerFlags = {
  name: 'static-server-flags',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]cli[\\/]commands[\\/]server-flags\.ts$/ }, () => ({
      contents: `export const SERVER_FLAGS = ${JSON.stringify(flags)};\n`,
      loader: 'js',
    }));
  },
};

try {
  await build({
    entryPoints: { idcenter: 'src/cli/main.ts' },
    outdir,
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
    plugins: [staticServerFlags],
    logLevel: 'warning',
  });
} catch (err) {
  rmSync(outdir, { recursive: true, force: true });
  throw err;
}

const old = `dist.old-${process.pid}`;
if (existsSync('dist')) renameSync('dist', old);
renameSync(outdir, 'dist');
rmSync(old, { recursive: true, force: true });
