// Bundle the idcenter command into dist/ with esbuild: our sources in one module graph split at
// dynamic imports (so `idcenter --version` loads only the entry chunk), dependencies left in
// node_modules. Runs on `npm install` (prepare) and in `npm test`.
//
// Also the client alone (src/cli/client-main.ts): one file with its dependencies inside and no
// native module, dist/client/idcenter.cjs (the server serves it at /client/idcenter.cjs) and a
// copy in packages/client/ for `npm pack` (docs/client-install.md). Beside it, the licences of
// the packages bundled into it. CommonJS, so node built-ins (http, crypto, readline…) load when
// the command that needs them runs: in an ES module they would all load at start-up, and
// `idcenter --version` would pay for them.
//
// `src/cli/commands/server-flags.ts` derives the `idcenter server` flags from the config
// schema (zod). The bundle gets the same table as plain data, computed here, so the entry chunk
// never loads zod.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { create } from 'tar';

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
  await buildClient(path.join(outdir, 'client'));
} catch (err) {
  rmSync(outdir, { recursive: true, force: true });
  throw err;
}

const old = `dist.old-${process.pid}`;
if (existsSync('dist')) renameSync('dist', old);
renameSync(outdir, 'dist');
rmSync(old, { recursive: true, force: true });

for (const name of ['idcenter.cjs', 'THIRD-PARTY-NOTICES.txt'])
  copyFileSync(path.join('dist', 'client', name), path.join('packages', 'client', name));

/** The client alone, in one file: every dependency inside, the licences of those beside it. */
async function buildClient(dir) {
  const client = JSON.parse(readFileSync('packages/client/package.json', 'utf8'));
  if (client.version !== pkg.version) {
    throw new Error(
      `packages/client/package.json has version ${client.version}, package.json ${pkg.version}: make them equal`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: ['src/cli/client-main.ts'],
    outfile: path.join(dir, 'idcenter.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    metafile: true,
    banner: {
      js: [
        '#!/usr/bin/env node',
        `// idcenter client ${pkg.version} (${pkg.license}); bundled packages and their licences: THIRD-PARTY-NOTICES.txt`,
      ].join('\n'),
    },
    define: { __IDCENTER_VERSION__: JSON.stringify(pkg.version) },
    logLevel: 'warning',
  });
  chmodSync(path.join(dir, 'idcenter.cjs'), 0o755);
  writeFileSync(path.join(dir, 'THIRD-PARTY-NOTICES.txt'), notices(result.metafile));
  await packClient(dir);
}

/**
 * The npm tarball of packages/client with the files just built, as `npm pack` lays it out
 * (everything under `package/`), so `npm install -g <server>/client/idcenter-client.tgz` works;
 * timestamps fixed, so the same build gives the same bytes.
 */
async function packClient(dir) {
  const staging = path.join(dir, '.pack');
  const inside = path.join(staging, 'package');
  mkdirSync(inside, { recursive: true });
  try {
    const files = ['package.json', 'README.md', 'idcenter.cjs', 'THIRD-PARTY-NOTICES.txt'];
    for (const name of files) {
      const from = ['package.json', 'README.md'].includes(name) ? 'packages/client' : dir;
      copyFileSync(path.join(from, name), path.join(inside, name));
    }
    chmodSync(path.join(inside, 'idcenter.cjs'), 0o755);
    await create(
      {
        gzip: true,
        cwd: staging,
        file: path.join(dir, 'idcenter-client.tgz'),
        portable: true,
        mtime: new Date('1985-10-26T08:15:00Z'),
      },
      files.map((name) => `package/${name}`),
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The name, version and licence text of every npm package the client bundle holds. */
function notices(metafile) {
  const roots = new Set();
  const [output] = Object.values(metafile.outputs);
  for (const [input, used] of Object.entries(output.inputs)) {
    if (used.bytesInOutput === 0) continue;
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) roots.add(m[1]);
  }
  const parts = ['The idcenter client bundles these packages. Their licences follow.', ''];
  for (const root of [...roots].sort()) {
    const meta = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const file = readdirSync(root).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    parts.push('-'.repeat(72), `${meta.name} ${meta.version} (${meta.license ?? 'see below'})`, '');
    parts.push(file ? readFileSync(path.join(root, file), 'utf8').trim() : `License: ${meta.license}`, '');
  }
  return `${parts.join('\n')}\n`;
}
