/** Helpers shared by the sign-in area's handlers. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestMeta } from '../../app/auth/issue.ts';
import type { SessionRecord } from '../../app/auth/sessions.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { decodeForm } from '../../protocol/codecs/form.ts';
import { csrfField } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { page } from '../layout.ts';
import { messagePage } from '../message-page.ts';
import { pathPrefix, webPath } from '../paths.ts';
import { formFields } from '../request-text.ts';
import {
  cookieSession,
  csrfTokenFor,
  currentSession,
  type PortalSessionInfo,
  redirectToSignIn,
} from '../session.ts';
import { displayText } from '../text.ts';
import { clientLabel } from './client-label.ts';

export function meta(request: FastifyRequest): RequestMeta {
  return { sourceIp: request.ip ?? null, requestId: request.id };
}

/**
 * The query string of a request as URLSearchParams (repeated names preserved), decoded strictly
 * (`codecs/form.ts`); empty when a parameter is not clean text, which the area's
 * `refuseUnreadableText` hook has already answered with a 400 page.
 */
export function queryOf(request: FastifyRequest): URLSearchParams {
  const q = request.url.indexOf('?');
  const decoded = decodeForm(q === -1 ? '' : request.url.slice(q + 1));
  return new URLSearchParams(decoded.ok ? decoded.pairs : []);
}

/** A single form field, trimmed of nothing, capped in length; undefined when absent or too long. */
export function field(request: FastifyRequest, name: string, max = 1024): string | undefined {
  const v = formFields(request).get(name);
  return v !== null && v.length <= max ? v : undefined;
}

/** The signed-in session, or null after sending the browser to sign-in (coming back to `returnTo`). */
export async function requireSession(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ServerDeps,
  returnTo: string,
): Promise<PortalSessionInfo | null> {
  const session = await currentSession(request, deps);
  if (!session) redirectToSignIn(reply, pathPrefix(deps.config.publicUrl), returnTo);
  return session;
}

/** A sign-in that passed the password and still owes its second factor (or MFA enrolment). */
export interface PendingSignin {
  record: SessionRecord;
  csrfToken: string;
}

export async function pendingSignin(
  request: FastifyRequest,
  deps: ServerDeps,
): Promise<PendingSignin | null> {
  const found = await cookieSession(request, deps);
  if (!found || found.record.mfaDone) return null;
  return { record: found.record, csrfToken: csrfTokenFor(found.token) };
}

export function csrfRejected(reply: FastifyReply, prefix: string): FastifyReply {
  return messagePage(
    reply,
    prefix,
    403,
    'Form expired',
    'This form was not accepted because it did not come from this page (it may have expired). Go back, reload the page and try again.',
  );
}

/** What a consent page shows beside the application's name, and where its answer goes. */
export interface ConsentRequest {
  clientName: string;
  /** Paragraphs between the request and the buttons (the device code, where it returns). */
  details: Html;
  /** The app path the Allow/Deny form posts to, and what it carries. */
  action: string;
  carried: Html | readonly (Html | '')[];
}

/**
 * "Allow <application> to access your data?", the consent page of both OAuth flows: what the
 * application will be able to do, then Allow and Deny buttons posting to `action`.
 */
export function consentPage(prefix: string, session: PortalSessionInfo, req: ConsentRequest): Html {
  return page({
    title: 'Authorization requested',
    narrow: true,
    session,
    prefix,
    body: html`<div class="card">
<h1>Authorization requested</h1>
<p>Allow <span class="consent-app" data-testid="client-label">${displayText(clientLabel(req.clientName))}</span> to access your data?</p>
<p class="muted">It registered as <span class="mono wrap" data-testid="client-name">${displayText(req.clientName)}</span>.</p>
<p>It will be able to list the accounts and permission sets assigned to you, <strong>${displayText(session.userName)}</strong>, and get credentials for them until you sign out.</p>
${req.details}
<form method="post" action="${webPath(prefix, req.action)}">
${csrfField(session)}
${req.carried}
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>
</div>`,
  });
}
