/**
 * The console's activity: live portal sessions (newest first, paged by key, one user's alone
 * from a user's page), ending one (`revokeSessionById`, as `idcenter sessions revoke` does:
 * the session, its command-line sign-ins and the role credentials it issued), and the audit log
 * with filters (actor, action, target, time range), newest first, paged by event id.
 */
import type { FastifyInstance } from 'fastify';
import {
  type AuditFilter,
  liveSessions,
  searchAudit,
  sessionUser,
  userIdByName,
} from '../../app/admin/console.ts';
import { auditUserNames } from '../../app/audit.ts';
import { MAX_CREDENTIAL_LIFETIME_MS } from '../../app/revocation.ts';
import { revokeSessionById } from '../../app/sessions.ts';
import { csrfField } from '../csrf.ts';
import { html } from '../html.ts';
import { webPath } from '../paths.ts';
import { describeUserAgent } from '../portal/profile-page.ts';
import { displayText } from '../text.ts';
import { type AdminKit, bad, ID, PAGE_SIZE } from './kit.ts';
import { notice, pager, text, when } from './shell.ts';

const NOTICES: Record<string, string> = {
  ended: 'The session was ended, with its command-line sign-ins and the role credentials it issued.',
};

/** `2026-12-07` or `2026-12-07T10:30` (UTC) as epoch ms; undefined when empty. */
function parseTime(value: string, label: string): number | undefined {
  if (value === '') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?$/.exec(value);
  const text = m ? `${m[1]}T${m[2] ?? '00:00'}` : '';
  const ms = m ? Date.parse(`${text}:00Z`) : Number.NaN;
  // Read back, so that a month 13 or a 31 April (which Date rolls over) is refused.
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 16) !== text)
    throw bad(`${label} must be a date (2026-12-07) or a date and time in UTC (2026-12-07T10:30).`);
  return ms;
}

export function registerActivity(app: FastifyInstance, kit: AdminKit): void {
  const to = (path: string) => webPath(kit.prefix, path);

  app.get('/admin/sessions', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    const q = kit.query(request);
    const user = q.id('user', 'a user id', ID.directory);
    const keys = q.keys();
    for (const key of [keys.after, keys.before])
      if (key !== undefined && !/^\d{1,15}\.[0-9a-f-]{36}$/.test(key))
        throw bad('The page was asked for with a page key that cannot be; follow one of the paging links.');
    const page = await liveSessions(kit.ctx, { ...keys, limit: PAGE_SIZE, userId: user });
    const done = NOTICES[q.text('done', 'the notice')];
    return kit.send(
      reply,
      session,
      'sessions',
      'Sessions',
      html`<h1>Active sessions</h1>
      ${notice(done)}
      ${user ? html`<p>One user's sessions. <a href="${to('/admin/sessions')}">Everyone's</a></p>` : ''}
      ${
        page.items.length === 0
          ? html`<p class="empty">No active session.</p>`
          : html`<table class="data stack" id="sessions">
        <caption class="visually-hidden">Active portal sessions, newest first</caption>
        <thead><tr><th scope="col">User</th><th scope="col">Browser</th><th scope="col">IP address</th><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${page.items.map(
          (s) => html`<tr>
            <td data-label="User"><a href="${to(`/admin/users/${s.userId}`)}">${text(s.userName)}</a></td>
            <td data-label="Browser"><span title="${displayText(s.userAgent ?? '', 256)}">${describeUserAgent(s.userAgent)}</span></td>
            <td data-label="IP address" class="mono">${s.sourceIp ?? 'unknown'}</td>
            <td data-label="Signed in">${when(s.createdAt)}</td>
            <td data-label="Last active">${when(s.lastSeenAt)}</td>
            <td data-label="Expires">${when(s.expiresAt)}</td>
            <td class="nowrap"><form method="post" action="${to('/admin/sessions/end')}" class="inline">
              ${csrfField(session)}<input type="hidden" name="session" value="${s.id}">
              <button type="submit" class="secondary small">End<span class="visually-hidden"> ${s.userName}'s session from ${describeUserAgent(s.userAgent)}</span></button>
            </form></td>
          </tr>`,
        )}</tbody>
      </table>`
      }
      ${pager({ prefix: kit.prefix, path: '/admin/sessions', params: { user }, isFirst: page.prev === undefined, next: page.next, prev: page.prev })}`,
    );
  });

  app.post('/admin/sessions/end', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    const target = kit.idField(request, 'session', 'session', ID.session);
    const owner = await sessionUser(kit.ctx, target);
    if (!owner) throw bad('The form names a session that does not exist; nothing was changed.');
    await kit.require(request, view, { op: 'UpdateUser', userId: owner });
    const outcome = await revokeSessionById(
      kit.ctx,
      target,
      `user:${session.userId}`,
      kit.who(request, session),
    );
    if (!outcome) throw bad('The form names a session that does not exist; nothing was changed.');
    const { revocations } = kit.deps.credentials;
    for (const r of outcome.revocations)
      revocations.note(r.kind, r.subject, outcome.at, outcome.at + MAX_CREDENTIAL_LIFETIME_MS);
    return kit.done(reply, '/admin/sessions', 'ended');
  });

  app.get('/admin/audit', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    const q = kit.query(request);
    const form = {
      actor: q.text('actor', 'the actor'),
      action: q.text('action', 'the action'),
      target: q.text('target', 'the target'),
      from: q.text('from', 'the start of the time range'),
      to: q.text('to', 'the end of the time range'),
    };
    const keys = q.keys();
    for (const key of [keys.before, keys.after])
      if (key !== undefined && !/^\d{1,15}$/.test(key)) throw bad('The page key must be an event number.');
    // A user name stands for its user's actor (`user:<id>`); anything with a colon is an actor as stored.
    let actor: string | undefined = form.actor || undefined;
    if (actor && !actor.includes(':')) {
      const id = await userIdByName(kit.ctx, actor);
      actor = id ? `user:${id}` : `user:unknown:${actor}`;
    }
    const filter: AuditFilter = {
      actor,
      action: form.action || undefined,
      target: form.target || undefined,
      from: parseTime(form.from, 'The start of the time range'),
      to: parseTime(form.to, 'The end of the time range'),
    };
    const page = await searchAudit(kit.ctx, filter, {
      before: keys.before === undefined ? undefined : Number(keys.before),
      after: keys.after === undefined ? undefined : Number(keys.after),
      limit: PAGE_SIZE,
    });
    const names = await auditUserNames(kit.ctx.store, page.items);
    const nameOf = (actorOrId: string) => {
      const id = actorOrId.startsWith('user:') ? actorOrId.slice(5) : actorOrId;
      return names.get(id);
    };
    const filterField = (name: keyof typeof form, label: string, hint: string) =>
      html`<div><label for="f-${name}">${label}</label><input type="text" id="f-${name}" name="${name}" value="${form[name]}" maxlength="128" placeholder="${hint}"></div>`;
    return kit.send(
      reply,
      session,
      'audit',
      'Audit log',
      html`<h1>Audit log</h1>
      <form method="get" action="${to('/admin/audit')}" class="filters" role="search" aria-label="Filter the audit log">
        ${filterField('actor', 'Actor', 'user name or cli:apply')}
        ${filterField('action', 'Action', 'user.disable, or user.')}
        ${filterField('target', 'Target id', 'a user, group or session id')}
        ${filterField('from', 'From (UTC)', '2026-12-07')}
        ${filterField('to', 'Until (UTC)', '2026-12-07T18:00')}
        <div><button type="submit">Filter</button></div>
      </form>
      ${
        page.items.length === 0
          ? html`<p class="empty">No event matches.</p>`
          : html`<table class="data stack" id="audit">
        <caption class="visually-hidden">Audit events, newest first</caption>
        <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Detail</th><th scope="col">IP address</th></tr></thead>
        <tbody>${page.items.map((e) => {
          const actorName = nameOf(e.actor);
          const targetName = e.target_type === 'USER' && e.target_id ? names.get(e.target_id) : undefined;
          return html`<tr>
            <td data-label="Time">${when(e.at)}</td>
            <td data-label="Actor">${actorName ? html`<bdi>${displayText(actorName, 64)}</bdi>` : html`<span class="mono">${displayText(e.actor, 80)}</span>`}</td>
            <td data-label="Action" class="mono">${e.action}</td>
            <td data-label="Target">${e.target_type ? html`<span class="muted">${e.target_type}</span> ` : ''}${targetName ? html`<bdi>${displayText(targetName, 64)}</bdi>` : html`<span class="mono">${displayText(e.target_id ?? '', 80)}</span>`}</td>
            <td data-label="Detail" class="detail">${displayText(e.detail ?? '', 240)}</td>
            <td data-label="IP address" class="mono">${e.source_ip ?? ''}</td>
          </tr>`;
        })}</tbody>
      </table>`
      }
      ${pager({
        prefix: kit.prefix,
        path: '/admin/audit',
        params: form,
        isFirst: page.prev === undefined,
        next: page.next === undefined ? undefined : String(page.next),
        nextParam: 'before',
        prev: page.prev === undefined ? undefined : String(page.prev),
        prevParam: 'after',
      })}`,
    );
  });
}
