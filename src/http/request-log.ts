/**
 * The one log line per request: what it says and who writes it. Shared by the Fastify app
 * (`app.ts`, its `RequestLog`) and the fast path (`fast-path.ts`), which answers without Fastify
 * and writes the same line itself, so neither imports the other for it.
 */
import type { FastifyBaseLogger } from 'fastify';

/** What the one log line per request says (`RequestLog` in `app.ts`; the fast path writes the same line). */
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
