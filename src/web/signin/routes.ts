/**
 * The sign-in area: sign-in and sign-out, MFA, device verification and consent, the browser side
 * of the PKCE flow (`/authorize`) and `HEAD /start` for AWS CLI v2's start-URL resolution. One
 * error handler answers every failure here with an HTML page, never a stack trace or JSON; a
 * query or form field that is not UTF-8 text without control characters is a 400 page before
 * any handler runs (`web/request-text.ts`).
 * `GET /start` belongs to the access portal.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { resolvedPortalUrl } from '../../app/auth/start-urls.ts';
import { ensureInstance } from '../../app/instance.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { isDomainError } from '../../domain/errors.ts';
import { messagePage } from '../message-page.ts';
import { pathPrefix } from '../paths.ts';
import { refuseUnreadableText } from '../request-text.ts';
import { registerAuthorizePages } from './authorize-pages.ts';
import { registerDevicePages } from './device-pages.ts';
import { registerMfaPages } from './mfa-pages.ts';
import { registerSigninFlow } from './signin-flow.ts';

export async function registerSignin(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const instance = await ensureInstance(deps.ctx);
  const prefix = pathPrefix(deps.config.publicUrl);

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isDomainError(err) && err.code !== 'internal') {
      return messagePage(reply, prefix, 400, 'Request not valid', err.message);
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return messagePage(
        reply,
        prefix,
        400,
        'Request not valid',
        'The request could not be read. Go back and try again.',
      );
    }
    request.log.error({ err }, 'sign-in page error');
    return messagePage(
      reply,
      prefix,
      500,
      'Something went wrong',
      'The server could not complete the request. Try again.',
    );
  });

  app.addHook('preHandler', refuseUnreadableText);

  // (docs/wire-protocols.md, "Start URL resolution"): AWS CLI v2 (>= 2.35.13) sends
  // HEAD <start URL> and accepts the start URL only if it redirects once to an AWS-owned host; it
  // never fetches that host.
  const location = resolvedPortalUrl(instance.instance_id, deps.config.region);
  app.head('/start', async (_request, reply) =>
    reply.header('cache-control', 'no-store').redirect(location, 302),
  );

  registerSigninFlow(app, deps);
  registerMfaPages(app, deps);
  registerDevicePages(app, deps);
  registerAuthorizePages(app, deps);
}
