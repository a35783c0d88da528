/**
 * MFA pages of a signed-in person: `/mfa` (status, remove), `/mfa/enroll` (QR code and secret,
 * confirm with a first code). The portal's profile page links here. The QR code is an SVG in a
 * `data:` image (allowed by the CSP's img-src); nothing needs script.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import QRCode from 'qrcode';
import {
  beginEnrolment,
  confirmEnrolment,
  confirmedDevice,
  type Enrolment,
  removeOwnMfa,
} from '../../app/auth/mfa.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { CSRF_FIELD, csrfField, verifyCsrf } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { page } from '../layout.ts';
import { pathPrefix, webPath } from '../paths.ts';
import { sendPage } from '../security.ts';
import type { PortalSessionInfo } from '../session.ts';
import { waitText } from '../text.ts';
import { csrfRejected, field, meta, queryOf, requireSession } from './common.ts';

/** The enrolment card: QR code, the secret as text, and the confirmation form. */
export async function enrolmentBody(opts: {
  /** Where the form posts, as the browser must use it (`webPath`). */
  action: string;
  csrf: string;
  enrolment: Enrolment;
  intro: string;
  extra?: Html;
  error?: string | undefined;
}): Promise<Html> {
  const svg = await QRCode.toString(opts.enrolment.uri, {
    type: 'svg',
    margin: 1,
    errorCorrectionLevel: 'M',
  });
  const qr = `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
  const grouped = opts.enrolment.secret.replace(/(.{4})/g, '$1 ').trim();
  return html`<div class="card">
<h1>Set up an authenticator app</h1>
<p>${opts.intro}</p>
<ol>
<li>Open an authenticator app (for example one that supports TOTP codes) and add an account.</li>
<li>Scan this QR code, or enter the secret key by hand.</li>
<li>Enter the 6-digit code the app shows.</li>
</ol>
<img class="qr" src="${qr}" alt="QR code for the authenticator app" width="192" height="192">
<p>Secret key: <span class="secret" data-testid="totp-secret">${grouped}</span></p>
${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
<form method="post" action="${opts.action}">
<input type="hidden" name="${CSRF_FIELD}" value="${opts.csrf}">
<input type="hidden" name="device_id" value="${opts.enrolment.deviceId}">
${opts.extra ?? ''}
<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" class="code-input" required>
<div class="actions"><button type="submit">Confirm</button></div>
</form>
</div>`;
}

function formatDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function registerMfaPages(app: FastifyInstance, deps: ServerDeps): void {
  const ctx = deps.ctx;
  const prefix = pathPrefix(deps.config.publicUrl);
  const to = (path: string) => webPath(prefix, path);

  const statusPage = async (
    reply: FastifyReply,
    session: PortalSessionInfo,
    notice?: string,
    error?: string,
    status = 200,
  ) => {
    const device = await confirmedDevice(ctx, session.userId);
    const body = device
      ? html`<div class="card">
<h1>Multi-factor authentication</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p>Authenticator app added ${formatDate(device.confirmedAt ?? device.createdAt)}. Each sign-in asks for a code from it.</p>
${
  deps.config.requireMfa
    ? html`<p class="muted">Your organization requires MFA. If you lose the device, ask an administrator to reset it (<code>idcenter user reset-mfa</code>).</p>`
    : html`<h2>Remove the authenticator app</h2>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${to('/mfa/remove')}">
${csrfField(session)}
<label for="code">Current code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" class="code-input" required>
<div class="actions"><button type="submit" class="danger">Remove</button></div>
</form>`
}
</div>`
      : html`<div class="card">
<h1>Multi-factor authentication</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p>No authenticator app is set up. Add one so that signing in needs both your password and a code.</p>
<div class="actions"><a class="button" href="${to('/mfa/enroll')}">Set up an authenticator app</a></div>
</div>`;
    return sendPage(
      reply,
      page({ title: 'Multi-factor authentication', narrow: true, session, prefix, body }),
      status,
    );
  };

  app.get('/mfa', async (request, reply) => {
    const session = await requireSession(request, reply, deps, '/mfa');
    if (!session) return reply;
    const q = queryOf(request);
    const notice =
      q.get('done') === 'enrolled'
        ? 'The authenticator app is set up.'
        : q.get('done') === 'removed'
          ? 'The authenticator app was removed.'
          : undefined;
    return statusPage(reply, session, notice);
  });

  const enrolPage = async (reply: FastifyReply, session: PortalSessionInfo, error?: string, status = 200) => {
    if (await confirmedDevice(ctx, session.userId)) return reply.redirect(to('/mfa'), 303);
    const enrolment = await beginEnrolment(ctx, { id: session.userId, userName: session.userName });
    const body = await enrolmentBody({
      action: to('/mfa/enroll'),
      csrf: session.csrfToken,
      enrolment,
      intro: 'After this, signing in asks for a code from the app as well as your password.',
      error,
    });
    return sendPage(reply, page({ title: 'Set up MFA', narrow: true, session, prefix, body }), status);
  };

  app.get('/mfa/enroll', async (request, reply) => {
    const session = await requireSession(request, reply, deps, '/mfa/enroll');
    if (!session) return reply;
    return enrolPage(reply, session);
  });

  app.post('/mfa/enroll', async (request, reply) => {
    const session = await requireSession(request, reply, deps, '/mfa/enroll');
    if (!session) return reply;
    if (!verifyCsrf(request, session)) return csrfRejected(reply, prefix);
    const result = await confirmEnrolment(
      ctx,
      session.userId,
      field(request, 'device_id', 64) ?? '',
      field(request, 'code', 64),
      meta(request),
    );
    if (result.kind === 'ok') return reply.redirect(to('/mfa?done=enrolled'), 303);
    const error =
      result.kind === 'blocked'
        ? `Too many wrong codes; try again in ${waitText(result.retryAfterMs)}.`
        : 'That code is not correct. Enter the current code from the app.';
    return enrolPage(reply, session, error, result.kind === 'blocked' ? 429 : 400);
  });

  app.post('/mfa/remove', async (request, reply) => {
    const session = await requireSession(request, reply, deps, '/mfa');
    if (!session) return reply;
    if (!verifyCsrf(request, session)) return csrfRejected(reply, prefix);
    if (deps.config.requireMfa) {
      return statusPage(
        reply,
        session,
        undefined,
        'Your organization requires MFA; it cannot be removed.',
        400,
      );
    }
    const result = await removeOwnMfa(ctx, session.userId, field(request, 'code', 64), meta(request));
    if (result.kind === 'ok') return reply.redirect(to('/mfa?done=removed'), 303);
    const error =
      result.kind === 'blocked'
        ? `Too many wrong codes; try again in ${waitText(result.retryAfterMs)}.`
        : 'That code is not correct; the authenticator app was not removed.';
    return statusPage(reply, session, undefined, error, result.kind === 'blocked' ? 429 : 400);
  });
}
