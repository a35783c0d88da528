/**
 * Composition root of the HTTP server: one Fastify instance on one origin, routed by path,
 * method, content type and X-Amz-Target (DESIGN.md "One process, one origin"). Each area
 * registers its routes in its own encapsulated plugin with its own error handler, so every
 * failure, even a body that cannot be parsed, leaves in that protocol's error envelope.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Histogram } from 'prom-client';
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

const requestLineLoggers = new WeakMap<object, FastifyBaseLogger>();

/**
 * Give a logger a sibling for the one line per request (see `RequestLog`); `createLogger` in
 * `http/server.ts` does this.
 */
export function setRequestLineLogger(log: FastifyBaseLogger, line: FastifyBaseLogger): void {
  requestLineLoggers.set(log, line);
}

/**
 * One log line per request, when it completes: request id, method, URL (secret query
 * parameters redacted), addresses, status and time — what Fastify's two lines ("incoming
 * request" and "request completed") carry, in one line without path redaction. Errors are logged
 * with the request through the redacting logger.
 */
class RequestLog extends LogController {
  readonly line: FastifyBaseLogger | undefined;

  constructor(log: FastifyBaseLogger) {
    super();
    this.line = requestLineLoggers.get(log);
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      // Through the redacting logger: an error may carry anything.
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
      return;
    }
    const fields = { req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime };
    if (this.line) this.line.info({ reqId: request.id, ...fields }, 'request completed');
    else reply.log.info(fields, 'request completed');
  }
}

/** The request-duration histogram's child per (method, route, status), looked up once each. */
function durationRecorder(histogram: Histogram<'method' | 'route' | 'status'>) {
  const children = new Map<string, ReturnType<typeof histogram.labels>>();
  return (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = histogram.labels(method, route, String(status));
      children.set(key, child);
    }
    child.observe(seconds);
  };
}

export async function buildApp(
  deps: ServerDeps,
  extra: Partial<FastifyServerOptions> & { https?: unknown } = {},
): Promise<FastifyInstance> {
  const prefix = new URL(deps.config.publicUrl).pathname.replace(/\/+$/, '');
  const app = Fastify({
    loggerInstance: deps.log,
    genReqId: () => randomUUID(),
    logController: new RequestLog(deps.log),
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

  const recordDuration = durationRecorder(deps.metrics.httpDuration);
  // Callback style: an async hook costs a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    recordDuration(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
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
