/**
 * Shutting down without dropping anyone, in the order a load balancer needs:
 *
 * 1. Draining begins: /readyz answers 503 `{"status":"draining"}` and every answer from now on
 *    carries `Connection: close`, so keep-alive clients open a new connection (to another
 *    replica) for their next request instead of meeting a closed socket or a 503.
 * 2. For the grace period the server still accepts connections and answers everything: the
 *    load balancer, polling /readyz, takes the replica out of rotation meanwhile.
 * 3. The server stops listening and closes idle connections; requests in flight finish (their
 *    answers close their connections).
 * 4. Connections still open when the timeout passes are closed.
 *
 * The store closes after that (`startServer`'s `close`).
 */
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { OpenConnections } from './connections.ts';

type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

export interface Drain {
  /** True once shutdown has begun. */
  readonly draining: boolean;
  /** Step 1: readiness fails, every answer closes its connection. */
  begin(): void;
  /**
   * The server's response class (node:http's `ServerResponse` option): once draining, every
   * answer written carries `Connection: close` — to requests that arrive on keep-alive
   * connections as to those already in flight, on the Fastify routes as on the fast path, which
   * all write their head through `writeHead` (`res.end()` alone too).
   */
  readonly Response: typeof ServerResponse;
}

/**
 * The draining state of one server, read by /readyz and its responses (`BuildOptions.drain`).
 *
 * @example const drain = createDrain(); buildApp(deps, {}, { drain });
 */
export function createDrain(): Drain {
  let draining = false;
  const writeHead = ServerResponse.prototype.writeHead as WriteHead;
  class Response<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
    override writeHead(...args: unknown[]): this {
      if (draining && !this.headersSent) this.setHeader('connection', 'close');
      return writeHead.apply(this, args) as this;
    }
  }
  return {
    get draining() {
      return draining;
    },
    begin() {
      draining = true;
    },
    Response,
  };
}

export interface DrainTimes {
  /** Step 2: how long to keep accepting connections after readiness fails. */
  graceMs: number;
  /** Step 4: how long requests in flight may take after the server stops listening. */
  timeoutMs: number;
}

/**
 * Steps 1 to 4 for `app`; resolves once every connection is closed.
 *
 * @example await drainServer(app, drain, open, { graceMs: 5000, timeoutMs: 20000 }, log);
 */
export async function drainServer(
  app: FastifyInstance,
  drain: Drain,
  open: OpenConnections,
  times: DrainTimes,
  log: FastifyBaseLogger,
): Promise<void> {
  drain.begin();
  if (times.graceMs > 0) await new Promise((resolve) => setTimeout(resolve, times.graceMs));
  const closed = app.close();
  const deadline = setTimeout(() => {
    const cut = open.destroyAll();
    log.warn(
      { connections: cut, timeoutSeconds: times.timeoutMs / 1000 },
      'shutdown timeout passed: closing the connections still open (IDCENTER_SHUTDOWN_TIMEOUT)',
    );
  }, times.timeoutMs);
  try {
    await closed;
  } finally {
    clearTimeout(deadline);
  }
}
