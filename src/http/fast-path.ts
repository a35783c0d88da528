/**
 * The fast path: the calls that dominate a busy server — STS calls (a form POST to `/`, the
 * SigV4 check behind every AWS client's GetCallerIdentity), the portal's GetRoleCredentials and
 * the admin APIs' JSON calls (identitystore, sso-admin, organizations: what scripts and
 * Terraform send) — answered straight from node:http, without Fastify's per-request machinery
 * (request and reply objects, hook runners, a child logger each), which costs more than the
 * calls' own work.
 *
 * They run the same protocol code as the Fastify routes (the server's one `StsAnswerer`,
 * `answerGetRoleCredentials`, the server's one `AdminAnswerer`), and what Fastify adds around it
 * is done here too: the request id, `x-amzn-RequestId`, the content type as Fastify sends it,
 * the one request log line and the duration metric. While the server
 * shuts down the fast path keeps answering; the server's response class (`http/drain.ts`) adds
 * `Connection: close` to its answers as to Fastify's. Bodies are read here, but the time a client has to send one is
 * node:http's, enforced on the connection for every request (`clientTimeouts` in `app.ts`): a
 * body that never completes ends in a 408 and a closed connection, and its chunks are dropped
 * with the request. Only plain shapes are taken; anything
 * else goes to Fastify unchanged: a query string on `POST /`, a content type other than a form
 * (STS) or exactly `application/x-amz-json-1.1` with the X-Amz-Target of one of the admin
 * services (another target, even a malformed one, is Fastify's to answer), a body without
 * Content-Length or over 64 KiB, a percent-encoded or odd query on
 * GetRoleCredentials, any other path or method — and every request when the server trusts a
 * proxy (Fastify then works out client addresses). Requests taken here skip Fastify hooks: a
 * new global hook that must see them has to be mirrored here.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ServerDeps } from '../app/server-deps.ts';
import { INTERNAL_MESSAGE } from '../protocol/admin/errors.ts';
import {
  ADMIN_CONTENT_TYPE,
  type AdminAnswer,
  type AdminAnswerer,
  type AdminServiceDef,
} from '../protocol/admin/handler.ts';
import { type AdminTarget, adminTarget } from '../protocol/admin/services.ts';
import { ERROR_TYPE_HEADER } from '../protocol/codecs/aws-json.ts';
import { queryErrorXml } from '../protocol/codecs/aws-query.ts';
import { REQUEST_ID_HEADER } from '../protocol/request-id.ts';
import { PORTAL_INTERNAL, portalErrorAnswer } from '../protocol/sso-portal/errors.ts';
import { answerGetRoleCredentials, type PortalAnswer } from '../protocol/sso-portal/get-role-credentials.ts';
import { STS_REQUEST_ERRORS } from '../protocol/sts/errors.ts';
import type { StsAnswer, StsAnswerer } from '../protocol/sts/handler.ts';
import type { ErrorLog } from '../protocol/wire-error.ts';
import type { RequestLineWriter } from './request-log.ts';

/** Largest body the fast path reads; bigger bodies go through Fastify and its limit. */
const MAX_FAST_PATH_BODY = 64 * 1024;
const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded/i;
/** A query string the fast path parses itself: `name=value` pairs of unreserved characters. */
const PLAIN_QUERY = /^[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*(?:&[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*)*$/;
const GET_ROLE_CREDENTIALS = '/federation/credentials';
const EMPTY = Buffer.alloc(0);
const ADMIN_ANSWER_TYPE = `${ADMIN_CONTENT_TYPE}; charset=utf-8`;

export interface FastPathOptions {
  deps: ServerDeps;
  /** The server's STS, the one its Fastify route answers through. */
  sts: StsAnswerer;
  /** The server's admin APIs, the one answerer of their Fastify route. */
  admin: AdminAnswerer;
  /** The same URL rewriting as Fastify's `rewriteUrl` option. */
  rewrite: (url: string) => string;
  /** The request-duration metric, as the Fastify hook records it. */
  recordDuration: (method: string, route: string, status: number, seconds: number) => void;
  /** The one log line per request, as the Fastify routes write it. */
  requestLine: RequestLineWriter;
}

/** An answer waiting in the outbox, with what its log line and metric need. */
interface Outgoing {
  req: IncomingMessage;
  res: ServerResponse;
  route: string;
  url: string;
  id: string;
  started: number;
  status: number;
  headers: Record<string, string | number>;
  body: string;
}

/** A request's logger for errors: the child with its request id, made only when needed. */
function errorLog(log: FastifyBaseLogger, reqId: string): ErrorLog {
  return {
    error(obj: unknown, msg: string) {
      log.child({ reqId }).error(obj, msg);
    },
    warn(obj: unknown, msg: string) {
      log.child({ reqId }).warn(obj, msg);
    },
  };
}

/** `name=value&…` of unreserved characters into an object; a repeated name becomes an array. */
function parsePlainQuery(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

/** Put the fast path in front of Fastify's request handler on the app's server. */
export function installFastPath(app: FastifyInstance, options: FastPathOptions): void {
  const { deps, sts, admin, rewrite, recordDuration } = options;
  if (deps.config.trustProxy) return;
  const server = app.server;
  const [fastifyHandler] = server.listeners('request') as Array<
    (req: IncomingMessage, res: ServerResponse) => void
  >;
  if (!fastifyHandler) return;
  const line = options.requestLine;

  /**
   * Answers ready in this turn of the event loop, written together when the turn ends (the
   * check phase, right after the reads that brought their requests): a client with many
   * connections then gets its answers in one burst instead of being woken once per answer,
   * which costs both sides more than the answers do. No answer waits for another turn.
   */
  let outbox: Outgoing[] = [];
  const writeOutbox = () => {
    const due = outbox;
    outbox = [];
    for (const o of due) send(o);
  };

  const send = (o: Outgoing) => {
    const { req, res, status, headers, body } = o;
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(status, headers);
    res.end(body);
    const elapsed = performance.now() - o.started;
    recordDuration(req.method ?? 'GET', o.route, status, elapsed / 1000);
    line({
      reqId: o.id,
      method: req.method ?? 'GET',
      url: o.url,
      host: req.headers.host,
      remoteAddress: req.socket.remoteAddress,
      remotePort: req.socket.remotePort,
      statusCode: status,
      responseTime: elapsed,
    });
  };

  const finish = (
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    url: string,
    id: string,
    started: number,
    status: number,
    headers: Record<string, string | number>,
    body: string,
  ) => {
    if (outbox.length === 0) setImmediate(writeOutbox);
    outbox.push({ req, res, route, url, id, started, status, headers, body });
  };

  const answerSts = (
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    body: Buffer,
    started: number,
  ) => {
    const id = randomUUID();
    const answered = (a: StsAnswer) =>
      finish(
        req,
        res,
        '/',
        url,
        id,
        started,
        a.status,
        {
          date: sts.date(),
          [REQUEST_ID_HEADER]: id,
          'content-type': 'text/xml',
        },
        a.body,
      );
    // The answerer never throws; should it, the answer is STS's generic error.
    const broke = (err: unknown) => {
      errorLog(deps.log, id).error({ err }, 'STS request failed');
      const failure = STS_REQUEST_ERRORS.internalFailure;
      answered({
        status: failure.status,
        body: queryErrorXml(failure.status, failure.code, failure.message ?? '', id),
      });
    };
    try {
      const a = sts.answer({
        method: 'POST',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        contentType: req.headers['content-type'],
        body,
        id,
        ip: req.socket.remoteAddress ?? '',
        log: errorLog(deps.log, id),
      });
      if (a instanceof Promise) a.then(answered, broke);
      else answered(a);
    } catch (err) {
      broke(err);
    }
  };

  const answerGrc = (
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    query: Record<string, string | string[]>,
    started: number,
  ) => {
    const id = randomUUID();
    const answered = (a: PortalAnswer) =>
      finish(
        req,
        res,
        GET_ROLE_CREDENTIALS,
        url,
        id,
        started,
        a.status,
        { ...a.headers, [REQUEST_ID_HEADER]: id, 'content-type': 'application/json; charset=utf-8' },
        a.body,
      );
    answerGetRoleCredentials(deps, {
      bearer: req.headers['x-amz-sso_bearer_token'],
      query,
      ip: req.socket.remoteAddress ?? '',
      log: errorLog(deps.log, id),
      receivedAt: started,
    }).then(answered, (err: unknown) => {
      // The answerer never throws; should it, the answer is the portal API's generic error.
      errorLog(deps.log, id).error({ err }, 'portal API request failed');
      const failure = PORTAL_INTERNAL;
      answered({
        status: failure.status,
        ...portalErrorAnswer({ status: failure.status, type: failure.code, message: failure.message ?? '' }),
      });
    });
  };

  const answerAdmin = (
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    body: Buffer,
    started: number,
    target: AdminTarget & { service: AdminServiceDef },
  ) => {
    const id = randomUUID();
    const answered = (a: AdminAnswer) => {
      // As Fastify sends a text answer: with the charset.
      const headers: Record<string, string | number> = { 'content-type': ADMIN_ANSWER_TYPE };
      if (a.errorType !== undefined) headers[ERROR_TYPE_HEADER] = a.errorType;
      headers[REQUEST_ID_HEADER] = id;
      finish(req, res, '/', url, id, started, a.status, headers, a.body);
    };
    const log = errorLog(deps.log, id);
    admin(
      {
        method: 'POST',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        body,
        id,
        ip: req.socket.remoteAddress ?? '',
        secure: (req.socket as TLSSocket).encrypted === true,
        log,
        receivedAt: started,
      },
      target.service,
      target.operation,
    ).then(answered, (err: unknown) => {
      // The answerer never rejects; should it, the answer is the service's generic error.
      log.error({ err }, `${target.operation} failed`);
      const type =
        target.service.service === 'organizations' ? 'ServiceException' : 'InternalServerException';
      answered({
        status: 500,
        errorType: type,
        body: JSON.stringify({ __type: type, Message: INTERNAL_MESSAGE, message: INTERNAL_MESSAGE }),
      });
    });
  };

  /**
   * Requests read in this turn of the event loop, answered together when it ends (the check
   * phase), and then the answers that are ready written together. Working through a burst at
   * once costs less than interleaving each request with the reads of the next; and every
   * GetRoleCredentials of the burst arrived before the first of them reads the store
   * generation, so one read serves them all (`Store.generation`).
   */
  let due: Array<() => void> = [];
  const runDue = () => {
    const list = due;
    due = [];
    for (const answer of list) answer();
    writeOutbox();
  };
  const later = (answer: () => void) => {
    if (due.length === 0) setImmediate(runDue);
    due.push(answer);
  };

  /** Take the request if it is one of the fast path's shapes; false hands it to Fastify. */
  const take = (req: IncomingMessage, res: ServerResponse): boolean => {
    const raw = req.url ?? '/';
    const h = req.headers;
    if (h['transfer-encoding'] !== undefined) return false;
    if (req.method === 'POST') {
      if (raw.includes('?')) return false;
      const url = rewrite(raw);
      if (url !== '/') return false;
      const type = h['content-type'];
      const length = h['content-length'];
      if (typeof type !== 'string') return false;
      if (typeof length !== 'string' || !/^\d{1,6}$/.test(length) || Number(length) > MAX_FAST_PATH_BODY) {
        return false;
      }
      const named = h['x-amz-target'];
      let answer: (body: Buffer, started: number) => void;
      if (named === undefined) {
        if (!FORM_CONTENT_TYPE.test(type)) return false;
        answer = (body, started) => answerSts(req, res, url, body, started);
      } else {
        // An admin call of one of this server's services, as the AWS SDKs send it.
        if (type !== ADMIN_CONTENT_TYPE || typeof named !== 'string') return false;
        const target = adminTarget(named);
        if (!target?.service) return false;
        const known = { ...target, service: target.service };
        answer = (body, started) => answerAdmin(req, res, url, body, started, known);
      }
      const started = performance.now();
      if (length === '0') {
        req.resume();
        req.once('end', () => later(() => answer(EMPTY, started)));
        return true;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.once('end', () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        later(() => answer(body, started));
      });
      return true;
    }
    if (req.method === 'GET') {
      const length = h['content-length'];
      if (length !== undefined && length !== '0') return false;
      const url = rewrite(raw);
      const q = url.indexOf('?');
      if ((q === -1 ? url : url.slice(0, q)) !== GET_ROLE_CREDENTIALS) return false;
      const text = q === -1 ? '' : url.slice(q + 1);
      if (text !== '' && !PLAIN_QUERY.test(text)) return false;
      const query = text === '' ? Object.create(null) : parsePlainQuery(text);
      const started = performance.now();
      later(() => answerGrc(req, res, url, query, started));
      return true;
    }
    return false;
  };

  server.removeListener('request', fastifyHandler);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!take(req, res)) fastifyHandler.call(server, req, res);
  });
}
