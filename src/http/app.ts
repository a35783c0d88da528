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
import { closeFailureAudit } from '../app/failure-audit.ts';
import { registerSsoOidc } from '../protocol/sso-oidc/routes.ts';
import { registerSsoPortal } from '../protocol/sso-portal/routes.ts';
import { registerAssets } from '../web/assets.ts';
import { pathPrefix, stripPrefix } from '../web/paths.ts';
import { registerPortal } from '../web/portal/routes.ts';
import { registerSignin } from '../web/signin/routes.ts';
import type { ServerDeps } from './deps.ts';
import { installHotLane } from './hot-lane.ts';
import { registerMetrics } from './metrics-endpoint.ts';
import { registerRoot } from './root.ts';

/** Largest request body accepted on any route. */
export const BODY_LIMIT = 1024 * 1024;

/** Collapse duplicate slashes and strip the public URL's path prefix (wire-protocols §1.2). */
export function rewriteUrl(url: string, prefix: string): string {
  const q = url.indexOf('?');
  let p = q === -1 ? url : url.slice(0, q);
  const rest = q === -1 ? '' : url.slice(q);
  p = p.replace(/\/{2,}/g, '/');
  p = stripPrefix(prefix, p);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p + rest;
}

/** What the one log line per request says (see `RequestLog`). */
export interface RequestLine {
  reqId: string;
  method: string;
  /** The URL as routed (secret query parameters are redacted by the writer). */
  url: string;
  host: string | undefined;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  statusCode: number;
  /** Milliseconds. */
  responseTime: number;
}

export type RequestLineWriter = (line: RequestLine) => void;

const requestLineWriters = new WeakMap<object, RequestLineWriter>();

/**
 * Give a logger the writer of its one line per request (`createLogger` in `http/server.ts`
 * does, when info is enabled). Without one, request lines go through the logger itself.
 */
export function setRequestLineWriter(log: FastifyBaseLogger, writer: RequestLineWriter): void {
  requestLineWriters.set(log, writer);
}

/** The writer of request lines for `log`: its own, or one through `log.info`. */
export function requestLineWriterOf(log: FastifyBaseLogger): RequestLineWriter {
  const own = requestLineWriters.get(log);
  if (own) return own;
  return (l) =>
    log.info(
      {
        reqId: l.reqId,
        req: {
          method: l.method,
          url: l.url,
          host: l.host,
          ip: l.remoteAddress,
          socket: { remotePort: l.remotePort },
        },
        res: { statusCode: l.statusCode },
        responseTime: l.responseTime,
      },
      'request completed',
    );
}

/**
 * One log line per request, when it completes: request id, method, URL (secret query
 * parameters redacted), addresses, status and time — what Fastify's two lines ("incoming
 * request" and "request completed") carry, in one line (`RequestLineWriter`). Errors are logged
 * with the request through the logger, which redacts.
 */
class RequestLog extends LogController {
  readonly line: RequestLineWriter;

  constructor(log: FastifyBaseLogger) {
    super();
    this.line = requestLineWriterOf(log);
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
      return;
    }
    this.line({
      reqId: request.id,
      method: request.method,
      url: request.url,
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
    });
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

/** How the app is put together, beyond Fastify's own options. */
export interface BuildOptions {
  /**
   * Answer the hot lane's shapes from node:http (`http/hot-lane.ts`); default true. False sends
   * every request through the Fastify routes — for tests that compare the two.
   */
  hotLane?: boolean;
}

export async function buildApp(
  deps: ServerDeps,
  extra: Partial<FastifyServerOptions> & { https?: unknown } = {},
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const prefix = pathPrefix(deps.config.publicUrl);
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
  registerMetrics(app, deps);
  // Failures counted but not yet written (app/failure-audit.ts) reach the store before it
  // closes: onClose hooks run once the in-flight requests are done.
  app.addHook('onClose', () =>
    closeFailureAudit(deps.ctx.store).catch((err: unknown) =>
      deps.log.error({ err }, 'cannot write the counted failures to the audit log'),
    ),
  );

  await registerAssets(app);
  await app.register(async (scope) => registerSsoOidc(scope, deps));
  await app.register(async (scope) => registerSsoPortal(scope, deps));
  await app.register(async (scope) => registerSignin(scope, deps));
  await app.register(async (scope) => registerPortal(scope, deps));
  await app.register(async (scope) => registerRoot(scope, deps));

  if (options.hotLane !== false) {
    installHotLane(app, {
      deps,
      rewrite: (url) => rewriteUrl(url, prefix),
      recordDuration,
      requestLine: requestLineWriterOf(deps.log),
    });
  }

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
