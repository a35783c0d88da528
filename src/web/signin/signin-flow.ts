/**
 * Sign-in: user name, then password, then (when the user has a device, or the instance requires
 * MFA) a TOTP code or a first enrolment. The password step opens a short-lived pending session;
 * passing the second factor completes it under a new token. Afterwards the browser returns to
 * where it came from (same origin only), else to `/start`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KNOWN_DEVICE_LIFETIME_MS } from '../../app/auth/known-device.ts';
import {
  beginEnrolment,
  confirmEnrolment,
  secondFactorNeed,
  verifySecondFactor,
} from '../../app/auth/mfa.ts';
import { completeSessionMfa, createSession } from '../../app/auth/sessions.ts';
import { checkPassword, deviceMarkFor, MAX_USER_NAME_LENGTH, recordSignin } from '../../app/auth/signin.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { signOut } from '../../app/sessions.ts';
import { cookieNameAt, readCookie, setCookie } from '../cookies.ts';
import { CSRF_FIELD, preSessionCsrf, verifyCsrf, verifyCsrfToken, verifyPreSessionCsrf } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { page } from '../layout.ts';
import { pathPrefix, webPath } from '../paths.ts';
import { userAgentOf } from '../request-text.ts';
import { sendPage } from '../security.ts';
import {
  clearSessionCookie,
  currentSession,
  isHttps,
  safeReturnPath,
  sessionOrigin,
  setSessionCookie,
} from '../session.ts';
import { displayText, hasControlCharacter, waitText } from '../text.ts';
import { csrfRejected, field, meta, pendingSignin, queryOf } from './common.ts';
import { enrolmentBody } from './mfa-pages.ts';

function hidden(name: string, value: string): Html {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

/** An app path with the return path (itself an app path) as its query. */
function withReturn(path: string, back: string): string {
  return back === '/start' ? path : `${path}?return=${encodeURIComponent(back)}`;
}

/** A signed-in identity's line under a heading, with the link that leaves it. */
function identityLine(prefix: string, back: string, userName: string, link: string, testId?: string): Html {
  return html`<div class="identity"><span class="wrap"${testId ? html` data-testid="${testId}"` : ''}>${displayText(userName)}</span><a href="${webPath(prefix, withReturn('/signin', back))}">${link}</a></div>
`;
}

/** The card of one sign-in step: heading, who (once known), error, one field and a button. */
function signinStep(step: {
  prefix: string;
  title: string;
  identity?: Html;
  error: string | undefined;
  action: string;
  hiddenFields: Html;
  field: Html;
  button: string;
}): Html {
  return page({
    title: step.title,
    narrow: true,
    prefix: step.prefix,
    body: html`<div class="card">
<h1>${step.title}</h1>
${step.identity ?? ''}${step.error ? html`<p class="error" role="alert">${step.error}</p>` : ''}
<form method="post" action="${webPath(step.prefix, step.action)}">
${step.hiddenFields}
${step.field}
<div class="actions"><button type="submit">${step.button}</button></div>
</form>
</div>`,
  });
}

function userNamePage(prefix: string, csrf: string, back: string, error?: string, value = ''): Html {
  return signinStep({
    prefix,
    title: 'Sign in',
    error,
    action: '/signin',
    hiddenFields: html`${hidden(CSRF_FIELD, csrf)}${hidden('return', back)}${hidden('step', 'user')}`,
    field: html`<label for="user_name">User name</label>
<input id="user_name" name="user_name" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="${MAX_USER_NAME_LENGTH}" required autofocus value="${value}">`,
    button: 'Next',
  });
}

function passwordPage(prefix: string, csrf: string, back: string, userName: string, error?: string): Html {
  return signinStep({
    prefix,
    title: 'Sign in',
    identity: identityLine(prefix, back, userName, 'Not you?', 'signin-user'),
    error,
    action: '/signin',
    hiddenFields: html`${hidden(CSRF_FIELD, csrf)}${hidden('return', back)}${hidden('step', 'password')}${hidden('user_name', userName)}`,
    field: html`<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>`,
    button: 'Sign in',
  });
}

function totpPage(prefix: string, csrf: string, back: string, userName: string, error?: string): Html {
  return signinStep({
    prefix,
    title: 'Verify your identity',
    identity: identityLine(prefix, back, userName, 'Cancel'),
    error,
    action: '/signin/mfa',
    hiddenFields: html`${hidden(CSRF_FIELD, csrf)}${hidden('return', back)}`,
    field: html`<label for="code">Code from your authenticator app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" class="code-input" required autofocus>`,
    button: 'Verify',
  });
}

function throttledMessage(ms: number): string {
  return `Too many failed sign-ins from your network. Try again in ${waitText(ms)}.`;
}

function lockedMessage(ms: number): string {
  return `Too many failed attempts. Sign-in for this user is paused; try again in ${waitText(ms)}.`;
}

/**
 * The known-device cookie (`__Host-idc_device` over HTTPS, `idc_device_<port>` over HTTP): the
 * mark a browser gets once its user has signed in, which puts that user's next password sign-in
 * from it in the password queue's known lane (`app/auth/known-device.ts`). HttpOnly, Secure over
 * HTTPS, SameSite=Strict: only our own sign-in form, posted from our own pages, ever sends it.
 */
function deviceCookieName(deps: ServerDeps): string {
  return cookieNameAt(deps.config.publicUrl, 'idc_device');
}

async function finishSignin(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ServerDeps,
  user: { id: string; userName: string },
  factor: string,
  back: string,
): Promise<FastifyReply> {
  await recordSignin(deps.ctx, user.id, factor, meta(request));
  setCookie(reply, deviceCookieName(deps), await deviceMarkFor(deps.ctx, user), {
    maxAge: KNOWN_DEVICE_LIFETIME_MS / 1000,
    secure: isHttps(deps.config),
    httpOnly: true,
    sameSite: 'Strict',
  });
  return reply.redirect(webPath(pathPrefix(deps.config.publicUrl), back), 303);
}

export function registerSigninFlow(app: FastifyInstance, deps: ServerDeps): void {
  const ctx = deps.ctx;
  const ttlMs = deps.config.portalSessionDuration * 1000;
  const prefix = pathPrefix(deps.config.publicUrl);
  const to = (path: string) => webPath(prefix, path);
  /** The app path to come back to after signing in, from a query or form value. */
  const returnOf = (value: string | null | undefined) => safeReturnPath(value ?? '/start', prefix);

  app.get('/signin', async (request, reply) => {
    const back = returnOf(queryOf(request).get('return'));
    if (await currentSession(request, deps)) return reply.redirect(to(back), 303);
    const csrf = await preSessionCsrf(request, reply, deps);
    return sendPage(reply, userNamePage(prefix, csrf, back));
  });

  app.post('/signin', async (request, reply) => {
    const back = returnOf(field(request, 'return', 2048));
    const csrfOk = await verifyPreSessionCsrf(request, deps);
    const csrf = await preSessionCsrf(request, reply, deps);
    if (!csrfOk) return csrfRejected(reply, prefix);
    const userName = (field(request, 'user_name', 1024) ?? '').trim();
    const plausible =
      userName.length > 0 && userName.length <= MAX_USER_NAME_LENGTH && !hasControlCharacter(userName);
    if (field(request, 'step', 16) !== 'password') {
      if (!plausible) {
        return sendPage(
          reply,
          userNamePage(prefix, csrf, back, 'Enter a valid user name.', userName.slice(0, 128)),
          400,
        );
      }
      return sendPage(reply, passwordPage(prefix, csrf, back, userName));
    }
    const password = field(request, 'password', 4096) ?? '';
    if (!plausible || password.length === 0) {
      return sendPage(reply, userNamePage(prefix, csrf, back, 'Enter your user name and password.'), 400);
    }
    const result = await checkPassword(ctx, userName, password, meta(request), {
      deviceMark: readCookie(request, deviceCookieName(deps)),
    });
    if (result.kind === 'throttled') {
      reply.header('retry-after', String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))));
      return sendPage(
        reply,
        passwordPage(prefix, csrf, back, userName, throttledMessage(result.retryAfterMs)),
        429,
      );
    }
    if (result.kind === 'busy') {
      reply.header('retry-after', '1');
      return sendPage(
        reply,
        passwordPage(prefix, csrf, back, userName, 'Too many sign-ins right now. Try again in a moment.'),
        503,
      );
    }
    if (result.kind === 'directory') {
      return sendPage(
        reply,
        passwordPage(prefix, csrf, back, userName, result.message),
        result.unavailable ? 503 : 401,
      );
    }
    if (result.kind === 'invalid') {
      // Also the answer for a user whose password sign-in is locked: it does not tell them apart.
      return sendPage(
        reply,
        passwordPage(prefix, csrf, back, userName, 'The user name or password is incorrect.'),
        401,
      );
    }
    const need = await secondFactorNeed(ctx, result.user.id, deps.config.requireMfa);
    const session = await createSession(ctx, {
      userId: result.user.id,
      origin: sessionOrigin(deps.config),
      mfaDone: need === 'none',
      ttlMs,
      sourceIp: request.ip ?? null,
      userAgent: userAgentOf(request),
    });
    setSessionCookie(reply, deps.config, session.token, (session.expiresAt - ctx.clock.now()) / 1000);
    if (need === 'none') return finishSignin(request, reply, deps, result.user, 'password', back);
    return reply.redirect(to(withReturn(need === 'verify' ? '/signin/mfa' : '/signin/mfa/setup', back)), 303);
  });

  app.get('/signin/mfa', async (request, reply) => {
    const back = returnOf(queryOf(request).get('return'));
    const pending = await pendingSignin(request, deps);
    if (!pending) return reply.redirect(to(withReturn('/signin', back)), 303);
    return sendPage(reply, totpPage(prefix, pending.csrfToken, back, pending.record.userName));
  });

  app.post('/signin/mfa', async (request, reply) => {
    const back = returnOf(field(request, 'return', 2048));
    const pending = await pendingSignin(request, deps);
    if (!pending) return reply.redirect(to(withReturn('/signin', back)), 303);
    if (!verifyCsrfToken(request, pending.csrfToken)) return csrfRejected(reply, prefix);
    const userId = pending.record.userId;
    const result = await verifySecondFactor(ctx, userId, field(request, 'code', 64), meta(request));
    const askAgain = (error: string, status: number) =>
      sendPage(reply, totpPage(prefix, pending.csrfToken, back, pending.record.userName, error), status);
    if (result.kind === 'blocked') return askAgain(lockedMessage(result.retryAfterMs), 429);
    if (result.kind === 'invalid') return askAgain('That code is not correct. Enter the current code.', 401);
    const done = await completeSessionMfa(ctx, pending.record.sessionId, ttlMs);
    if (!done) return reply.redirect(to(withReturn('/signin', back)), 303);
    setSessionCookie(reply, deps.config, done.token, ttlMs / 1000);
    return finishSignin(
      request,
      reply,
      deps,
      { id: userId, userName: pending.record.userName },
      'password+totp',
      back,
    );
  });

  const setupPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    back: string,
    error?: string,
    status = 200,
  ) => {
    const pending = await pendingSignin(request, deps);
    if (!pending) return reply.redirect(to(withReturn('/signin', back)), 303);
    const enrolment = await beginEnrolment(ctx, {
      id: pending.record.userId,
      userName: pending.record.userName,
    });
    const body = await enrolmentBody({
      action: to('/signin/mfa/setup'),
      csrf: pending.csrfToken,
      enrolment,
      extra: hidden('return', back),
      intro:
        'Your organization requires multi-factor authentication. Set up an authenticator app to finish signing in.',
      error,
    });
    return sendPage(reply, page({ title: 'Set up MFA', narrow: true, prefix, body }), status);
  };

  app.get('/signin/mfa/setup', async (request, reply) =>
    setupPage(request, reply, returnOf(queryOf(request).get('return'))),
  );

  app.post('/signin/mfa/setup', async (request, reply) => {
    const back = returnOf(field(request, 'return', 2048));
    const pending = await pendingSignin(request, deps);
    if (!pending) return reply.redirect(to(withReturn('/signin', back)), 303);
    if (!verifyCsrfToken(request, pending.csrfToken)) return csrfRejected(reply, prefix);
    const userId = pending.record.userId;
    const result = await confirmEnrolment(
      ctx,
      userId,
      field(request, 'device_id', 64) ?? '',
      field(request, 'code', 64),
      meta(request),
    );
    if (result.kind !== 'ok') {
      const error =
        result.kind === 'blocked'
          ? lockedMessage(result.retryAfterMs)
          : 'That code is not correct. Enter the current code from the app.';
      return setupPage(request, reply, back, error, result.kind === 'blocked' ? 429 : 400);
    }
    const done = await completeSessionMfa(ctx, pending.record.sessionId, ttlMs);
    if (!done) return reply.redirect(to(withReturn('/signin', back)), 303);
    setSessionCookie(reply, deps.config, done.token, ttlMs / 1000);
    return finishSignin(
      request,
      reply,
      deps,
      { id: userId, userName: pending.record.userName },
      'password+totp(enrolled)',
      back,
    );
  });

  app.post('/signout', async (request, reply) => {
    const session = await currentSession(request, deps);
    if (session) {
      if (!verifyCsrf(request, session)) return csrfRejected(reply, prefix);
      await signOut(ctx, session, meta(request));
    }
    clearSessionCookie(reply, deps.config);
    return sendPage(
      reply,
      page({
        title: 'Signed out',
        narrow: true,
        prefix,
        body: html`<div class="card"><h1>You are signed out</h1><p>Your session has ended, and command-line sign-ins made with it can no longer refresh.</p><div class="actions"><a class="button" href="${to('/signin')}">Sign in again</a></div></div>`,
      }),
    );
  });
}
