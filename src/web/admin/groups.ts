/**
 * The console's groups: the list (search by name prefix, paged by key), a group's page (its
 * members, paged, and the accounts it is assigned), and adding and removing members through the
 * identitystore use cases (`createMembership`, `deleteMembership`: removing a member stops the
 * role credentials the membership alone gave). A directory group's members are the directory's:
 * changing them here is refused.
 */
import type { FastifyInstance } from 'fastify';
import {
  type GroupDetail,
  groupDetail,
  membershipOf,
  searchGroups,
  userIdByName,
} from '../../app/admin/console.ts';
import { createGroup, createMembership, deleteGroup, deleteMembership } from '../../app/admin/directory.ts';
import { assertOwnedHere, directoryOwnedMessage, isDirectoryOwned } from '../../app/admin/directory-owned.ts';
import { noteRevocations } from '../../app/admin/who.ts';
import { ensureInstance } from '../../app/instance.ts';
import { DomainError } from '../../domain/errors.ts';
import { checkGroupDescription, checkGroupName } from '../../domain/identity/directory.ts';
import { csrfField } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { webPath } from '../paths.ts';
import type { PortalSessionInfo } from '../session.ts';
import { type AdminKit, bad, ID, PAGE_SIZE } from './kit.ts';
import { notice, pager, searchForm, sourceBadge, statusBadge, text } from './shell.ts';

const NOTICES: Record<string, string> = {
  created: 'The group was created. Add its members below.',
  deleted: 'The group was deleted.',
  added: 'The user was added to the group.',
  removed: 'The user was removed from the group; role credentials the membership alone gave were stopped.',
};

const DIRECTORY_OWNS = directoryOwnedMessage('group.members');

export function registerGroups(app: FastifyInstance, kit: AdminKit): void {
  const to = (path: string) => webPath(kit.prefix, path);

  app.get('/admin/groups', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    await kit.require(request, view, { op: 'ListGroups' });
    const q = kit.query(request);
    const query = q.text('q', 'the search text');
    const keys = q.keys();
    const page = await searchGroups(kit.ctx, { query, ...keys, limit: PAGE_SIZE });
    const done = NOTICES[q.text('done', 'the notice')];
    const mayCreate = kit.may(request, view, { op: 'CreateGroup' });
    return kit.send(
      reply,
      session,
      'groups',
      'Groups',
      html`<h1>Groups</h1>
      ${notice(done)}
      ${mayCreate ? createForm(kit.prefix, session) : ''}
      ${searchForm({ prefix: kit.prefix, path: '/admin/groups', label: 'Find groups', value: query, hint: 'The start of a group name.' })}
      ${
        page.items.length === 0
          ? html`<p class="empty">${query ? html`No group's name starts with “<bdi>${query}</bdi>”.` : 'No groups yet.'}</p>`
          : html`<table class="data stack" id="groups">
        <caption class="visually-hidden">Groups</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Description</th></tr></thead>
        <tbody>${page.items.map(
          (g) => html`<tr>
            <td data-label="Name"><a href="${to(`/admin/groups/${g.id}`)}">${text(g.name)}</a> ${sourceBadge(g.source)}</td>
            <td data-label="Description">${text(g.description, 256)}</td>
          </tr>`,
        )}</tbody>
      </table>`
      }
      ${pager({ prefix: kit.prefix, path: '/admin/groups', params: { q: query }, isFirst: page.prev === undefined, next: page.next, prev: page.prev })}`,
    );
  });

  app.get('/admin/groups/:id', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DescribeGroup', groupId: id });
    const q = kit.query(request);
    const keys = q.keys();
    const detail = ID.directory.test(id)
      ? await groupDetail(kit.ctx, id, { ...keys, limit: PAGE_SIZE })
      : undefined;
    if (!detail)
      return kit.refusal(
        reply,
        404,
        'No such group',
        'There is no group with that id. It may have been deleted.',
        session,
      );
    const done = NOTICES[q.text('done', 'the notice')];
    const mayDelete = kit.may(request, view, { op: 'DeleteGroup', groupId: id });
    return kit.send(
      reply,
      session,
      'groups',
      detail.group.name,
      groupPage(kit.prefix, session, detail, done, mayDelete),
    );
  });

  app.post('/admin/groups', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    await kit.require(request, view, { op: 'CreateGroup' });
    const name = kit.field(request, 'name', 'the group name', 1024);
    const description = kit.field(request, 'description', 'the description', 1024, true);
    const problem = checkGroupName(name) ?? (description ? checkGroupDescription(description) : undefined);
    if (problem) throw bad(`${problem.charAt(0).toUpperCase()}${problem.slice(1)}; nothing was created.`);
    const instance = await ensureInstance(kit.ctx);
    let id: string;
    try {
      id = await createGroup(kit.ctx, kit.who(request, session), instance.identity_store_id, {
        DisplayName: name,
        ...(description ? { Description: description } : {}),
      });
    } catch (err) {
      if (err instanceof DomainError && err.code === 'conflict')
        throw new DomainError('conflict', `A group named “${name}” exists already; nothing was created.`);
      throw err;
    }
    return kit.done(reply, `/admin/groups/${id}`, 'created');
  });

  /** As DeleteGroup: refused while the group has members or assignments, or is the directory's. */
  app.post('/admin/groups/:id/delete', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DeleteGroup', groupId: id });
    const detail = ID.directory.test(id) ? await groupDetail(kit.ctx, id, { limit: 1 }) : undefined;
    if (!detail) throw bad('The form names a group that does not exist; nothing was changed.');
    await deleteGroup(kit.ctx, kit.who(request, session), id);
    return kit.done(reply, '/admin/groups', 'deleted');
  });

  /** The group a membership form names, which must exist and be this server's own. */
  async function ownGroup(id: string): Promise<GroupDetail> {
    const detail = ID.directory.test(id) ? await groupDetail(kit.ctx, id, { limit: 1 }) : undefined;
    if (!detail) throw bad('The form names a group that does not exist; nothing was changed.');
    assertOwnedHere(detail.group.source, 'group.members');
    return detail;
  }

  app.post('/admin/groups/:id/members', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    const userName = kit.field(request, 'userName', 'the user name', 128);
    await ownGroup(id);
    const userId = await userIdByName(kit.ctx, userName);
    if (!userId) throw bad(`There is no user named “${userName}”; nothing was changed.`);
    await kit.require(request, view, { op: 'CreateGroupMembership', groupId: id, userId });
    const instance = await ensureInstance(kit.ctx);
    try {
      await createMembership(kit.ctx, kit.who(request, session), instance.identity_store_id, id, userId);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'conflict')
        throw new DomainError('conflict', `${userName} is in the group already.`);
      throw err;
    }
    return kit.done(reply, `/admin/groups/${id}`, 'added');
  });

  app.post('/admin/groups/:id/members/remove', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    const membershipId = kit.idField(request, 'membership', 'membership', ID.directory);
    await ownGroup(id);
    const membership = await membershipOf(kit.ctx, membershipId);
    if (membership?.groupId !== id)
      throw bad('The form names a membership this group does not have; nothing was changed.');
    await kit.require(request, view, {
      op: 'DeleteGroupMembership',
      membershipId,
      groupId: id,
      userId: membership.userId,
    });
    const written = await deleteMembership(kit.ctx, kit.who(request, session), membershipId);
    noteRevocations(kit.deps.credentials, written);
    return kit.done(reply, `/admin/groups/${id}`, 'removed');
  });
}

function groupPage(
  prefix: string,
  session: PortalSessionInfo,
  d: GroupDetail,
  done: string | undefined,
  mayDelete: boolean,
): Html {
  const to = (path: string) => webPath(prefix, path);
  const g = d.group;
  const own = !isDirectoryOwned(g.source);
  return html`<p class="crumbs"><a href="${to('/admin/groups')}">Groups</a></p>
  <h1><bdi>${text(g.name)}</bdi> ${sourceBadge(g.source)}</h1>
  ${notice(done)}
  ${g.description ? html`<p>${text(g.description, 1024)}</p>` : ''}
  <section class="card" aria-labelledby="members-h">
    <h2 id="members-h">Members (${d.memberCount})</h2>
    ${
      own
        ? html`<form method="post" action="${to(`/admin/groups/${g.id}/members`)}" class="search">
      ${csrfField(session)}
      <label for="member-name">Add a member by user name</label>
      <div class="search-row"><input type="text" id="member-name" name="userName" required maxlength="128" autocomplete="off"><button type="submit">Add member</button></div>
    </form>`
        : html`<p class="muted">${DIRECTORY_OWNS}</p>`
    }
    ${
      d.members.items.length === 0
        ? html`<p class="muted">No members${d.members.prev !== undefined || d.members.next !== undefined ? ' on this page' : ''}.</p>`
        : html`<table class="data stack" id="members">
      <caption class="visually-hidden">Members of the group</caption>
      <thead><tr><th scope="col">User name</th><th scope="col">Display name</th><th scope="col">Status</th>${own ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
      <tbody>${d.members.items.map(
        (m) => html`<tr>
          <td data-label="User name"><a href="${to(`/admin/users/${m.id}`)}">${text(m.userName)}</a></td>
          <td data-label="Display name">${text(m.displayName)}</td>
          <td data-label="Status">${statusBadge(m.status)}</td>
          ${
            own
              ? html`<td class="nowrap"><form method="post" action="${to(`/admin/groups/${g.id}/members/remove`)}" class="inline">
            ${csrfField(session)}<input type="hidden" name="membership" value="${m.membershipId}">
            <button type="submit" class="secondary small">Remove<span class="visually-hidden"> ${m.userName} from the group</span></button>
          </form></td>`
              : ''
          }
        </tr>`,
      )}</tbody>
    </table>`
    }
    ${pager({ prefix, path: `/admin/groups/${g.id}`, params: {}, isFirst: d.members.prev === undefined, next: d.members.next, prev: d.members.prev })}
  </section>
  ${own && mayDelete ? deleteSection(prefix, session, d) : ''}
  <section class="card" aria-labelledby="assign-h">
    <h2 id="assign-h">Account assignments</h2>
    ${
      d.assignments.length === 0
        ? html`<p class="muted">The group is assigned no account.</p>`
        : html`<table class="data stack" id="group-assignments">
      <caption class="visually-hidden">Accounts the group is assigned</caption>
      <thead><tr><th scope="col">Account</th><th scope="col">Permission set</th></tr></thead>
      <tbody>${d.assignments.map(
        (a) => html`<tr>
          <td data-label="Account"><a href="${to(`/admin/accounts/${a.accountId}`)}">${text(a.accountName)}</a> <span class="mono muted">${a.accountId}</span></td>
          <td data-label="Permission set"><a href="${to(`/admin/permission-sets/${a.permissionSetId}`)}">${text(a.permissionSetName)}</a></td>
        </tr>`,
      )}</tbody>
    </table>`
    }
  </section>`;
}

function createForm(prefix: string, session: PortalSessionInfo): Html {
  return html`<details class="card">
    <summary>Create a group</summary>
    <form method="post" action="${webPath(prefix, '/admin/groups')}" class="form">
      ${csrfField(session)}
      <label for="group-name">Name</label>
      <input type="text" id="group-name" name="name" required maxlength="1024" autocomplete="off" aria-describedby="group-name-hint">
      <p class="muted small" id="group-name-hint">Unique regardless of case.</p>
      <label for="group-description">Description <span class="muted">(optional)</span></label>
      <input type="text" id="group-description" name="description" maxlength="1024" autocomplete="off">
      <div class="actions"><button type="submit">Create group</button></div>
    </form>
  </details>`;
}

/** Deleting is offered only for an empty, unassigned group, as DeleteGroup allows only that. */
function deleteSection(prefix: string, session: PortalSessionInfo, d: GroupDetail): Html {
  const empty = d.memberCount === 0 && d.assignments.length === 0;
  return html`<section class="card" aria-labelledby="delete-h">
    <h2 id="delete-h">Delete the group</h2>
    ${
      empty
        ? html`<form method="post" action="${webPath(prefix, `/admin/groups/${d.group.id}/delete`)}" class="inline">
      ${csrfField(session)}<button type="submit" class="danger">Delete group<span class="visually-hidden"> ${d.group.name}</span></button>
    </form>`
        : html`<p class="muted">A group with members or account assignments is not deleted: remove them first, as identitystore:DeleteGroup requires.</p>`
    }
  </section>`;
}
