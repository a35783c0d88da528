import { configWarnings, loadConfig, type RawSettings } from '../../config/load.ts';
import { settings } from '../../config/schema.ts';
import { startServer } from '../../http/server.ts';

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
  process.stderr.write(
    banner ?? `idcenter server listening on ${server.url} (start URL ${server.config.startUrl})\n`,
  );
  if (server.tlsCaPath) {
    process.stderr.write(
      `HTTPS certificate authority: ${server.tlsCaPath}\n  trust it with: export AWS_CA_BUNDLE=${server.tlsCaPath}\n`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.deps.log.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.deps.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
