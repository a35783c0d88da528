/**
 * `GET /saml/metadata`: this server's SAML identity provider metadata, the document an
 * administrator gives to `aws iam create-saml-provider` (or that `idcenter apply` uploads) so IAM
 * trusts the assertions this server signs. Public, as every IdP's metadata is: it holds only the
 * entity id, certificates and the sign-in URL.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { SamlIdentityProvider } from '../../app/federation/identity-provider.ts';

export const SAML_METADATA_TYPE = 'application/samlmetadata+xml';

export function registerSamlMetadata(
  app: FastifyInstance,
  idp: SamlIdentityProvider,
  log: FastifyBaseLogger,
): void {
  app.get('/saml/metadata', async (_request, reply) => {
    let metadata: string;
    try {
      metadata = await idp.metadata();
    } catch (err) {
      log.error({ err }, 'cannot load the SAML signing key for the metadata');
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send("The server's SAML signing key cannot be loaded; the server log says why.\n");
    }
    return reply.type(SAML_METADATA_TYPE).header('cache-control', 'no-cache').send(metadata);
  });
}
