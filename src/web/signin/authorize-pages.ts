/**
 * The browser side of the PKCE flow (docs/wire-protocols.md, "The authorize endpoint"):
 * `GET /authorize` checks the request (bad client or redirect URI → an error page, never a
 * redirect), sends a person who is not signed in to sign-in and back, and shows the consent page;
 * `POST /authorize` re-checks everything, then redirects to the loopback URI with `code` and
 * `state`, or with `error=access_denied`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createAuthCode, denyAuthorization } from '../../app/auth/codes.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import {
  AUTHORIZE_PARAMS,
  type AuthorizeCheck,
  type AuthorizeRequest,
  authorizeRedirect,
  checkAuthorizeRequest,
} from '../../protocol/sso-oidc/authorize.ts';
import { csrfField, verifyCsrf } from '../csrf.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { pathPrefix, webPath } from '../paths.ts';
import { formFields } from '../request-text.ts';
import { sendPage } from '../security.ts';
import type { PortalSessionInfo } from '../session.ts';
import { displayText } from '../text.ts';
import { clientLabel } from './client-label.ts';
import { csrfRejected, field, messagePage, meta, queryOf, requireSession } from './common.ts';

function consentPage(
  reply: FastifyReply,
  prefix: string,
  session: PortalSessionInfo,
  req: AuthorizeRequest,
  params: URLSearchParams,
) {
  const carried = AUTHORIZE_PARAMS.map((name) => {
    const v = params.get(name);
    return v === null ? '' : html`<input type="hidden" name="${name}" value="${v}">`;
  });
  return sendPage(
    reply,
    page({
      title: 'Authorization requested',
      narrow: true,
      session,
      prefix,
      body: html`<div class="card">
<h1>Authorization requested</h1>
<p>Allow <span class="consent-app" data-testid="client-label">${displayText(clientLabel(req.client.name))}</span> to access your data?</p>
<p class="muted">It registered as <span class="mono wrap" data-testid="client-name">${displayText(req.client.name)}</span>.</p>
<p>It will be able to list the accounts and permission sets assigned to you, <strong>${displayText(session.userName)}</strong>, and get credentials for them until you sign out.</p>
<p class="muted">After you answer, the browser returns to the application on this computer (<span class="mono wrap">${displayText(new URL(req.redirectUri).host)}</span>).</p>
<form method="post" action="${webPath(prefix, '/authorize')}">
${csrfField(session)}
${carried}
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>
</div>`,
    }),
    200,
    // The answer redirects to the loopback URI; CSP cannot name http://[::1] (see security.ts).
    { formActionIpv6Loopback: new URL(req.redirectUri).hostname === '[::1]' },
  );
}

function redirectError(reply: FastifyReply, check: Extract<AuthorizeCheck, { kind: 'redirect_error' }>) {
  return reply.header('cache-control', 'no-store').redirect(
    authorizeRedirect(check.redirectUri, {
      error: check.error,
      error_description: check.description,
      state: check.state,
    }),
    302,
  );
}

export function registerAuthorizePages(app: FastifyInstance, deps: ServerDeps): void {
  const ctx = deps.ctx;
  const prefix = pathPrefix(deps.config.publicUrl);

  app.get('/authorize', async (request, reply) => {
    const params = queryOf(request);
    const check = await checkAuthorizeRequest(ctx, params);
    if (check.kind === 'error_page')
      return messagePage(reply, prefix, 400, 'Sign-in request not valid', check.message);
    if (check.kind === 'redirect_error') return redirectError(reply, check);
    const session = await requireSession(request, reply, deps, `/authorize?${params.toString()}`);
    if (!session) return reply;
    return consentPage(reply, prefix, session, check.request, params);
  });

  app.post('/authorize', async (request, reply) => {
    const params = new URLSearchParams();
    const form = formFields(request);
    for (const name of AUTHORIZE_PARAMS) for (const v of form.getAll(name)) params.append(name, v);
    const session = await requireSession(request, reply, deps, `/authorize?${params.toString()}`);
    if (!session) return reply;
    if (!verifyCsrf(request, session)) return csrfRejected(reply, prefix);
    const check = await checkAuthorizeRequest(ctx, params);
    if (check.kind === 'error_page')
      return messagePage(reply, prefix, 400, 'Sign-in request not valid', check.message, session);
    if (check.kind === 'redirect_error') return redirectError(reply, check);
    const req = check.request;
    const decision = field(request, 'decision', 16);
    if (decision === 'allow') {
      const code = await createAuthCode(
        ctx,
        {
          clientId: req.client.id,
          userId: session.userId,
          sessionId: session.sessionId,
          redirectUri: req.redirectUri,
          codeChallenge: req.codeChallenge,
          scopes: req.scopes,
        },
        meta(request),
      );
      return reply
        .header('cache-control', 'no-store')
        .redirect(authorizeRedirect(req.redirectUri, { code, state: req.state }), 302);
    }
    if (decision !== 'deny') return consentPage(reply, prefix, session, req, params);
    await denyAuthorization(
      ctx,
      { clientId: req.client.id, userId: session.userId, sessionId: session.sessionId },
      meta(request),
    );
    return reply.header('cache-control', 'no-store').redirect(
      authorizeRedirect(req.redirectUri, {
        error: 'access_denied',
        error_description: 'The user denied the request',
        state: req.state,
      }),
      302,
    );
  });
}
