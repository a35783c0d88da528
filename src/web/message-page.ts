/**
 * A card with a title, a message and a link (to the portal's start page unless told otherwise):
 * every area's short answer page.
 */
import type { FastifyReply } from 'fastify';
import { type Html, html } from './html.ts';
import { page } from './layout.ts';
import { webPath } from './paths.ts';
import { sendPage } from './security.ts';
import type { PortalSessionInfo } from './session.ts';

/** The link's words on the portal's own pages, which the person reached from their accounts. */
export const BACK_TO_ACCOUNTS = 'Back to your accounts';

/** `prefix`: the public URL's path prefix; `link`: the words of the link to `to` (`/start`). */
export function messagePage(
  reply: FastifyReply,
  prefix: string,
  status: number,
  title: string,
  message: string | Html,
  session: PortalSessionInfo | null = null,
  link = 'Go to the access portal',
  to = '/start',
): FastifyReply {
  return sendPage(
    reply,
    page({
      title,
      narrow: true,
      session,
      prefix,
      body: html`<div class="card"><h1>${title}</h1><p>${message}</p><p><a href="${webPath(prefix, to)}">${link}</a></p></div>`,
    }),
    status,
  );
}
