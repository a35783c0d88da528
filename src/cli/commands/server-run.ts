import fs from 'node:fs';
import path from 'node:path';
import { configWarnings, loadConfig, type RawSettings } from '../../config/load.ts';
import { settings } from '../../config/schema.ts';
import { type RunningServer, startServer } from '../../http/server.ts';

export async function runServer(opts: Record<string, string | boolean>): Promise<void> {
  const flags: RawSettings = {};
  for (const key of Object.keys(settings) as (keyof typeof settings)[]) {
    const v = opts[key];
    if (typeof v === 'string') flags[key] = v;
    else if (v === true) flags[key] = 'true';
  }
  const config = loadConfig(flags, process.env);
  for (const w of configWarnings(config)) process.stderr.write(`idcenter: warning: ${w}\n`);
  let banner: string | undefined;
  const server = await startServer(config, {
    beforeListen: opts.demo
      ? async (deps) => {
          const { loadDemoIfEmpty } = await import('../../app/demo.ts');
          banner = await loadDemoIfEmpty(deps.ctx, deps.config);
        }
      : undefined,
  });
  // Before the banner: a signal sent by whoever read it must find the handlers in place.
  handleStopSignals(server);
  process.stderr.write(
    banner ?? `idcenter server listening on ${server.url} (start URL ${server.config.startUrl})\n`,
  );
  if (typeof opts.readyFile === 'string') writeReadyFile(opts.readyFile, server);
  if (server.tlsCaPath) {
    process.stderr.write(
      `HTTPS certificate authority: ${server.tlsCaPath}\n  trust it with: export AWS_CA_BUNDLE=${server.tlsCaPath}\n`,
    );
  }
}

/**
 * SIGTERM (an orchestrator or load balancer stopping a replica) drains: readiness fails at
 * once, the server keeps answering for `IDCENTER_SHUTDOWN_GRACE`, then stops listening and lets
 * requests in flight finish. SIGINT (Ctrl-C at a terminal) drains without the grace. A second
 * signal exits at once.
 */
function handleStopSignals(server: RunningServer): void {
  const log = server.deps.log;
  let stopping = false;
  const stop = (signal: 'SIGTERM' | 'SIGINT') => {
    if (stopping) {
      log.warn({ signal }, 'second signal during shutdown: exiting without waiting for requests in flight');
      process.exit(1);
    }
    stopping = true;
    const graceSeconds = signal === 'SIGTERM' ? server.config.shutdownGrace : 0;
    log.info(
      { signal, graceSeconds, timeoutSeconds: server.config.shutdownTimeout },
      'shutting down: /readyz fails now; the server stops listening after the grace, then in-flight requests finish',
    );
    server.close({ graceSeconds }).then(
      () => {
        log.info('shut down');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * What a CI job waits for: the file appears, whole, once the server answers (written to a
 * temporary name, then renamed), with where to reach it. Removed when the server stops.
 */
function writeReadyFile(file: string, server: RunningServer): void {
  const target = path.resolve(file);
  const tmp = `${target}.${process.pid}.tmp`;
  const ready = {
    url: server.url,
    port: server.config.port,
    startUrl: server.config.startUrl,
    region: server.config.region,
    pid: process.pid,
    ...(server.tlsCaPath ? { caBundle: server.tlsCaPath } : {}),
  };
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeFileSync(fd, `${JSON.stringify(ready, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  process.once('exit', () => fs.rmSync(target, { force: true }));
}
