/**
 * Composition root of the HTTP server: one Fastify instance on one origin, routed by path,
 * method, content type and X-Amz-Target (DESIGN.md "One process, one origin"). Each area
 * registers its routes in its own encapsulated plugin with its own error handler, so every
 * failure, even a body that cannot be parsed, leaves in that protocol's error envelope.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerSsoOidc } from '../protocol/sso-oidc/routes.ts';
import { registerSsoPortal } from '../protocol/sso-portal/routes.ts';
import { registerAssets } from '../web/assets.ts';
import { registerPortal } from '../web/portal/routes.ts';
import { registerSignin } from '../web/signin/routes.ts';
import type { ServerDeps } from './deps.ts';
import { registerRoot } from './root.ts';

/** Largest request body accepted on any route. */
export const BODY_LIMIT = 1024 * 1024;

/** Collapse duplicate slashes and strip the public URL's path prefix (wire-protocols §1.2). */
export function rewriteUrl(url: string, prefix: string): string {
  const q = url.indexOf('?');
  let p = q === -1 ? url : url.slice(0, q);
  const rest = q === -1 ? '' : url.slice(q);
  p = p.replace(/\/{2,}/g, '/');
  if (prefix && (p === prefix || p.startsWith(`${prefix}/`))) p = p.slice(prefix.length) || '/';
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p + rest;
}

export async function buildApp(
  deps: ServerDeps,
  extra: Partial<FastifyServerOptions> & { https?: unknown } = {},
): Promise<FastifyInstance> {
  const prefix = new URL(deps.config.publicUrl).pathname.replace(/\/+$/, '');
  const app = Fastify({
    loggerInstance: deps.log,
    genReqId: () => randomUUID(),
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: false,
    trustProxy: deps.config.trustProxy,
    rewriteUrl: (req) => rewriteUrl(req.url ?? '/', prefix),
    routerOptions: { ignoreTrailingSlash: true },
    ...(extra as object),
  }) as unknown as FastifyInstance;

  // Bodies reach handlers as raw bytes: SigV4 hashes them and each protocol decodes its own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  app.get('/healthz', async (_req, reply) => reply.type('application/json').send({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await deps.ctx.store.ping();
      return reply.type('application/json').send({ status: 'ready', store: deps.ctx.store.dialect });
    } catch {
      return reply
        .code(503)
        .type('application/json')
        .send({ status: 'unavailable', reason: 'store unreachable' });
    }
  });
  app.get('/metrics', async (_req, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  await registerAssets(app);
  await app.register(async (scope) => registerSsoOidc(scope, deps));
  await app.register(async (scope) => registerSsoPortal(scope, deps));
  await app.register(async (scope) => registerSignin(scope, deps));
  await app.register(async (scope) => registerPortal(scope, deps));
  await app.register(async (scope) => registerRoot(scope, deps));

  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type('application/json')
      .send({ message: `No route for ${request.method} ${request.url.split('?')[0]}` });
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, 'unhandled error');
    reply
      .code(status)
      .type('application/json')
      .send({ message: status === 500 ? 'Internal server error' : err.message });
  });
  return app;
}
