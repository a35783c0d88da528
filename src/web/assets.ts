/**
 * Static assets (CSS, scripts, images) from `src/web/static`, served under fingerprinted names
 * (`/static/app.3f2a9c1b.css`) with a one-year immutable cache. Pages link them through
 * `assetUrl('app.css')`. Files are read once at start.
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

function load(): void {
  if (byName) return;
  byName = new Map();
  byUrl = new Map();
  const dir = staticDir();
  for (const name of fs.readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = fs.readFileSync(path.join(dir, name));
    const digest = createHash('sha256').update(body).digest('hex').slice(0, 10);
    const ext = path.extname(name);
    const url = `/static/${name.slice(0, -ext.length)}.${digest}${ext}`;
    const asset = { body, type, url };
    byName.set(name, asset);
    byUrl.set(url, asset);
  }
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
