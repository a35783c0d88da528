/**
 * Starting and stopping a server: make what the data directory holds private, take the
 * one-server lock on a SQLite file, open the store (migrations run), make sure the instance
 * exists and the credential keys are the store's, listen with a cap on connections per client
 * address, sweep expired rows in the background (`http/sweeper.ts`), and on close drain
 * (readiness fails, in-flight requests finish, keep-alive clients are told to reconnect;
 * `http/drain.ts`) and let a sweep in flight finish before closing the store.
 */

import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import type { PasswordQueue } from '../app/auth/password-queue.ts';
import { createAppContext } from '../app/context.ts';
import { startingKeyRing } from '../app/credentials/key-record.ts';
import { createCredentialService } from '../app/credentials/service.ts';
import { createFederation } from '../app/federation/federation.ts';
import { ensureInstance } from '../app/instance.ts';
import type { ServerDeps } from '../app/server-deps.ts';
import { withListenPort } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Clock, Random } from '../domain/runtime.ts';
import { openStore, type Store } from '../storage/db.ts';
import { ensurePrivateDir, privatePaths, tightenModes } from '../storage/private-files.ts';
import { acquireServerLock, type ServerLock } from '../storage/server-lock.ts';
import { buildApp } from './app.ts';
import { limitConnections } from './connections.ts';
import { type DirectorySyncer, startDirectorySync } from './directory-sync.ts';
import { createDrain, drainServer } from './drain.ts';
import { createMetrics } from './metrics.ts';
import { type RequestLineWriter, setRequestLineWriter } from './request-log.ts';
import { type Sweeper, startSweeper } from './sweeper.ts';
import { keepGeneratedTlsFresh, loadTlsOptions, type SecureContextTarget } from './tls.ts';

/** Header and field names whose values never reach the log. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-amz-sso_bearer_token"]',
  'req.headers["x-amz-security-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.clientSecret',
  '*.accessToken',
  '*.refreshToken',
  '*.deviceCode',
  '*.secretAccessKey',
  '*.sessionToken',
];

/**
 * Query parameters whose values never reach the log, by name as the server reads it (percent-
 * and `+`-decoded), in any case: presigned SigV4 URLs carry the session token and signature,
 * device verification links a live user code; the OAuth names are here in case a client puts
 * one in a query. `X-Amz-Credential` is not: an access key id names a key, it is no secret (AWS
 * logs it too), and without the token and signature a presigned URL cannot be used again.
 */
const SECRET_QUERY_NAMES = new Set([
  'x-amz-security-token',
  'x-amz-signature',
  'user_code',
  'device_code',
  'code',
  'code_verifier',
  'client_secret',
  'access_token',
  'refresh_token',
  'id_token',
  'password',
]);

/** How many URLs deep a value is searched (`/signin?return=/device?user_code=…`). */
const NESTED_URL_DEPTH = 3;

/** Percent- and `+`-decoding that never throws: a sequence that is not UTF-8 stays as written. */
function decodeQueryPart(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return text.replace(/\+/g, ' ').replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** A parameter name as the server would match it: decoded, no spaces or controls, any case. */
function isSecretName(raw: string): boolean {
  const name = decodeQueryPart(raw)
    .replace(/[\s\p{Cc}]/gu, '')
    .replace(/\[\]$/, '')
    .toLowerCase();
  return SECRET_QUERY_NAMES.has(name);
}

/**
 * A query string with the value of every secret parameter written `[redacted]`, and the whole
 * value of a parameter that carries a URL with one (the sign-in page's `return=%2Fdevice%3F…`).
 * Unchanged (the same string) when there is nothing to redact.
 */
function redactQuery(query: string, depth: number): string {
  if (!query.includes('=')) return query;
  const parts = query.split(/([&;])/);
  let changed = false;
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i] ?? '';
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const value = part.slice(eq + 1);
    if (value === '' || value === '[redacted]') continue;
    if (isSecretName(part.slice(0, eq)) || (depth < NESTED_URL_DEPTH && carriesSecret(value, depth + 1))) {
      parts[i] = `${part.slice(0, eq)}=[redacted]`;
      changed = true;
    }
  }
  return changed ? parts.join('') : query;
}

/**
 * Whether a parameter value, decoded, is (or ends in) a query with a secret parameter; a value
 * encoded more than once is decoded again, up to `NESTED_URL_DEPTH` in all.
 */
function carriesSecret(value: string, depth: number): boolean {
  const text = decodeQueryPart(value);
  if (!text.includes('=')) {
    return text !== value && depth < NESTED_URL_DEPTH && carriesSecret(text, depth + 1);
  }
  const q = text.indexOf('?');
  const query = q === -1 ? text : text.slice(q + 1);
  return redactQuery(query, depth) !== query;
}

/**
 * The URL as logged: secret query parameters redacted (see `SECRET_QUERY_NAMES`).
 *
 * @example redactUrl('/?X%2DAmz%2DSignature=abc&Action=x') // '/?X%2DAmz%2DSignature=[redacted]&Action=x'
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const query = url.slice(q + 1);
  const redacted = redactQuery(query, 0);
  return redacted === query ? url : `${url.slice(0, q + 1)}${redacted}`;
}

/** Fastify's request serializer, with secret query parameters redacted from the URL. */
function serializeRequest(req: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): FastifyBaseLogger {
  const stream = destination ?? process.stdout;
  const log = pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'idcenter' },
      serializers: { req: serializeRequest },
    },
    stream,
  );
  const fastifyLog = log as unknown as FastifyBaseLogger;
  setRequestLineWriter(fastifyLog, log.isLevelEnabled('info') ? requestLineWriter(stream) : () => {});
  return fastifyLog;
}

const json = JSON.stringify;

/** Writers holding lines not yet written, flushed on exit. */
const unflushed = new Set<() => void>();
let flushOnExit = false;

/**
 * The one line per request, in the logger's own format (what pino writes for
 * `log.info({ reqId, req, res, responseTime }, 'request completed')` with the request serializer
 * above): formatting it through pino costs more than many requests do. It carries only these
 * fields, never headers or bodies, and the URL with secret query parameters redacted. The lines
 * of one turn of the event loop leave in one write, after the answers of that turn (one write
 * per request cost more than a GetCallerIdentity); lines still held are written when the process
 * exits.
 */
function requestLineWriter(stream: NodeJS.WritableStream): RequestLineWriter {
  let pending = '';
  const flush = () => {
    unflushed.delete(flush);
    if (pending === '') return;
    const out = pending;
    pending = '';
    stream.write(out);
  };
  return (f) => {
    const url = redactUrl(f.url);
    let req = `"method":${json(f.method)},"url":${json(url)}`;
    if (f.host !== undefined) req += `,"host":${json(f.host)}`;
    if (f.remoteAddress !== undefined) req += `,"remoteAddress":${json(f.remoteAddress)}`;
    if (f.remotePort !== undefined) req += `,"remotePort":${f.remotePort}`;
    if (pending === '') {
      unflushed.add(flush);
      setImmediate(flush);
      if (!flushOnExit) {
        flushOnExit = true;
        process.once('exit', () => {
          for (const write of unflushed) write();
        });
      }
    }
    pending += `{"level":30,"time":${Date.now()},"service":"idcenter","reqId":${json(f.reqId)},"req":{${req}},"res":{"statusCode":${f.statusCode}},"responseTime":${f.responseTime},"msg":"request completed"}\n`;
  };
}

export interface RunningServer {
  readonly url: string;
  readonly config: Config;
  readonly app: FastifyInstance;
  readonly deps: ServerDeps;
  /** The generated CA certificate to trust (AWS_CA_BUNDLE) when serving HTTPS with one; else null. */
  readonly tlsCaPath: string | null;
  /** The expiry sweep that runs every `IDCENTER_SWEEP_INTERVAL` (`http/sweeper.ts`). */
  readonly sweeper: Sweeper;
  /** The directory sync that runs every `syncInterval` of the identity source (`http/directory-sync.ts`). */
  readonly directorySync: DirectorySyncer;
  /**
   * Drain and stop: /readyz answers 503 at once and every answer closes its connection; after
   * `graceSeconds` (default 0) the server stops listening, requests in flight finish (for at
   * most `IDCENTER_SHUTDOWN_TIMEOUT`), then the store closes. Calling it again returns the
   * same promise.
   */
  close(options?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  /** How long to keep serving while readiness fails (`IDCENTER_SHUTDOWN_GRACE` on SIGTERM). */
  graceSeconds?: number;
}

export interface StartOptions {
  clock?: Clock;
  random?: Random;
  logger?: FastifyBaseLogger;
  /** Called after the store is open and before listening (demo data, for instance). */
  beforeListen?: ((deps: ServerDeps) => Promise<void>) | undefined;
  /**
   * Internal, for tests: false turns the fast path off, so every request goes through the
   * Fastify routes (`BuildOptions.fastPath`). Default true.
   */
  fastPath?: boolean;
  /** Internal, for tests: the sign-in password queue (small sizes, a check that waits). */
  passwordQueue?: PasswordQueue;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const log = options.logger ?? createLogger(config.logLevel);
  let lock: ServerLock | undefined;
  let store: Store | undefined;
  try {
    const sqliteFile =
      config.databaseUrl.startsWith('sqlite:') && config.databaseUrl !== 'sqlite::memory:'
        ? config.databaseUrl.slice('sqlite:'.length)
        : null;
    if (sqliteFile) ensurePrivateDir(config.dataDir);
    tightenDataDir(config.dataDir, sqliteFile, log);
    if (sqliteFile) lock = acquireServerLock(sqliteFile);
    store = await openStore(config.databaseUrl);
    const ctx = createAppContext(store, {
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.passwordQueue ? { passwordQueue: options.passwordQueue } : {}),
    });
    await ensureInstance(ctx);
    await startingKeyRing(store.db, config, ctx.random, ctx.clock.now());
    const metrics = createMetrics();
    const tls = await loadTlsOptions(config, log);
    const port = config.port === 0 ? await reservePort(config.host) : config.port;
    const listening = withListenPort(config, port);
    const deps: ServerDeps = {
      config: listening,
      ctx,
      credentials: createCredentialService({ ctx, config: listening, log, metrics }),
      log,
      metrics,
      federation: createFederation(listening),
    };
    if (options.beforeListen) await options.beforeListen(deps);
    const drain = createDrain();
    const app = await buildApp(deps, tls ? { https: { key: tls.key, cert: tls.cert } } : {}, {
      fastPath: options.fastPath ?? true,
      drain,
    });
    const open = limitConnections(app.server, {
      maxPerAddress: config.maxConnectionsPerAddress,
      log,
      metrics,
    });
    await listenOrExplain(app, config.host, port);
    // A generated certificate is replaced while the server runs (it lives 90 days); with TLS on,
    // app.server is an https server.
    const renewal = tls?.caPath
      ? keepGeneratedTlsFresh(app.server as unknown as SecureContextTarget, deps.config, log)
      : undefined;
    // Rows that can never be used again go in the background (app/expiry-sweep.ts).
    const sweeper = startSweeper(ctx, config.sweepInterval * 1000, log, metrics);
    // Users and groups from Active Directory or LDAP, when the identity source is one.
    const directorySync = startDirectorySync(ctx, log, metrics, deps.credentials);
    const openStoreRef = store;
    const openLock = lock;
    let closing: Promise<void> | undefined;
    return {
      url: deps.config.publicUrl,
      config: deps.config,
      app,
      deps,
      tlsCaPath: tls?.caPath ?? null,
      sweeper,
      directorySync,
      close(closeOptions = {}) {
        closing ??= (async () => {
          renewal?.stop();
          const swept = sweeper.stop();
          const synced = directorySync.stop();
          await drainServer(
            app,
            drain,
            open,
            {
              graceMs: (closeOptions.graceSeconds ?? 0) * 1000,
              timeoutMs: config.shutdownTimeout * 1000,
            },
            log,
          );
          await swept;
          await synced;
          deps.federation.sts.close();
          await ctx.memory.directoryConnections.close();
          await openStoreRef.close();
          openLock?.release();
        })();
        return closing;
      },
    };
  } catch (err) {
    await store?.close().catch(() => {});
    lock?.release();
    throw err;
  }
}

/**
 * Start-up check of the data directory's modes: whatever idcenter keeps there (see
 * `privatePaths`) that group or others may read is made private, and a warning names it.
 */
function tightenDataDir(dataDir: string, sqliteFile: string | null, log: FastifyBaseLogger): void {
  const loose = tightenModes(privatePaths(dataDir, sqliteFile));
  const tightened = loose.filter((l) => l.error === undefined);
  const failed = loose.filter((l) => l.error !== undefined);
  if (tightened.length > 0) {
    log.warn(
      { files: tightened.map((l) => ({ path: l.path, was: l.was })) },
      `data directory: ${tightened.map((l) => `${l.path} (was ${l.was})`).join(', ')} could be read by other users; made private (directories 0700, files 0600)`,
    );
  }
  if (failed.length > 0) {
    log.error(
      { files: failed.map((l) => ({ path: l.path, was: l.was, problem: l.error })) },
      `data directory: ${failed.map((l) => `${l.path} (${l.was})`).join(', ')} can be read by other users and could not be made private: chmod them (go-rwx) as their owner`,
    );
  }
}

/**
 * A port or address the server cannot listen on is a mistake of settings, not a crash: the
 * message names the address and how to choose another (the CLI prints it with exit code 253).
 */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

async function listenOrExplain(
  app: { listen(options: { host: string; port: number }): Promise<unknown> },
  host: string,
  port: number,
): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (code === 'EADDRINUSE') {
      throw new ListenError(
        `port ${port} is already in use on ${host} (another idcenter server or another program listens on ${where}); ` +
          'stop it, or choose another port with --port N (or IDCENTER_PORT=N), or --port 0 for any free port',
      );
    }
    if (code === 'EACCES') {
      throw new ListenError(
        `not permitted to listen on ${where} (ports below 1024 need privileges); choose another port with --port N (or IDCENTER_PORT=N)`,
      );
    }
    if (code === 'EADDRNOTAVAIL') {
      throw new ListenError(
        `cannot listen on ${where}: ${host} is not an address of this machine; choose another with --host (or IDCENTER_HOST)`,
      );
    }
    throw err;
  }
}

/** Ask the OS for a free port on `host` (for port 0), so URLs are known before routes exist. */
async function reservePort(host: string): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0 }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
