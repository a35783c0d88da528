/**
 * Composition root of the HTTP server: one Fastify instance on one origin, routed by path,
 * method, content type and X-Amz-Target (docs/decisions.md, "One process one origin"). Each area
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
import type { ServerDeps } from '../app/server-deps.ts';
import { createAdminAnswerer } from '../protocol/admin/handler.ts';
import { registerOidcIssuer } from '../protocol/oidc-issuer/routes.ts';
import { rawBodies } from '../protocol/raw-body.ts';
import { registerSamlMetadata } from '../protocol/saml/metadata-route.ts';
import { SigV4Verifier } from '../protocol/sigv4/verify.ts';
import { registerSsoOidc } from '../protocol/sso-oidc/routes.ts';
import { registerSsoPortal } from '../protocol/sso-portal/routes.ts';
import { createStsAnswerer } from '../protocol/sts/handler.ts';
import { registerAssets } from '../web/assets.ts';
import { registerClientConfiguration } from '../web/client-configuration.ts';
import { registerClientDownloads } from '../web/client-download.ts';
import { pathPrefix, stripPrefix } from '../web/paths.ts';
import { registerWeb } from '../web/plugin.ts';
import type { Drain } from './drain.ts';
import { installFastPath } from './fast-path.ts';
import { registerMetrics } from './metrics-endpoint.ts';
import { readinessProbe } from './readiness.ts';
import { type RequestLineWriter, requestLineWriterOf } from './request-log.ts';
import { registerRoot } from './root.ts';
import { installHsts } from './tls.ts';

/** Largest request body accepted on any route. */
export const BODY_LIMIT = 1024 * 1024;

/**
 * Collapse duplicate slashes and strip the public URL's path prefix (docs/wire-protocols.md,
 * "URL joining").
 */
export function rewriteUrl(url: string, prefix: string): string {
  const q = url.indexOf('?');
  let p = q === -1 ? url : url.slice(0, q);
  const rest = q === -1 ? '' : url.slice(q);
  p = p.replace(/\/{2,}/g, '/');
  p = stripPrefix(prefix, p);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p + rest;
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
   * Answer the fast path's shapes from node:http (`http/fast-path.ts`); default true. False sends
   * every request through the Fastify routes — for tests that compare the two.
   */
  fastPath?: boolean;
  /**
   * The server's shutdown state (`http/drain.ts`): once draining, /readyz answers 503 and every
   * answer closes its connection.
   */
  drain?: Drain;
}

/**
 * How long an idle keep-alive connection stays open: longer than the idle timeout of common
 * load balancers (60 s on AWS ALB, nginx's upstream keepalive_timeout), so the server never
 * closes a connection one of them is about to reuse. Fastify's default too.
 */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/**
 * node:http's limits on how long a client may take: the whole request, headers and body, must
 * arrive within the body timeout of its first byte (otherwise 408 and the connection closes),
 * and a connection silent about that long is closed — one that never sends a request, one that
 * stops reading its answer; a keep-alive connection between requests only after the longer
 * keep-alive timeout. They hold for every request, the fast path's too: node:http enforces them
 * on the connection, before any handler. Fastify's defaults (0) let a client that sent headers
 * and part of a body hold its connection forever. node:http checks the request deadlines
 * every `connectionsCheckingInterval` (30 s by default, as long as the timeout itself).
 */
function clientTimeouts(bodyTimeoutSeconds: number) {
  const ms = bodyTimeoutSeconds * 1000;
  const checkEvery = Math.min(1000, Math.floor(ms / 4));
  // A second longer than the request deadline, so a request stalled mid-body is answered 408
  // (by the check) before its silence closes the connection without an answer.
  const silence = ms + 1000;
  return {
    fastify: { requestTimeout: ms, connectionTimeout: silence, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS },
    node: {
      requestTimeout: ms,
      headersTimeout: ms,
      connectionsCheckingInterval: checkEvery,
      // HTTPS: the TLS handshake too (node's default is 120 s); node:http ignores it.
      handshakeTimeout: ms,
    },
  };
}

export async function buildApp(
  deps: ServerDeps,
  extra: Partial<FastifyServerOptions> & { https?: unknown } = {},
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const prefix = pathPrefix(deps.config.publicUrl);
  const timeouts = clientTimeouts(deps.config.bodyTimeout);
  // node:http's own options go to its constructor: Fastify hands `http` to http.createServer
  // and `https` to https.createServer.
  const node = { ...timeouts.node, ...(options.drain ? { ServerResponse: options.drain.Response } : {}) };
  const { https, ...fastifyExtra } = extra;
  const server = https && typeof https === 'object' ? { https: { ...https, ...node } } : { http: node };
  const app = Fastify({
    loggerInstance: deps.log,
    genReqId: () => randomUUID(),
    logController: new RequestLog(deps.log),
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: false,
    trustProxy: deps.config.trustProxy,
    rewriteUrl: (req) => rewriteUrl(req.url ?? '/', prefix),
    routerOptions: { ignoreTrailingSlash: true },
    ...timeouts.fastify,
    // While shutting down, requests on connections still open are answered, with
    // `Connection: close` (`drain.Response`), not refused with 503.
    return503OnClosing: false,
    ...server,
    ...(fastifyExtra as object),
  }) as unknown as FastifyInstance;

  // Each area parses bodies in its own plugin: the AWS protocols take the bytes
  // (`protocol/raw-body.ts`), the web pages their forms and cookies (`web/plugin.ts`). The app's
  // own routes read no body, and a request no area claims is answered 404 whatever it carries:
  // here too bodies stay bytes (Fastify's JSON parser would answer a malformed one 400).
  rawBodies(app);

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

  installHsts(app, deps.config);

  app.get('/healthz', async (_req, reply) => reply.type('application/json').send({ status: 'ok' }));
  const readiness = readinessProbe(deps.ctx, deps.log);
  app.get('/readyz', async (_req, reply) => {
    if (options.drain?.draining) return reply.code(503).type('application/json').send({ status: 'draining' });
    const answer = await readiness();
    if (answer.ready) {
      return reply.type('application/json').send({ status: 'ready', store: deps.ctx.store.dialect });
    }
    return reply.code(503).type('application/json').send({ status: 'unavailable', reason: answer.reason });
  });
  registerMetrics(app, deps);
  // Key files given in the settings are checked now: a wrong one stops the server, named.
  await deps.federation.idp.verify();
  await deps.federation.webIdentity.verify();
  registerSamlMetadata(app, deps.federation.idp, deps.log);
  registerOidcIssuer(app, deps.federation.webIdentity, deps.log);
  // Failures counted but not yet written (app/failure-audit.ts) reach the store before it
  // closes: onClose hooks run once the in-flight requests are done.
  app.addHook('onClose', () =>
    deps.ctx.memory.failures
      .close()
      .catch((err: unknown) => deps.log.error({ err }, 'cannot write the counted failures to the audit log')),
  );

  // The server's STS and admin APIs, one each for the Fastify routes and the fast path: the
  // signing keys their verifiers derive, and what the admin answerer keeps, serve both. The admin
  // APIs verify with a verifier of their own (the signing keys of admin callers).
  const sts = createStsAnswerer(deps, new SigV4Verifier());
  const admin = createAdminAnswerer(deps, new SigV4Verifier());

  await registerAssets(app);
  registerClientDownloads(app, deps);
  await registerClientConfiguration(app, deps);
  await app.register(async (scope) => registerSsoOidc(scope, deps));
  await app.register(async (scope) => registerSsoPortal(scope, deps));
  await app.register(async (scope) => registerWeb(scope, deps));
  await app.register(async (scope) => registerRoot(scope, deps, sts, admin));

  if (options.fastPath !== false) {
    installFastPath(app, {
      deps,
      sts,
      admin,
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
