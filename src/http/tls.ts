/**
 * HTTPS options for `idcenter server --tls`. Placeholder until sign-in lands: TLS is refused
 * with a clear message.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/schema.ts';

export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
}

export async function loadTlsOptions(
  config: Config,
  _log: FastifyBaseLogger,
): Promise<TlsOptions | undefined> {
  if (!config.tls) return undefined;
  throw new Error('--tls is not available yet');
}
