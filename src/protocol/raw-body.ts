/**
 * Request bodies as the bytes that arrived, for a plugin whose protocol reads its own: SigV4
 * hashes the exact bytes (STS), and each protocol decodes its body strictly, refusing bytes that
 * are not UTF-8 (`domain/wire-text.ts`) where Fastify's parsers would turn them into U+FFFD.
 * Each plugin calls it in its own scope; `request.body` is then a Buffer, whatever the content
 * type (undefined for a request without a body). The limit is the app's `bodyLimit`.
 */
import type { FastifyInstance } from 'fastify';

export function rawBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}
