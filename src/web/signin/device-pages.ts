/**
 * Device verification (docs/wire-protocols.md, "Device verification page"):
 * `GET /device[?user_code=…]` asks a signed-in person for the code (pre-filled from the complete
 * URI), `POST /device` looks it up (at most 5 misses per person per 10 minutes) and shows the
 * consent page naming the application and the code, `POST /device/confirm` records Allow or Deny
 * and shows the closing page.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  checkUserCode,
  decideDeviceGrant,
  type PendingDeviceGrant,
  pendingGrantById,
} from '../../app/auth/device.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { formatUserCode, normalizeUserCode, USER_CODE_MAX_INPUT } from '../../domain/auth/user-code.ts';
import { csrfField, verifyCsrf } from '../csrf.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { pathPrefix, webPath } from '../paths.ts';
import { sendPage } from '../security.ts';
import type { PortalSessionInfo } from '../session.ts';
import { displayText, waitText } from '../text.ts';
import { clientLabel } from './client-label.ts';
import { csrfRejected, field, meta, queryOf, requireSession } from './common.ts';

function entryPage(
  reply: FastifyReply,
  prefix: string,
  session: PortalSessionInfo,
  value: string,
  error?: string,
  status = 200,
) {
  return sendPage(
    reply,
    page({
      title: 'Authorize a device',
      narrow: true,
      session,
      prefix,
      body: html`<div class="card">
<h1>Authorize a device</h1>
<p>Enter the code shown by the AWS CLI or the application that asked you to sign in.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${webPath(prefix, '/device')}">
${csrfField(session)}
<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" class="code-input" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="${USER_CODE_MAX_INPUT}" placeholder="XXXX-XXXX" required autofocus value="${value}">
<div class="actions"><button type="submit">Next</button></div>
</form>
</div>`,
    }),
    status,
  );
}

function consentPage(
  reply: FastifyReply,
  prefix: string,
  session: PortalSessionInfo,
  grant: PendingDeviceGrant,
) {
  return sendPage(
    reply,
    page({
      title: 'Authorization requested',
      narrow: true,
      session,
      prefix,
      body: html`<div class="card">
<h1>Authorization requested</h1>
<p>Allow <span class="consent-app" data-testid="client-label">${displayText(clientLabel(grant.clientName))}</span> to access your data?</p>
<p class="muted">It registered as <span class="mono wrap" data-testid="client-name">${displayText(grant.clientName)}</span>.</p>
<p>It will be able to list the accounts and permission sets assigned to you, <strong>${displayText(session.userName)}</strong>, and get credentials for them until you sign out.</p>
<p>Code: <span class="mono" data-testid="user-code">${grant.userCode}</span></p>
<p class="muted">Only allow this if you started the sign-in yourself and the code matches the one the application shows.</p>
<form method="post" action="${webPath(prefix, '/device/confirm')}">
${csrfField(session)}
<input type="hidden" name="grant_id" value="${grant.grantId}">
<input type="hidden" name="user_code" value="${grant.userCode}">
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>
</div>`,
    }),
  );
}

export function closingPage(
  reply: FastifyReply,
  prefix: string,
  session: PortalSessionInfo,
  approved: boolean,
) {
  return sendPage(
    reply,
    page({
      title: approved ? 'Request approved' : 'Request denied',
      narrow: true,
      session,
      prefix,
      body: approved
        ? html`<div class="card"><p class="done-mark" aria-hidden="true">✓</p><h1>Request approved</h1><p>You can close this window and return to the application.</p></div>`
        : html`<div class="card"><h1>Request denied</h1><p>The application was not given access. You can close this window.</p></div>`,
    }),
  );
}

export function registerDevicePages(app: FastifyInstance, deps: ServerDeps): void {
  const prefix = pathPrefix(deps.config.publicUrl);
  app.get('/device', async (request, reply) => {
    const raw = queryOf(request).get('user_code') ?? '';
    const stored = normalizeUserCode(raw);
    const back = stored ? `/device?user_code=${formatUserCode(stored)}` : '/device';
    const session = await requireSession(request, reply, deps, back);
    if (!session) return reply;
    return entryPage(reply, prefix, session, stored ? formatUserCode(stored) : '');
  });

  app.post('/device', async (request, reply) => {
    const session = await requireSession(request, reply, deps, '/device');
    if (!session) return reply;
    if (!verifyCsrf(request, session)) return csrfRejected(reply, prefix);
    const input = field(request, 'user_code', 4096) ?? '';
    const result = await checkUserCode(deps.ctx, session.userId, input, meta(request));
    if (result.kind === 'blocked') {
      return entryPage(
        reply,
        prefix,
        session,
        '',
        `Too many wrong codes. Try again in ${waitText(result.retryAfterMs)}.`,
        429,
      );
    }
    if (result.kind === 'invalid') {
      return entryPage(
        reply,
        prefix,
        session,
        '',
        'That code is not valid or has expired. Check it and try again.',
        400,
      );
    }
    return consentPage(reply, prefix, session, result.grant);
  });

  app.post('/device/confirm', async (request, reply) => {
    const session = await requireSession(request, reply, deps, '/device');
    if (!session) return reply;
    if (!verifyCsrf(request, session)) return csrfRejected(reply, prefix);
    const decision = field(request, 'decision', 16);
    const grantId = field(request, 'grant_id', 64) ?? '';
    if (decision !== 'allow' && decision !== 'deny') {
      return entryPage(reply, prefix, session, '', 'Choose Allow or Deny.', 400);
    }
    const grant = await pendingGrantById(deps.ctx, grantId, field(request, 'user_code', 64));
    const decided =
      grant !== null &&
      (await decideDeviceGrant(
        deps.ctx,
        {
          grantId: grant.grantId,
          userId: session.userId,
          sessionId: session.sessionId,
          approve: decision === 'allow',
        },
        meta(request),
      ));
    if (!decided) {
      return entryPage(
        reply,
        prefix,
        session,
        '',
        'This request has expired or was already answered. Start again in the application.',
        400,
      );
    }
    return closingPage(reply, prefix, session, decision === 'allow');
  });
}
