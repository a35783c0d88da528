/**
 * Console sign-in in the browser (docs/behaviour.md, "Console sign-in"):
 *
 * | Route | What |
 * |---|---|
 * | `GET /start/console?account=…&role=…[&destination=…]` | the portal's role link and shortcut links: sign in (if needed), then a page that POSTs the signed SAML Response to AWS |
 * | `GET /start/console?code=…` | a one-time link made for `idcenter console` (no browser session needed) |
 * | `POST /start/console` | the same after a confirmation (CSRF checked) |
 *
 * The answer is a page with a form whose action is the partition's sign-in endpoint, carrying
 * `SAMLResponse` and `RelayState`; `static/console.js` (an external script: the CSP allows no
 * inline script) submits it at once, and its button does when scripts are off. The page's CSP
 * lets forms go to the sign-in endpoint and the console hosts AWS redirects to, nothing else.
 *
 * A request another site started (`Sec-Fetch-Site: cross-site`: a link on a web page, or a page
 * that navigates the browser here) is not signed in automatically: it gets a confirmation page
 * naming the account and role, whose button POSTs with this session's CSRF token (or, for a
 * one-time link, the pre-session token). A link in a bookmark, typed, opened by the CLI or
 * clicked in the portal goes straight on.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ConsoleSignIn, consoleSignIn, redeemConsoleLink } from '../../app/federation/console.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { type DomainError, isDomainError } from '../../domain/errors.ts';
import { csrfField, isCrossSite, preSessionCsrf, verifyCsrf, verifyPreSessionCsrf } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { page } from '../layout.ts';
import { BACK_TO_ACCOUNTS, messagePage } from '../message-page.ts';
import { webPath } from '../paths.ts';
import { formFields } from '../request-text.ts';
import { sendPage } from '../security.ts';
import { currentSession, type PortalSessionInfo, redirectToSignIn } from '../session.ts';
import { queryOf } from '../signin/common.ts';

const ACCOUNT_ID = /^\d{12}$/;
/** Permission-set names (sso-admin model: `[\w+=,.@-]+`, 1..32). */
const ROLE_NAME = /^[\w+=,.@-]{1,32}$/;
/** One-time link codes: base64url of 32 bytes. */
const CODE = /^[A-Za-z0-9_-]{43}$/;

/** What a console request names: a role (portal, shortcut) or a one-time link (CLI). */
type ConsoleTarget =
  | { kind: 'role'; accountId: string; roleName: string; destination: string | undefined }
  | { kind: 'link'; code: string };

/** The target of the request, or a sentence saying what is wrong with it. */
function targetOf(fields: URLSearchParams): ConsoleTarget | string {
  const code = fields.get('code');
  if (code !== null) return CODE.test(code) ? { kind: 'link', code } : 'The sign-in link is not complete.';
  const accountId = fields.get('account') ?? '';
  const roleName = fields.get('role') ?? '';
  const destination = fields.get('destination') ?? undefined;
  if (!ACCOUNT_ID.test(accountId)) return 'The link must name an account (account=, 12 digits).';
  if (!ROLE_NAME.test(roleName)) return 'The link must name a permission set (role=).';
  if (destination === '') return 'The destination (destination=) is empty.';
  return { kind: 'role', accountId, roleName, destination };
}

/** The app path of a shortcut link to `target`, for coming back after sign-in. */
function shortcutPath(target: Extract<ConsoleTarget, { kind: 'role' }>): string {
  const q = new URLSearchParams({ account: target.accountId, role: target.roleName });
  if (target.destination !== undefined) q.set('destination', target.destination);
  return `/start/console?${q.toString()}`;
}

/** A refusal of the sign-in as a page: its status, title and the domain error's message. */
function refusalPage(
  reply: FastifyReply,
  prefix: string,
  err: DomainError,
  session: PortalSessionInfo | null,
): FastifyReply {
  switch (err.code) {
    case 'forbidden':
      return messagePage(
        reply,
        prefix,
        403,
        'No access',
        'You are not assigned this permission set in this account. Ask your administrator for access, or pick a role from your accounts.',
        session,
        BACK_TO_ACCOUNTS,
      );
    case 'invalid_grant':
      return messagePage(reply, prefix, 410, 'Link expired', err.message, session, BACK_TO_ACCOUNTS);
    case 'invalid_request':
      return messagePage(
        reply,
        prefix,
        400,
        'Cannot open the AWS console',
        err.message,
        session,
        BACK_TO_ACCOUNTS,
      );
    case 'unavailable':
      return messagePage(
        reply,
        prefix,
        503,
        'Cannot open the AWS console',
        err.message,
        session,
        BACK_TO_ACCOUNTS,
      );
    default:
      throw err;
  }
}

/** The page that POSTs the signed SAML Response to the sign-in endpoint. */
function signinPage(
  reply: FastifyReply,
  prefix: string,
  form: ConsoleSignIn,
  session: PortalSessionInfo | null,
): FastifyReply {
  return sendPage(
    reply,
    page({
      title: 'Opening the AWS console',
      narrow: true,
      session,
      prefix,
      scripts: ['console.js'],
      body: html`<div class="card">
        <h1>Opening the AWS console</h1>
        <p>Signing you in as <bdi>${form.roleName}</bdi> in account ${form.accountId}…</p>
        <form id="console-signin" method="post" action="${form.action}">
          <input type="hidden" name="SAMLResponse" value="${form.samlResponse}">
          ${form.relayState === null ? '' : html`<input type="hidden" name="RelayState" value="${form.relayState}">`}
          <button type="submit">Continue to the AWS console</button>
        </form>
      </div>`,
    }),
    200,
    { formActionOrigins: form.formOrigins },
  );
}

/** A console request another site started: ask first, with a form that carries the CSRF token. */
function confirmPage(
  reply: FastifyReply,
  prefix: string,
  target: ConsoleTarget,
  csrf: Html,
  session: PortalSessionInfo | null,
): FastifyReply {
  const what =
    target.kind === 'role'
      ? html`as <bdi>${target.roleName}</bdi> in account ${target.accountId}${target.destination === undefined ? '' : html`, at <bdi>${target.destination}</bdi>`}`
      : html`with the link made by <code>idcenter console</code>`;
  const fields =
    target.kind === 'role'
      ? html`<input type="hidden" name="account" value="${target.accountId}">
          <input type="hidden" name="role" value="${target.roleName}">
          ${target.destination === undefined ? '' : html`<input type="hidden" name="destination" value="${target.destination}">`}`
      : html`<input type="hidden" name="code" value="${target.code}">`;
  return sendPage(
    reply,
    page({
      title: 'Open the AWS console?',
      narrow: true,
      session,
      prefix,
      body: html`<div class="card">
        <h1>Open the AWS console?</h1>
        <p>Another site sent you here to sign in to the AWS Management Console ${what}. Continue only if you meant to.</p>
        <form method="post" action="${webPath(prefix, '/start/console')}">
          ${csrf}${fields}
          <button type="submit">Open the AWS console</button>
        </form>
        <p><a href="${webPath(prefix, '/start')}">Back to your accounts</a></p>
      </div>`,
    }),
  );
}

/**
 * `GET` and `POST /start/console`. `confirmed`: a POST that passed its CSRF check; a GET goes on
 * only when the browser did not come from another site.
 */
export async function handleConsole(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ServerDeps,
  prefix: string,
): Promise<FastifyReply> {
  const post = request.method === 'POST';
  const target = targetOf(post ? formFields(request) : queryOf(request));
  const session = await currentSession(request, deps);
  if (typeof target === 'string')
    return messagePage(reply, prefix, 400, 'Bad request', target, session, BACK_TO_ACCOUNTS);
  const crossSite = isCrossSite(request);

  if (target.kind === 'link') {
    if (post) {
      if (crossSite || !(await verifyPreSessionCsrf(request, deps)))
        return csrfRefused(reply, prefix, session);
    } else if (crossSite) {
      const token = await preSessionCsrf(request, reply, deps);
      return confirmPage(
        reply,
        prefix,
        target,
        html`<input type="hidden" name="_csrf" value="${token}">`,
        session,
      );
    }
    try {
      return signinPage(
        reply,
        prefix,
        await redeemConsoleLink(deps, target.code, request.ip ?? null),
        session,
      );
    } catch (err) {
      if (isDomainError(err)) return refusalPage(reply, prefix, err, session);
      throw err;
    }
  }

  if (!session) {
    if (post) return csrfRefused(reply, prefix, null);
    return redirectToSignIn(reply, prefix, shortcutPath(target));
  }
  if (post) {
    if (!verifyCsrf(request, session)) return csrfRefused(reply, prefix, session);
  } else if (crossSite) {
    return confirmPage(reply, prefix, target, csrfField(session), session);
  }
  try {
    const form = await consoleSignIn(deps, {
      userId: session.userId,
      userName: session.userName,
      accountId: target.accountId,
      roleName: target.roleName,
      destination: target.destination,
      sessionId: session.sessionId,
      familyId: null,
      sourceIp: request.ip ?? null,
      channel: 'portal',
    });
    return signinPage(reply, prefix, form, session);
  } catch (err) {
    if (isDomainError(err)) return refusalPage(reply, prefix, err, session);
    throw err;
  }
}

function csrfRefused(reply: FastifyReply, prefix: string, session: PortalSessionInfo | null): FastifyReply {
  return messagePage(
    reply,
    prefix,
    403,
    'This form has expired',
    'The form did not come from this site, or it expired. Open the link again from your accounts page.',
    session,
    BACK_TO_ACCOUNTS,
  );
}
