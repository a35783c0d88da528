/**
 * This server as an OpenID Connect issuer, for `aws` accounts with `federation: oidc`: the
 * discovery document (`GET /.well-known/openid-configuration`, OpenID Connect Discovery 1.0 §4)
 * and the keys that sign its web identity tokens (`GET /.well-known/jwks.json`, RFC 7517 §5).
 * IAM reads both when an OIDC provider is created and when it verifies a token; they are public,
 * as every issuer's are. With a public URL that has a path (`https://example.com/idc`) they live
 * under it (`/idc/.well-known/…`), where discovery puts them for an issuer with a path.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebIdentityIssuer } from '../../app/federation/web-identity.ts';
import { DISCOVERY_PATH, JWKS_PATH } from '../../domain/federation/web-identity.ts';

export function registerOidcIssuer(
  app: FastifyInstance,
  issuer: WebIdentityIssuer,
  log: FastifyBaseLogger,
): void {
  app.get(DISCOVERY_PATH, async (_request, reply) =>
    reply
      .type('application/json')
      .header('cache-control', 'no-cache')
      .header('access-control-allow-origin', '*')
      .send(JSON.stringify(issuer.discovery())),
  );
  app.get(JWKS_PATH, async (_request, reply) => {
    let jwks: Awaited<ReturnType<WebIdentityIssuer['jwks']>>;
    try {
      jwks = await issuer.jwks();
    } catch (err) {
      log.error({ err }, 'cannot load the web identity signing key for the JWKS');
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send("The server's web identity signing key cannot be loaded; the server log says why.\n");
    }
    return reply
      .type('application/jwk-set+json')
      .header('cache-control', 'no-cache')
      .header('access-control-allow-origin', '*')
      .send(JSON.stringify(jwks));
  });
}
