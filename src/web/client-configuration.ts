/**
 * What a client needs to know to talk to this server, from its start URL alone: `GET
 * /.well-known/idcenter-configuration` (under the public URL's path prefix, as the OpenID
 * discovery document is). `idcenter configure sso` reads it when the start URL is not an AWS
 * one, so nobody has to give `--endpoint-url` or the region (docs/cli.md).
 *
 * Everything in it is public: the start URLs are what the sign-in pages show, the instance id
 * is what `HEAD /start` tells every AWS CLI v2.
 */
import type { FastifyInstance } from 'fastify';
import { resolvedPortalUrl } from '../app/auth/start-urls.ts';
import { ensureInstance } from '../app/instance.ts';
import type { ServerDeps } from '../app/server-deps.ts';
import { clientUrls } from './client-download.ts';

export const CLIENT_CONFIGURATION_PATH = '/.well-known/idcenter-configuration';

export interface ClientConfiguration {
  /** The start URL people are given. */
  start_url: string;
  /** Every start URL the server accepts as startUrl/issuerUrl (the aliases included). */
  start_urls: string[];
  region: string;
  sso_endpoint: string;
  sso_oidc_endpoint: string;
  sts_endpoint: string;
  /** True when HTTPS uses the certificate authority the server generated (clients must trust it). */
  generated_ca: boolean;
  client_tarball: string;
}

export async function registerClientConfiguration(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const { config } = deps;
  const instance = await ensureInstance(deps.ctx);
  const base = config.publicUrl.replace(/\/+$/, '');
  const document: ClientConfiguration = {
    start_url: config.startUrl,
    start_urls: [
      ...new Set([
        config.startUrl,
        resolvedPortalUrl(instance.instance_id, config.region),
        ...config.startUrlAliases,
      ]),
    ],
    region: config.region,
    sso_endpoint: base,
    sso_oidc_endpoint: base,
    sts_endpoint: base,
    generated_ca: config.tls && config.tlsCert === '',
    client_tarball: clientUrls(base).tarball,
  };
  const body = JSON.stringify(document);
  app.get(CLIENT_CONFIGURATION_PATH, async (_request, reply) =>
    reply
      .type('application/json')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(body),
  );
}
