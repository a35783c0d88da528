/**
 * The access portal in the browser (docs/behaviour.md, "Access portal"):
 *
 * | Route | What |
 * |---|---|
 * | `GET /start` | the account list page (signed out: to sign-in, back to /start afterwards) |
 * | `GET /start/access.json` | every account and permission set of the signed-in person, one response |
 * | `POST /start/credentials` | role credentials for the "Access keys" dialog (JSON, CSRF header) |
 * | `GET`, `POST /start/console` | console sign-in for a role of an `aws` account (`console.ts`) |
 * | `GET /profile` | details, MFA devices, active sessions |
 * | `POST /profile/sessions/revoke`, `/profile/sessions/revoke-all` | sign a session out, or all |
 *
 * `HEAD /start` belongs to the sign-in area (docs/wire-protocols.md, "Start URL resolution"). Pages
 * carry the strict CSP of `sendPage`; JSON answers are `no-store`. Errors leave as JSON on the JSON
 * routes and as an HTML page elsewhere, never with internals; a query or form field that is not
 * UTF-8 text without control characters is refused with 400 before any handler runs
 * (`web/request-text.ts`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { portalAccounts } from '../../app/access.ts';
import { consoleAdmin } from '../../app/admin/console-authority.ts';
import { loadProfile } from '../../app/profile.ts';
import { MAX_CREDENTIAL_LIFETIME_MS } from '../../app/revocation.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { listSessions, type RevokeOwnRequest, revokeOwnSessions } from '../../app/sessions.ts';
import { isDomainError } from '../../domain/errors.ts';
import { verifyCsrf } from '../csrf.ts';
import { page } from '../layout.ts';
import { BACK_TO_ACCOUNTS, messagePage } from '../message-page.ts';
import { pathPrefix, webPath } from '../paths.ts';
import { formFields, refuseUnreadableText } from '../request-text.ts';
import { sendPage, setPageHeaders } from '../security.ts';
import { clearSessionCookie, currentSession, redirectToSignIn } from '../session.ts';
import { handleConsole } from './console.ts';
import { handleCredentials } from './credentials.ts';
import { profileBody } from './profile-page.ts';
import { startPageBody } from './start-page.ts';

const JSON_ROUTES = new Set(['/start/access.json', '/start/credentials']);

/** Session ids are UUIDs; anything else cannot name a session. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const NOTICES: Record<string, string> = {
  'signed-out': 'That session is signed out.',
  'not-found': 'That session had already ended.',
};

export async function registerPortal(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const prefix = pathPrefix(deps.config.publicUrl);
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    // A request refused for what it says (`refuseUnreadableText`): its message says what to fix.
    const refused = isDomainError(err, 'invalid_request');
    const status = refused
      ? 400
      : err.statusCode && err.statusCode >= 400 && err.statusCode < 500
        ? err.statusCode
        : 500;
    if (status === 500) request.log.error({ err }, 'portal error');
    const message = refused
      ? err.message
      : status === 413
        ? 'The request is too large.'
        : status === 500
          ? 'Something went wrong on our side. Try again in a moment.'
          : 'The request could not be understood.';
    const path = request.url.split('?')[0] ?? '';
    if (JSON_ROUTES.has(path))
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .type('application/json')
        .send({ message });
    return messagePage(
      reply,
      prefix,
      status,
      status === 500 ? 'Something went wrong' : 'Bad request',
      message,
      null,
      BACK_TO_ACCOUNTS,
    );
  });

  app.addHook('preHandler', refuseUnreadableText);

  app.get('/start', async (request, reply) => {
    const session = await currentSession(request, deps);
    if (!session) return redirectToSignIn(reply, prefix, '/start');
    return sendPage(
      reply,
      page({
        title: 'AWS access portal',
        session,
        prefix,
        scripts: ['portal.js'],
        body: startPageBody({
          prefix,
          csrfToken: session.csrfToken,
          startUrl: deps.config.startUrl,
          region: deps.config.region,
          publicUrl: deps.config.publicUrl,
        }),
      }),
    );
  });

  app.get('/start/access.json', async (request, reply) => {
    const session = await currentSession(request, deps);
    setPageHeaders(reply);
    if (!session)
      return reply
        .code(401)
        .type('application/json')
        .send({ message: 'You are not signed in. Sign in again.' });
    const accounts = await portalAccounts(deps.ctx.store, session.userId);
    return reply.type('application/json').send(JSON.stringify({ accounts }));
  });

  app.post('/start/credentials', async (request, reply) => handleCredentials(request, reply, deps));

  app.get('/start/console', async (request, reply) => handleConsole(request, reply, deps, prefix));
  app.post('/start/console', async (request, reply) => handleConsole(request, reply, deps, prefix));

  app.get('/profile', async (request, reply) => {
    const session = await currentSession(request, deps);
    if (!session) return redirectToSignIn(reply, prefix, '/profile');
    const profile = await loadProfile(deps.ctx, session.userId);
    if (!profile) return redirectToSignIn(reply, prefix, '/profile');
    const sessions = await listSessions(deps.ctx, { userId: session.userId, signedInOnly: true, limit: 200 });
    const q = request.query as Record<string, unknown>;
    const notice = typeof q.done === 'string' ? NOTICES[q.done] : undefined;
    return sendPage(
      reply,
      page({
        title: 'Profile',
        session,
        prefix,
        scripts: ['profile.js'],
        body: profileBody({
          prefix,
          session,
          ...profile,
          sessions,
          notice,
          requireMfa: deps.config.requireMfa,
          administrator: (await consoleAdmin(deps.ctx, session, deps.config.partition)) !== undefined,
        }),
      }),
    );
  });

  /** Sign sessions out, and stop their credentials on this server at once (others within 60 s). */
  async function revoke(req: RevokeOwnRequest): Promise<string[]> {
    const result = await revokeOwnSessions(deps.ctx, req);
    const { revocations } = deps.credentials;
    for (const r of result.revocations)
      revocations.note(r.kind, r.subject, result.at, result.at + MAX_CREDENTIAL_LIFETIME_MS);
    return result.sessions;
  }

  /** A signed-in, CSRF-checked form post, or the reply already sent. */
  async function formSession(request: FastifyRequest, reply: FastifyReply) {
    const session = await currentSession(request, deps);
    if (!session) {
      redirectToSignIn(reply, prefix, '/profile');
      return null;
    }
    if (!verifyCsrf(request, session)) {
      messagePage(
        reply,
        prefix,
        403,
        'This form has expired',
        'The form did not come from your current session. Open the profile page again and retry.',
        null,
        BACK_TO_ACCOUNTS,
      );
      return null;
    }
    return session;
  }

  app.post('/profile/sessions/revoke', async (request, reply) => {
    const session = await formSession(request, reply);
    if (!session) return reply;
    const target = formFields(request).get('session') ?? '';
    if (!SESSION_ID.test(target))
      return messagePage(
        reply,
        prefix,
        400,
        'Bad request',
        'The form does not name a session to sign out.',
        null,
        BACK_TO_ACCOUNTS,
      );
    const ended = await revoke({
      userId: session.userId,
      which: target,
      sourceIp: request.ip ?? null,
      requestId: String(request.id),
    });
    if (target === session.sessionId && ended.length > 0) {
      clearSessionCookie(reply, deps.config);
      return redirectToSignIn(reply, prefix, '/start');
    }
    return reply
      .header('cache-control', 'no-store')
      .redirect(webPath(prefix, `/profile?done=${ended.length > 0 ? 'signed-out' : 'not-found'}`), 303);
  });

  app.post('/profile/sessions/revoke-all', async (request, reply) => {
    const session = await formSession(request, reply);
    if (!session) return reply;
    await revoke({
      userId: session.userId,
      which: 'all',
      sourceIp: request.ip ?? null,
      requestId: String(request.id),
    });
    clearSessionCookie(reply, deps.config);
    return redirectToSignIn(reply, prefix, '/start');
  });
}
