/**
 * The idcenter client, served by the server itself so people install it from the server they
 * use, with nothing else to trust (docs/client-install.md):
 *
 * | Route | What |
 * |---|---|
 * | `GET /client` | how to install it, as text, with this server's URL |
 * | `GET /client/idcenter-client.tgz` | the npm package (`npm install -g <url>`) |
 * | `GET /client/idcenter.cjs` | the same client as one file (`node idcenter.cjs …`) |
 * | `GET /client/THIRD-PARTY-NOTICES.txt` | the licences of the packages bundled into it |
 *
 * The files are the build's (`scripts/build.mjs` writes them to `dist/client/`), read once when
 * first asked for. They change only with the server's version, so they carry a strong ETag and
 * are revalidated (`no-cache`) rather than kept.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../app/server-deps.ts';

const FILES: Record<string, { type: string; download?: boolean }> = {
  'idcenter-client.tgz': { type: 'application/gzip', download: true },
  'idcenter.cjs': { type: 'text/javascript; charset=utf-8', download: true },
  'THIRD-PARTY-NOTICES.txt': { type: 'text/plain; charset=utf-8' },
};

/** The URL paths of the client files under a public URL. */
export function clientUrls(publicUrl: string): { tarball: string; script: string; page: string } {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    tarball: `${base}/client/idcenter-client.tgz`,
    script: `${base}/client/idcenter.cjs`,
    page: `${base}/client`,
  };
}

/** The command that installs the client from this server (Node.js 20 or newer, any OS). */
export function clientInstallCommand(publicUrl: string): string {
  return `npm install -g ${clientUrls(publicUrl).tarball}`;
}

/** What `GET /client` answers: how to install the client, with this server's URLs. */
export function clientInstallText(publicUrl: string): string {
  const urls = clientUrls(publicUrl);
  return [
    'The idcenter client: sign in with `idcenter configure sso` and `idcenter sso login`, and hand',
    'role credentials to the AWS CLI, the SDKs and other tools. It needs Node.js 20 or newer and',
    'nothing else (no native module, no package from the npm registry).',
    '',
    'Install it with npm (macOS, Linux, Windows):',
    '',
    `  ${clientInstallCommand(publicUrl)}`,
    '  idcenter --version',
    '',
    'Or download the single file and run it with node:',
    '',
    `  mkdir -p ~/.local/bin && curl -fsSL -o ~/.local/bin/idcenter ${urls.script} && chmod +x ~/.local/bin/idcenter`,
    `  Invoke-WebRequest ${urls.script} -OutFile idcenter.cjs; node idcenter.cjs --version   # PowerShell`,
    '',
    'Then configure a profile for this server:',
    '',
    `  idcenter configure sso --endpoint-url ${publicUrl.replace(/\/+$/, '')}`,
    '',
    `Licences of the packages bundled into it: ${publicUrl.replace(/\/+$/, '')}/client/THIRD-PARTY-NOTICES.txt`,
    '',
  ].join('\n');
}

/** `dist/client/` of this installation: beside the bundle, or from the source tree. */
function clientDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    path.join(here, 'client'), // dist/idcenter.mjs
    path.join(here, '..', 'client'), // dist/chunks/…
    path.join(here, '..', '..', 'dist', 'client'), // src/web/
  ]) {
    if (fs.existsSync(path.join(candidate, 'idcenter.cjs'))) return candidate;
  }
  return undefined;
}

interface Served {
  body: Buffer;
  etag: string;
}

export function registerClientDownloads(app: FastifyInstance, deps: ServerDeps): void {
  const loaded = new Map<string, Served | null>();
  const read = (name: string): Served | null => {
    if (!loaded.has(name)) {
      const dir = clientDir();
      let served: Served | null = null;
      if (dir) {
        try {
          const body = fs.readFileSync(path.join(dir, name));
          served = { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
        } catch {
          served = null;
        }
      }
      loaded.set(name, served);
    }
    return loaded.get(name) ?? null;
  };

  app.get('/client', async (_request, reply) =>
    reply
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .type('text/plain; charset=utf-8')
      .send(clientInstallText(deps.config.publicUrl)),
  );

  app.get<{ Params: { name: string } }>('/client/:name', async (request, reply) => {
    const name = request.params.name;
    const kind = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (!kind) {
      return reply
        .code(404)
        .type('application/json')
        .send({ message: `No client file ${name}; see ${clientUrls(deps.config.publicUrl).page}` });
    }
    const file = read(name);
    if (!file) {
      return reply.code(404).type('application/json').send({
        message:
          'This server has no client files: it runs from a source tree that was not built. Run `npm run build` and restart it.',
      });
    }
    reply
      .header('etag', file.etag)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff');
    if (kind.download) reply.header('content-disposition', `attachment; filename="${name}"`);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(kind.type).send(file.body);
  });
}
