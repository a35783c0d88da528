/**
 * Where `GET /metrics` is served, and to whom. Metrics tell how busy the server is, which
 * routes fail and how many signature and sign-in failures it sees: not for the public. So:
 *
 * - `IDCENTER_METRICS_LISTEN` (`127.0.0.1:9464`): a second listener, plain HTTP, that serves
 *   only `GET /metrics`; keep it on a private address.
 * - `IDCENTER_METRICS_TOKEN`: a bearer token a scraper sends (`Authorization: Bearer …`),
 *   required wherever `/metrics` is served; with it set, the public listener serves `/metrics`
 *   too.
 * - Neither: `/metrics` is not served (404 on the public listener, naming the settings).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../app/server-deps.ts';

export const METRICS_NOT_SERVED =
  'Metrics are not served on this listener: set IDCENTER_METRICS_LISTEN (a private listener) or IDCENTER_METRICS_TOKEN (a bearer token).';
const UNAUTHORIZED = 'Send the metrics token: Authorization: Bearer <IDCENTER_METRICS_TOKEN>.';

/** Whether an Authorization header carries the token (compared in constant time). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? '');
  if (!m?.[1]) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]), digest(token));
}

/** What a request for the metrics gets: the exposition, or an error to send as JSON. */
async function answer(
  deps: ServerDeps,
  authorization: string | undefined,
): Promise<{ status: number; type: string; body: string; headers: Record<string, string> }> {
  const token = deps.config.metricsToken;
  if (token !== '' && !bearerMatches(authorization, token)) {
    return {
      status: 401,
      type: 'application/json',
      body: JSON.stringify({ message: UNAUTHORIZED }),
      headers: { 'www-authenticate': 'Bearer realm="idcenter metrics"' },
    };
  }
  const registry = deps.metrics.registry;
  return { status: 200, type: registry.contentType, body: await registry.metrics(), headers: {} };
}

/** `GET /metrics` on the public listener, and the metrics listener when one is configured. */
export function registerMetrics(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/metrics', async (request, reply) => {
    if (deps.config.metricsToken === '') {
      return reply.code(404).type('application/json').send({ message: METRICS_NOT_SERVED });
    }
    const a = await answer(deps, request.headers.authorization);
    return reply.code(a.status).headers(a.headers).type(a.type).send(a.body);
  });

  const listen = deps.config.metricsListen;
  if (!listen) return;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': type, ...headers }).end(body);
    if (path !== '/metrics') {
      send(404, 'application/json', JSON.stringify({ message: 'This listener serves only GET /metrics.' }));
      return;
    }
    if (req.method !== 'GET') {
      send(405, 'application/json', JSON.stringify({ message: 'Use GET /metrics.' }), { allow: 'GET' });
      return;
    }
    answer(deps, req.headers.authorization).then(
      (a) => send(a.status, a.type, a.body, a.headers),
      (err: unknown) => {
        deps.log.error({ err }, 'cannot collect the metrics');
        send(500, 'application/json', JSON.stringify({ message: 'Internal server error' }));
      },
    );
  });
  // Listening starts with the app (a bad address stops the start); it never keeps the process
  // alive on its own, and closes with the app.
  app.addHook('onReady', async () => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        reject(
          new Error(
            `cannot serve metrics on ${listen.host}:${listen.port} (IDCENTER_METRICS_LISTEN): ${err.message}`,
          ),
        );
      });
      server.listen({ host: listen.host, port: listen.port }, () => resolve());
    });
    server.unref();
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    deps.log.info({ metrics: `http://${host}:${addr.port}/metrics` }, 'metrics listener started');
  });
  app.addHook('onClose', async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}
