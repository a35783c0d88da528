/**
 * The console's users: the list (search by user name, display name or e-mail prefix; paged by
 * key), a user's page (attributes, groups, what they can reach and through which group), and
 * the changes an administrator makes there — create, disable, enable, reset MFA, sign out
 * everywhere — each through the use case the CLI and the admin APIs use, audited with the
 * administrator as actor. A user from the directory (Active Directory, LDAP) is shown, but their
 * status is the directory's: disabling or enabling them here is refused.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { searchUsers, type UserDetail, userDetail } from '../../app/admin/console.ts';
import { createUser, updateUser, type Wire } from '../../app/admin/directory.ts';
import { assertOwnedHere, directoryOwnedMessage } from '../../app/admin/directory-owned.ts';
import { noteRevocations } from '../../app/admin/who.ts';
import { resetMfa } from '../../app/auth/mfa.ts';
import { ensureInstance } from '../../app/instance.ts';
import { revokeUserEverything } from '../../app/sessions.ts';
import { disableUser, enableUser, setPassword } from '../../app/users.ts';
import { DomainError } from '../../domain/errors.ts';
import {
  checkDisplayName,
  checkEmail,
  checkPassword,
  checkPersonName,
  checkUserName,
} from '../../domain/identity/directory.ts';
import { csrfField } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { webPath } from '../paths.ts';
import { formFields } from '../request-text.ts';
import type { PortalSessionInfo } from '../session.ts';
import { type AdminKit, bad, ID, PAGE_SIZE, pathWith, positionParams, type TwoListsAt } from './kit.ts';
import { hiddenFields, notice, pager, searchForm, sourceBadge, statusBadge, text, when } from './shell.ts';

const NOTICES: Record<string, string> = {
  created: 'The user was created. Set a password below for them to sign in with.',
  disabled: 'The user is disabled: their sessions, command-line sign-ins and role credentials were ended.',
  enabled: 'The user is enabled. They sign in again.',
  'already-disabled': 'The user was already disabled.',
  'already-enabled': 'The user was already enabled.',
  edited: 'The attributes were saved.',
  'password-set': 'The password was set (and any password lockout cleared).',
  'mfa-reset': 'Their MFA devices were removed; they set up a new one at their next sign-in.',
  'signed-out':
    'Their sessions, command-line sign-ins and role credentials were ended. They may sign in again.',
};

const DIRECTORY_OWNS = directoryOwnedMessage('user.status');

export function registerUsers(app: FastifyInstance, kit: AdminKit): void {
  const to = (path: string) => webPath(kit.prefix, path);

  app.get('/admin/users', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    await kit.require(request, view, { op: 'ListUsers' });
    const q = kit.query(request);
    const query = q.text('q', 'the search text');
    const keys = q.keys();
    const page = await searchUsers(kit.ctx, { query, ...keys, limit: PAGE_SIZE });
    const done = NOTICES[q.text('done', 'the notice')];
    const mayCreate = kit.may(request, view, { op: 'CreateUser' });
    return kit.send(
      reply,
      session,
      'users',
      'Users',
      html`<div class="title-row"><h1>Users</h1>${mayCreate ? html`<a class="button" href="${to('/admin/users/new')}">Create user</a>` : ''}</div>
      ${notice(done)}
      ${searchForm({
        prefix: kit.prefix,
        path: '/admin/users',
        label: 'Find users',
        value: query,
        hint: 'The start of a user name, display name or e-mail address.',
      })}
      ${
        page.items.length === 0
          ? html`<p class="empty">${query ? html`No user's name or e-mail starts with “<bdi>${query}</bdi>”.` : 'No users yet.'}</p>`
          : html`<table class="data stack" id="users">
        <caption class="visually-hidden">Users${query ? html`, matching “${query}”` : ''}</caption>
        <thead><tr><th scope="col">User name</th><th scope="col">Display name</th><th scope="col">E-mail</th><th scope="col">Status</th></tr></thead>
        <tbody>${page.items.map(
          (u) => html`<tr>
            <td data-label="User name"><a href="${to(`/admin/users/${u.id}`)}">${text(u.userName)}</a> ${sourceBadge(u.source)}</td>
            <td data-label="Display name">${text(u.displayName)}</td>
            <td data-label="E-mail">${text(u.email)}</td>
            <td data-label="Status">${statusBadge(u.status)}</td>
          </tr>`,
        )}</tbody>
      </table>`
      }
      ${pager({ prefix: kit.prefix, path: '/admin/users', params: { q: query }, isFirst: page.prev === undefined, next: page.next, prev: page.prev })}`,
    );
  });

  app.get('/admin/users/new', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    await kit.require(request, view, { op: 'CreateUser' });
    return kit.send(reply, session, 'users', 'Create user', createForm(kit.prefix, session));
  });

  app.post('/admin/users', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    await kit.require(request, view, { op: 'CreateUser' });
    const userName = kit.field(request, 'userName', 'the user name', 128);
    const problem = checkUserName(userName);
    if (problem) throw bad(`${problem.charAt(0).toUpperCase()}${problem.slice(1)}.`);
    const { displayName, givenName, familyName, email } = attributeFields(request);
    const instance = await ensureInstance(kit.ctx);
    const name: Record<string, string> = {};
    if (givenName) name.GivenName = givenName;
    if (familyName) name.FamilyName = familyName;
    let id: string;
    try {
      id = await createUser(kit.ctx, kit.who(request, session), instance.identity_store_id, {
        UserName: userName,
        DisplayName: displayName,
        ...(Object.keys(name).length > 0 ? { Name: name } : {}),
        ...(email ? { Emails: [{ Value: email, Primary: true }] } : {}),
      });
    } catch (err) {
      if (err instanceof DomainError && err.code === 'conflict')
        throw new DomainError('conflict', `A user named “${userName}” exists already; nothing was created.`);
      throw err;
    }
    return kit.done(reply, `/admin/users/${id}`, 'created');
  });

  app.get('/admin/users/:id', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DescribeUser', userId: id });
    const q = kit.query(request);
    const at = q.position();
    const pages = {
      groups: { ...at.groups, limit: PAGE_SIZE },
      reach: { ...at.list, limit: PAGE_SIZE },
    };
    const detail = ID.directory.test(id) ? await userDetail(kit.ctx, id, pages) : undefined;
    if (!detail)
      return kit.refusal(
        reply,
        404,
        'No such user',
        'There is no user with that id. It may have been deleted.',
        session,
      );
    const done = NOTICES[q.text('done', 'the notice')];
    const mayUpdate = kit.may(request, view, { op: 'UpdateUser', userId: id });
    return kit.send(
      reply,
      session,
      'users',
      detail.user.userName,
      userPage(kit.prefix, session, detail, at, done, mayUpdate),
    );
  });

  /**
   * A user action: the user must exist; the action's outcome picks the notice, and the user's
   * page comes back at the pages of groups and of what they reach the form was on.
   */
  function action(
    path: string,
    run: (
      userId: string,
      detail: UserDetail,
      who: ReturnType<AdminKit['who']>,
      request: FastifyRequest,
    ) => Promise<string>,
  ) {
    app.post(`/admin/users/:id/${path}`, async (request, reply) => {
      const view = await kit.actor(request, reply);
      if (!view) return reply;
      const { session } = view;
      const { id } = request.params as { id: string };
      await kit.require(request, view, { op: 'UpdateUser', userId: id });
      const backTo = pathWith(`/admin/users/${id}`, positionParams(kit.formPosition(request)));
      const detail = ID.directory.test(id) ? await userDetail(kit.ctx, id) : undefined;
      if (!detail) throw bad('The form names a user that does not exist; nothing was changed.');
      const outcome = await run(id, detail, kit.who(request, session), request);
      return kit.done(reply, backTo, outcome);
    });
  }

  action('disable', async (id, detail, who) => {
    assertOwnedHere(detail.user.source, 'user.status');
    if (who.actor === `user:${id}`)
      throw new DomainError('conflict', 'You cannot disable yourself: another administrator can.');
    const r = await disableUser(kit.ctx, id, who.actor, who);
    noteRevocations(kit.deps.credentials, r.written);
    return r.changed ? 'disabled' : 'already-disabled';
  });

  action('enable', async (id, detail, who) => {
    assertOwnedHere(detail.user.source, 'user.status');
    const r = await enableUser(kit.ctx, id, who.actor, who);
    return r.changed ? 'enabled' : 'already-enabled';
  });

  /** The attributes a person reads (UpdateUser on them): what is left empty is removed. */
  action('attributes', async (id, _detail, who, request) => {
    const a = attributeFields(request);
    const instance = await ensureInstance(kit.ctx);
    const written = await updateUser(kit.ctx, who, instance.identity_store_id, id, (doc) => {
      const out: Wire = { ...doc, DisplayName: a.displayName };
      const name: Wire = { ...((doc.Name as Wire | undefined) ?? {}) };
      if (a.givenName) name.GivenName = a.givenName;
      else delete name.GivenName;
      if (a.familyName) name.FamilyName = a.familyName;
      else delete name.FamilyName;
      if (Object.keys(name).length > 0) out.Name = name;
      else delete out.Name;
      const emails = (doc.Emails as Wire[] | undefined) ?? [];
      const primary = emails.find((e) => e.Primary) ?? emails[0];
      if (!a.email) delete out.Emails;
      else if (primary?.Value !== a.email) out.Emails = [{ ...primary, Value: a.email, Primary: true }];
      return out;
    });
    noteRevocations(kit.deps.credentials, written);
    return 'edited';
  });

  /** The attribute fields of the create and edit forms, checked as the directory rules say. */
  function attributeFields(request: FastifyRequest) {
    const displayName = kit.field(request, 'displayName', 'the display name', 1024);
    const givenName = kit.field(request, 'givenName', 'the given name', 1024, true);
    const familyName = kit.field(request, 'familyName', 'the family name', 1024, true);
    const email = kit.field(request, 'email', 'the e-mail address', 1024, true);
    const problem =
      checkDisplayName(displayName) ??
      (givenName ? checkPersonName(givenName, 'given name') : undefined) ??
      (familyName ? checkPersonName(familyName, 'family name') : undefined) ??
      (email ? checkEmail(email) : undefined);
    if (problem) throw bad(`${problem.charAt(0).toUpperCase()}${problem.slice(1)}; nothing was changed.`);
    return { displayName, givenName, familyName, email };
  }

  action('password', async (id, detail, who, request) => {
    assertOwnedHere(detail.user.source, 'user.password');
    // Taken as typed: a password's spaces are part of it.
    const all = formFields(request).getAll('password');
    if (all.length !== 1) throw bad('The form must have one new password.');
    const password = all[0] ?? '';
    const problem = checkPassword(password);
    if (problem) throw bad(`The ${problem}; nothing was changed.`);
    await setPassword(kit.ctx, id, password, who.actor, who);
    return 'password-set';
  });

  action('reset-mfa', async (id, _detail, who) => {
    await resetMfa(kit.ctx, id, who.actor, who);
    return 'mfa-reset';
  });

  action('sign-out', async (_id, detail, who) => {
    const outcome = await revokeUserEverything(kit.ctx, detail.user.userName, who.actor, who);
    if (outcome)
      noteRevocations(kit.deps.credentials, { revocations: outcome.revocations, notBefore: outcome.at });
    return 'signed-out';
  });
}

function createForm(prefix: string, session: PortalSessionInfo): Html {
  const field = (
    name: string,
    label: string,
    opts: { required?: boolean; type?: string; hint?: string } = {},
  ) =>
    html`<label for="${name}">${label}${opts.required ? '' : html` <span class="muted">(optional)</span>`}</label>
    <input type="${opts.type ?? 'text'}" id="${name}" name="${name}"${opts.required ? html` required` : ''} maxlength="${name === 'userName' ? 128 : 1024}" autocomplete="off"${opts.hint ? html` aria-describedby="${name}-hint"` : ''}>
    ${opts.hint ? html`<p class="muted small" id="${name}-hint">${opts.hint}</p>` : ''}`;
  return html`<h1>Create user</h1>
  <form method="post" action="${webPath(prefix, '/admin/users')}" class="card form">
    ${csrfField(session)}
    ${field('userName', 'User name', { required: true, hint: 'What they sign in with: no spaces, unique regardless of case.' })}
    ${field('displayName', 'Display name', { required: true })}
    ${field('givenName', 'Given name')}
    ${field('familyName', 'Family name')}
    ${field('email', 'E-mail', { type: 'email' })}
    <div class="actions"><button type="submit">Create user</button> <a href="${webPath(prefix, '/admin/users')}">Cancel</a></div>
  </form>`;
}

/**
 * A user's page; the links that page their groups keep what they reach where it is (`at`) and
 * the other way round, and the forms come back to both pages.
 */
function userPage(
  prefix: string,
  session: PortalSessionInfo,
  d: UserDetail,
  at: TwoListsAt,
  done: string | undefined,
  mayUpdate: boolean,
): Html {
  const to = (path: string) => webPath(prefix, path);
  const u = d.user;
  const fromDirectory = u.source === 'directory';
  // Each list's links carry the other list's key, the forms both.
  const here = positionParams(at);
  const reachAt = { after: here.after, before: here.before };
  const groupsAt = { 'groups-after': here['groups-after'], 'groups-before': here['groups-before'] };
  const button = (path: string, label: string, cls = 'secondary', describe = '') =>
    html`<form method="post" action="${to(`/admin/users/${u.id}/${path}`)}" class="inline">
      ${csrfField(session)}${hiddenFields(here)}<button type="submit" class="${cls}"${describe ? html` aria-describedby="${describe}"` : ''}>${label}</button>
    </form>`;
  const name = [u.givenName, u.familyName].filter((s) => s).join(' ');
  return html`<p class="crumbs"><a href="${to('/admin/users')}">Users</a></p>
  <h1><bdi>${text(u.userName)}</bdi> ${statusBadge(u.status)} ${sourceBadge(u.source)}</h1>
  ${notice(done)}
  <section class="card" aria-labelledby="actions-h">
    <h2 id="actions-h">Actions</h2>
    ${
      mayUpdate
        ? html`<div class="actions">
      ${
        fromDirectory
          ? html`<p class="muted" id="dir-note">${DIRECTORY_OWNS}</p>`
          : u.id === session.userId
            ? ''
            : u.status === 'ENABLED'
              ? button('disable', 'Disable user', 'danger')
              : button('enable', 'Enable user', '')
      }
      ${button('sign-out', 'Sign out everywhere')}
      ${button('reset-mfa', `Reset MFA (${d.mfaDevices} device${d.mfaDevices === 1 ? '' : 's'})`)}
    </div>
    ${
      fromDirectory
        ? ''
        : html`<form method="post" action="${to(`/admin/users/${u.id}/password`)}" class="search">
      ${csrfField(session)}
      ${hiddenFields(here)}
      <label for="new-password">Set a new password</label>
      <div class="search-row">
        <input type="password" id="new-password" name="password" required minlength="8" maxlength="256" autocomplete="new-password" aria-describedby="password-hint">
        <button type="submit" class="secondary">Set password</button>
      </div>
      <p class="muted small" id="password-hint">8 to 256 characters. Setting it also clears a password lockout; tell the user through a channel of your own.</p>
    </form>`
    }`
        : html`<p class="muted">Your administrators’ permission sets do not allow identitystore:UpdateUser on this user: you can look, not change.</p>`
    }
  </section>
  <section class="card" aria-labelledby="attrs-h">
    <h2 id="attrs-h">Attributes</h2>
    <dl class="details">
      <dt>User name</dt><dd>${text(u.userName, 256)}</dd>
      <dt>Display name</dt><dd>${text(u.displayName, 256)}</dd>
      <dt>Name</dt><dd>${text(name, 256)}</dd>
      <dt>E-mail</dt><dd>${text(u.email, 256)}</dd>
      <dt>User ID</dt><dd class="mono">${u.id}</dd>
      <dt>Managed in</dt><dd>${fromDirectory ? html`the directory (<bdi class="mono">${text(u.directoryDn, 512)}</bdi>)` : 'this server'}</dd>
      <dt>Active sessions</dt><dd>${d.liveSessions} <a href="${to(`/admin/sessions?user=${encodeURIComponent(u.id)}`)}">See sessions</a></dd>
      <dt>Created</dt><dd>${when(u.createdAt)} by <span class="mono">${u.createdBy}</span></dd>
      <dt>Updated</dt><dd>${when(u.updatedAt)} by <span class="mono">${u.updatedBy}</span></dd>
    </dl>
    ${mayUpdate && !fromDirectory ? editForm(prefix, session, u, here) : ''}
  </section>
  <section class="card" aria-labelledby="groups-h">
    <h2 id="groups-h">Groups</h2>
    ${
      d.groups.items.length === 0
        ? html`<p class="muted">${d.groups.prev === undefined ? 'Not in any group.' : 'No group on this page.'}</p>`
        : html`<ul class="plain" id="user-groups">${d.groups.items.map((g) => html`<li><a href="${to(`/admin/groups/${g.id}`)}">${text(g.name)}</a></li>`)}</ul>`
    }
    ${pager({ prefix, path: `/admin/users/${u.id}`, params: reachAt, isFirst: d.groups.prev === undefined, next: d.groups.next, nextParam: 'groups-after', prev: d.groups.prev, prevParam: 'groups-before', label: 'Pages of groups' })}
  </section>
  <section class="card" aria-labelledby="reach-h">
    <h2 id="reach-h">What this user can reach</h2>
    ${
      d.reach.items.length === 0
        ? html`<p class="muted">${d.reach.prev === undefined ? 'No account: no assignment names this user or a group of theirs.' : 'No account on this page.'}</p>`
        : html`<table class="data stack" id="reach">
      <caption class="visually-hidden">Accounts and permission sets this user can use, and how</caption>
      <thead><tr><th scope="col">Account</th><th scope="col">Permission set</th><th scope="col">Through</th></tr></thead>
      <tbody>${d.reach.items.map(
        (r) => html`<tr>
          <td data-label="Account"><a href="${to(`/admin/accounts/${r.accountId}`)}">${text(r.accountName)}</a> <span class="mono muted">${r.accountId}</span></td>
          <td data-label="Permission set"><a href="${to(`/admin/permission-sets/${r.permissionSetId}`)}">${text(r.permissionSetName)}</a></td>
          <td data-label="Through">${viaList(prefix, r.via)}</td>
        </tr>`,
      )}</tbody>
    </table>`
    }
    ${pager({ prefix, path: `/admin/users/${u.id}`, params: groupsAt, isFirst: d.reach.prev === undefined, next: d.reach.next, prev: d.reach.prev, label: 'Pages of what the user reaches' })}
  </section>`;
}

function viaList(prefix: string, via: UserDetail['reach']['items'][number]['via']): Html {
  return html`${via.map(
    (v, i) =>
      html`${i > 0 ? ', ' : ''}${
        v.type === 'USER'
          ? 'assigned directly'
          : html`group <a href="${webPath(prefix, `/admin/groups/${v.groupId ?? ''}`)}">${text(v.groupName)}</a>`
      }`,
  )}`;
}

/**
 * The attributes form of a user's page, filled with what is stored; `at`, the page's paging
 * parameters, to come back to the same pages of its lists.
 */
function editForm(
  prefix: string,
  session: PortalSessionInfo,
  u: UserDetail['user'],
  at: Readonly<Record<string, string | undefined>>,
): Html {
  const field = (name: string, label: string, value: string | null, required = false, type = 'text') =>
    html`<label for="edit-${name}">${label}${required ? '' : html` <span class="muted">(optional)</span>`}</label>
    <input type="${type}" id="edit-${name}" name="${name}" value="${value ?? ''}"${required ? html` required` : ''} maxlength="1024" autocomplete="off">`;
  return html`<details>
    <summary>Edit attributes</summary>
    <form method="post" action="${webPath(prefix, `/admin/users/${u.id}/attributes`)}" class="form">
      ${csrfField(session)}
      ${hiddenFields(at)}
      ${field('displayName', 'Display name', u.displayName, true)}
      ${field('givenName', 'Given name', u.givenName)}
      ${field('familyName', 'Family name', u.familyName)}
      ${field('email', 'E-mail', u.email, false, 'email')}
      <div class="actions"><button type="submit">Save attributes</button></div>
    </form>
  </details>`;
}
