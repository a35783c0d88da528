/**
 * Static assets (CSS, scripts, images) from `src/web/static`, served under fingerprinted names
 * (`/static/app.3f2a9c1b.css`) with a one-year immutable cache. Pages link them through
 * `assetUrl('app.css')`. Files are read once at start. Scripts are ES modules and may import
 * each other (`./display-text.js`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

interface Asset {
  body: Buffer;
  type: string;
  url: string;
}

/** Where the static files are: next to this module in the source tree, or beside the bundle. */
function staticDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'static'), path.join(here, '..', 'src', 'web', 'static')];
  candidates.push(path.join(here, '..', '..', 'src', 'web', 'static'));
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`static assets not found near ${here}`);
}

let byName: Map<string, Asset> | undefined;
let byUrl: Map<string, Asset> | undefined;

/**
 * A script's imports of its neighbours (`import { readable } from './display-text.js'`) name the
 * neighbour's fingerprinted file, so the browser fetches the one this server serves and the
 * importer's own fingerprint changes when the neighbour does.
 */
const RELATIVE_IMPORT = /(\bfrom\s*['"]\.\/)([\w-]+\.js)(['"])/g;

function load(): void {
  if (byName) return;
  const names = new Map<string, Asset>();
  const urls = new Map<string, Asset>();
  const dir = staticDir();
  const files = new Set(fs.readdirSync(dir).filter((name) => TYPES[path.extname(name)]));
  const loading = new Set<string>();
  const assetFor = (name: string): Asset => {
    const known = names.get(name);
    if (known) return known;
    if (!files.has(name) || loading.has(name))
      throw new Error(`static asset ${name} is missing or imports itself`);
    loading.add(name);
    const ext = path.extname(name);
    let body = fs.readFileSync(path.join(dir, name));
    if (ext === '.js') {
      const text = body
        .toString('utf8')
        .replace(
          RELATIVE_IMPORT,
          (_, head: string, dep: string, tail: string) =>
            `${head}${path.posix.basename(assetFor(dep).url)}${tail}`,
        );
      body = Buffer.from(text, 'utf8');
    }
    const digest = createHash('sha256').update(body).digest('hex').slice(0, 10);
    const url = `/static/${name.slice(0, -ext.length)}.${digest}${ext}`;
    const asset = { body, type: TYPES[ext] as string, url };
    names.set(name, asset);
    urls.set(url, asset);
    loading.delete(name);
    return asset;
  };
  for (const name of files) assetFor(name);
  byName = names;
  byUrl = urls;
}

/** The fingerprinted URL of a static file, e.g. assetUrl('app.css'): an app path (see `webPath`). */
export function assetUrl(name: string): string {
  load();
  const a = byName?.get(name);
  if (!a) throw new Error(`unknown static asset ${name}`);
  return a.url;
}

export async function registerAssets(app: FastifyInstance): Promise<void> {
  load();
  // Browsers ask for /favicon.ico whatever the page links; it gets the icon the pages link.
  const icon = byName?.get('favicon.svg');
  app.get('/favicon.ico', async (_request, reply) => {
    if (!icon) return reply.code(404).type('text/plain').send('Not found');
    return reply
      .header('cache-control', 'public, max-age=86400')
      .header('x-content-type-options', 'nosniff')
      .type(icon.type)
      .send(icon.body);
  });
  app.get('/static/*', async (request, reply) => {
    const asset = byUrl?.get(request.url.split('?')[0] ?? '');
    if (!asset) return reply.code(404).type('text/plain').send('Not found');
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .type(asset.type)
      .send(asset.body);
  });
}
