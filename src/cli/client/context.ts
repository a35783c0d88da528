/**
 * Everything a client command works with, opened once per command: the config file, an HTTP
 * client (with the CA bundle of the profile in use), and the caches.
 */
import { VERSION } from '../version.ts';
import { getProfile, type LoadedConfig, loadConfig, str } from './aws-config.ts';
import { CredentialCache, SsoCache } from './cache.ts';
import { HttpClient } from './http.ts';
import type { ClientIO } from './io.ts';

export interface ClientContext {
  readonly io: ClientIO;
  readonly cfg: LoadedConfig;
  readonly http: HttpClient;
  readonly sso: SsoCache;
  readonly creds: CredentialCache;
}

export function openContext(io: ClientIO, profileName?: string): ClientContext {
  const cfg = loadConfig(io.env);
  const profile = profileName !== undefined ? getProfile(cfg, profileName) : undefined;
  const caBundle = io.env.AWS_CA_BUNDLE || str(profile?.ca_bundle);
  const http = new HttpClient(io, {
    caBundle,
    userAgent: `idcenter-cli/${VERSION} node/${process.version.slice(1)} os/${process.platform}`,
  });
  return { io, cfg, http, sso: new SsoCache(io.env), creds: new CredentialCache(io.env) };
}

/** Run a command body with a context, closing its connections afterwards. */
export async function withContext<T>(
  io: ClientIO,
  profileName: string | undefined,
  fn: (ctx: ClientContext) => Promise<T>,
): Promise<T> {
  const ctx = openContext(io, profileName);
  try {
    return await fn(ctx);
  } finally {
    ctx.http.close();
  }
}
