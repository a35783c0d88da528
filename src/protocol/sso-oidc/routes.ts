/**
 * SSO OIDC (restJson1): RegisterClient, StartDeviceAuthorization and CreateToken, in their own
 * plugin scope with one catch point, so every failure — a domain error, a body that is not JSON,
 * a body too large — leaves as an SSO OIDC error with `x-amzn-ErrorType` (docs/wire-protocols.md,
 * "Error envelopes"). The browser side (`GET /authorize`, device and consent pages) lives in
 * web/signin.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { authSettings } from '../../app/auth/issue.ts';
import { startUrlMatcher } from '../../app/auth/start-urls.ts';
import { ensureInstance } from '../../app/instance.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { isDomainError } from '../../domain/errors.ts';
import { rawBodies } from '../raw-body.ts';
import { sendRequestIds } from '../request-id.ts';
import type { OidcContext } from './context.ts';
import { createToken } from './create-token.ts';
import { INTERNAL, INVALID_REQUEST, OIDC_ERRORS, sendOidcError } from './errors.ts';
import { registerClient } from './register-client.ts';
import { startDeviceAuthorization } from './start-device-authorization.ts';

export async function registerSsoOidc(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const instance = await ensureInstance(deps.ctx);
  const oidc: OidcContext = {
    deps,
    settings: authSettings(deps.config),
    origin: new URL(deps.config.publicUrl).origin,
    isAcceptedStartUrl: startUrlMatcher(deps.config, instance.instance_id),
  };

  // JSON bodies are read strictly by `codec.ts`.
  rawBodies(app);
  sendRequestIds(app);
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isDomainError(err)) {
      const shape = OIDC_ERRORS[err.code];
      if (shape === INTERNAL) request.log.error({ err }, 'sso-oidc internal error');
      // Private detail is for the log only; the answer carries the public message.
      else if (err.detail !== undefined) {
        request.log.warn({ code: err.code, detail: err.detail }, 'sso-oidc request refused');
      }
      return sendOidcError(reply, shape, shape === INTERNAL ? 'An internal error occurred' : err.message);
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      const description =
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'The request body is too large'
          : 'The request could not be read';
      return sendOidcError(reply, INVALID_REQUEST, description);
    }
    request.log.error({ err }, 'sso-oidc unhandled error');
    return sendOidcError(reply, INTERNAL, 'An internal error occurred');
  });

  app.post('/client/register', (request, reply) => registerClient(oidc, request, reply));
  app.post('/device_authorization', (request, reply) => startDeviceAuthorization(oidc, request, reply));
  app.post('/token', (request, reply) => createToken(oidc, request, reply));
}
