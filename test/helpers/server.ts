/**
 * A real server on 127.0.0.1 with an ephemeral port and a store of its own, for protocol and
 * end-to-end tests. Logs go nowhere unless IDCENTER_TEST_LOG is set.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import type { PasswordQueue } from '../../src/app/auth/password-queue.ts';
import type { AppContext } from '../../src/app/context.ts';
import { createCredentialService } from '../../src/app/credentials/service.ts';
import { createFederation } from '../../src/app/federation/federation.ts';
import type { ServerDeps } from '../../src/app/server-deps.ts';
import { loadConfig, type RawSettings } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Clock, Random } from '../../src/domain/runtime.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { createLogger, type RunningServer, startServer } from '../../src/http/server.ts';
import { type StoreKind, type TempStoreUrl, tempStoreUrl } from './stores.ts';

/**
 * The metrics token of test servers (unless a test gives its own): `/metrics` is served on the
 * public listener only with a token (`scrapeMetrics` sends it).
 */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';

export interface TestServer extends RunningServer {
  /** Stop the server and remove its store (unless it was given in `reuse`). */
  stop(): Promise<void>;
  /** Captured log lines (JSON text), for tests that check what is (not) logged. */
  logs: string[];
}

export interface TestServerOptions {
  store?: StoreKind;
  settings?: RawSettings;
  clock?: Clock;
  random?: Random;
  /** Seed data before the server listens (e.g. apply an organization). */
  seed?: (deps: ServerDeps) => Promise<void>;
  /**
   * Open this store and data dir (from `tempStoreUrl`, or a server stopped before) instead of a
   * fresh one; `stop()` then leaves it in place for the caller to clean up.
   */
  reuse?: TempStoreUrl;
  /** False: every request through the Fastify routes (`StartOptions.fastPath`). */
  fastPath?: boolean;
  /** The sign-in password queue (`StartOptions.passwordQueue`). */
  passwordQueue?: PasswordQueue;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const temp = options.reuse ?? (await tempStoreUrl(options.store ?? 'sqlite'));
  const config = loadConfig(
    {
      host: '127.0.0.1',
      port: '0',
      dataDir: temp.dataDir,
      databaseUrl: temp.url,
      logLevel: 'info',
      metricsToken: TEST_METRICS_TOKEN,
      ...options.settings,
    },
    {},
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      // One write may carry several lines (request lines leave together): one entry per line.
      const text = chunk.toString();
      for (const line of text.split('\n')) if (line !== '') logs.push(`${line}\n`);
      if (process.env.IDCENTER_TEST_LOG) process.stderr.write(text);
      cb();
    },
  });
  const server = await startServer(config, {
    logger: createLogger(config.logLevel, sink),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.seed ? { beforeListen: options.seed } : {}),
    ...(options.fastPath !== undefined ? { fastPath: options.fastPath } : {}),
    ...(options.passwordQueue ? { passwordQueue: options.passwordQueue } : {}),
  });
  return Object.assign(server, {
    logs,
    async stop() {
      await server.close();
      if (!options.reuse) await temp.cleanup();
    },
  });
}

/** A port free on 127.0.0.1 just now, for a server that must listen on a known port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/**
 * What a server hands its areas, for a test that calls use cases on a context without starting
 * a server: silent logs, metrics of its own, the credential service built now (as
 * `startServer` does).
 */
export function serverDepsFor(ctx: AppContext, config: Config): ServerDeps {
  const log = createLogger('silent');
  const metrics = createMetrics(false);
  return {
    config,
    ctx,
    credentials: createCredentialService({ ctx, config, log, metrics }),
    log,
    metrics,
    federation: createFederation(config),
  };
}
