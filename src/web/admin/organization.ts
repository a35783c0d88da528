/**
 * The console's organization: accounts (search by id or name prefix, by OU, paged by key both
 * ways) and OUs, an account's page with "who can access this account and how" (per permission
 * set: the first users assigned, and the first groups with their first members, each block
 * linking to the page of that account and permission set, which lists them all by page both
 * ways), and creating and deleting account assignments from these pages or a permission set's,
 * through the sso-admin use cases
 * (`createAssignment`, `deleteAssignment`: a deletion stops the role credentials it alone gave).
 * OUs are created, renamed and deleted (only when empty), and accounts moved between them,
 * through the organizations use cases (`app/admin/organization.ts`), each authorised as its
 * organizations action (CreateOrganizationalUnit, UpdateOrganizationalUnit,
 * DeleteOrganizationalUnit, MoveAccount). Permission sets are `permission-sets.ts`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAssignment, deleteAssignment } from '../../app/admin/assignments.ts';
import {
  type AccountAccess,
  type AccountAccessEntry,
  type AccountPermissionSetAccess,
  accountAccess,
  accountPermissionSetAccess,
  groupIdByName,
  listOus,
  type OuListItem,
  type PermissionSetListItem,
  searchAccounts,
  searchPermissionSets,
  userIdByName,
} from '../../app/admin/console.ts';
import {
  createOu,
  deleteOu,
  describeOu,
  moveAccount,
  readAccount,
  renameOu,
} from '../../app/admin/organization.ts';
import { noteRevocations } from '../../app/admin/who.ts';
import { csrfField } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { webPath } from '../paths.ts';
import type { PortalSessionInfo } from '../session.ts';
import {
  type AdminKit,
  type AdminView,
  bad,
  ID,
  PAGE_SIZE,
  pathWith,
  positionParams,
  type TwoListsAt,
} from './kit.ts';
import { hiddenFields, notice, pager, searchForm, statusBadge, text } from './shell.ts';

const NOTICES: Record<string, string> = {
  'ou-created': 'The OU was created. Move accounts into it from their pages.',
  'ou-renamed': 'The OU was renamed; the OUs under it were renamed with it.',
  'ou-deleted': 'The OU was deleted.',
  moved: 'The account was moved.',
  assigned: 'The assignment was created.',
  unassigned: 'The assignment was deleted; role credentials it alone gave were stopped.',
};

/** Most permission sets offered in an assignment form's list (AWS allows 500 an instance). */
const MAX_PERMISSION_SETS = 500;

export function registerOrganization(app: FastifyInstance, kit: AdminKit): void {
  const to = (path: string) => webPath(kit.prefix, path);

  app.get('/admin/accounts', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    await kit.require(request, view, { op: 'ListAccounts' });
    const q = kit.query(request);
    const query = q.text('q', 'the search text');
    const ou = q.id('ou', 'an OU id', ID.ou);
    const keys = q.keys();
    const [page, ous] = await Promise.all([
      searchAccounts(kit.ctx, { query, ...keys, limit: PAGE_SIZE, ouId: ou }),
      listOus(kit.ctx),
    ]);
    const ouPath = ou === 'root' ? '/' : ous.find((o) => o.id === ou)?.path;
    const done = NOTICES[q.text('done', 'the notice')];
    return kit.send(
      reply,
      session,
      'accounts',
      'Accounts',
      html`<h1>Accounts${ouPath ? html` in <bdi>${ouPath}</bdi>` : ''}</h1>
      ${notice(done)}
      ${searchForm({ prefix: kit.prefix, path: '/admin/accounts', label: 'Find accounts', value: query, hint: 'The start of an account id or name.' })}
      ${
        page.items.length === 0
          ? html`<p class="empty">No account${query ? html` whose id or name starts with “<bdi>${query}</bdi>”` : ''}.</p>`
          : html`<table class="data stack" id="accounts">
        <caption class="visually-hidden">Accounts</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Account id</th><th scope="col">OU</th><th scope="col">E-mail</th><th scope="col">Status</th></tr></thead>
        <tbody>${page.items.map(
          (a) => html`<tr>
            <td data-label="Name"><a href="${to(`/admin/accounts/${a.id}`)}">${text(a.name)}</a></td>
            <td data-label="Account id" class="mono">${a.id}</td>
            <td data-label="OU"><bdi>${a.ouPath}</bdi></td>
            <td data-label="E-mail">${text(a.email)}</td>
            <td data-label="Status">${a.status}${a.access === 'aws' ? html` <span class="badge dir">AWS</span>` : ''}</td>
          </tr>`,
        )}</tbody>
      </table>`
      }
      ${pager({ prefix: kit.prefix, path: '/admin/accounts', params: { q: query, ou }, isFirst: page.prev === undefined, next: page.next, prev: page.prev })}
      <section class="card" aria-labelledby="ous-h">
        <h2 id="ous-h">Organizational units</h2>
        <ul class="plain tree" id="ous">
          <li><a href="${to('/admin/accounts?ou=root')}">/ (the root)</a>${ouTree(kit.prefix, ous, '')}</li>
        </ul>
        ${ouForms(request, view, ous, ou && ouPath ? ou : 'root')}
      </section>`,
    );
  });

  /**
   * Under the OU tree: creating an OU (under the OU shown, or the root), and renaming and
   * deleting the OU shown, each offered when the administrator may.
   */
  function ouForms(request: FastifyRequest, view: AdminView, ous: OuListItem[], shown: string): Html {
    const { session } = view;
    const mayCreate = kit.may(request, view, { op: 'CreateOrganizationalUnit', parentId: shown });
    const current = shown === 'root' ? undefined : ous.find((o) => o.id === shown);
    const mayRename =
      current !== undefined && kit.may(request, view, { op: 'UpdateOrganizationalUnit', ouId: shown });
    const mayDelete =
      current !== undefined && kit.may(request, view, { op: 'DeleteOrganizationalUnit', ouId: shown });
    const name = current?.path.slice(current.path.lastIndexOf('/') + 1) ?? '';
    return html`${
      mayCreate
        ? html`<details>
      <summary>Create an OU${current ? html` in <bdi>${current.path}</bdi>` : ' under the root'}</summary>
      <form method="post" action="${to('/admin/ous')}" class="search">
        ${csrfField(session)}
        <input type="hidden" name="parent" value="${shown}">
        <label for="ou-name">Name of the new OU</label>
        <div class="search-row"><input type="text" id="ou-name" name="name" required maxlength="128" autocomplete="off"><button type="submit">Create OU</button></div>
      </form>
    </details>`
        : ''
    }
    ${
      mayRename && current
        ? html`<details>
      <summary>Rename <bdi>${current.path}</bdi></summary>
      <form method="post" action="${to(`/admin/ous/${shown}/rename`)}" class="search">
        ${csrfField(session)}
        <label for="ou-rename">New name</label>
        <div class="search-row"><input type="text" id="ou-rename" name="name" required maxlength="128" autocomplete="off" value="${name}"><button type="submit">Rename OU</button></div>
      </form>
    </details>`
        : ''
    }
    ${
      mayDelete && current
        ? html`<form method="post" action="${to(`/admin/ous/${shown}/delete`)}" class="inline">
      ${csrfField(session)}<button type="submit" class="danger">Delete OU<span class="visually-hidden"> ${current.path}</span></button>
    </form>
    <p class="muted small">Only an empty OU is deleted: move its accounts and delete the OUs under it first.</p>`
        : ''
    }`;
  }

  /** An OU id of the console (`root` or `ou-…`) as the organizations use cases take it. */
  const parentId = (view: AdminView, id: string) => (id === 'root' ? view.admin.instance.root_id : id);

  /** As CreateOrganizationalUnit: a new OU under the root or an OU. */
  app.post('/admin/ous', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const parent = kit.idField(request, 'parent', 'parent OU', ID.ou);
    await kit.require(request, view, { op: 'CreateOrganizationalUnit', parentId: parent });
    const name = kit.field(request, 'name', 'the OU name', 128);
    const ou = await createOu(
      kit.ctx,
      kit.who(request, view.session),
      view.admin.instance,
      parentId(view, parent),
      name,
    );
    return kit.done(reply, `/admin/accounts?ou=${ou.id}`, 'ou-created');
  });

  /** As UpdateOrganizationalUnit: a new name, the OUs under it following. */
  app.post('/admin/ous/:id/rename', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'UpdateOrganizationalUnit', ouId: id });
    if (!ID.ou.test(id) || id === 'root')
      throw bad('The form names an OU that does not exist; nothing was changed.');
    const name = kit.field(request, 'name', 'the OU name', 128);
    await renameOu(kit.ctx, kit.who(request, view.session), id, name);
    return kit.done(reply, `/admin/accounts?ou=${id}`, 'ou-renamed');
  });

  /** As DeleteOrganizationalUnit: only an OU without accounts or OUs in it. */
  app.post('/admin/ous/:id/delete', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DeleteOrganizationalUnit', ouId: id });
    if (!ID.ou.test(id) || id === 'root')
      throw bad('The form names an OU that does not exist; nothing was changed.');
    const { parent_id } = await describeOu(kit.ctx, id);
    await deleteOu(kit.ctx, kit.who(request, view.session), id);
    const up = parent_id === view.admin.instance.root_id ? 'root' : parent_id;
    return kit.done(reply, `/admin/accounts?ou=${up}`, 'ou-deleted');
  });

  /** As MoveAccount: from the OU the account is in to another one, or the root. */
  app.post('/admin/accounts/:id/move', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { id } = request.params as { id: string };
    if (!ID.account.test(id))
      throw bad('The form names an account that does not exist; nothing was changed.');
    const destination = kit.idField(request, 'to', 'OU', ID.ou);
    const source = (await readAccount(kit.ctx, id)).ou_id ?? 'root';
    await kit.require(request, view, {
      op: 'MoveAccount',
      accountId: id,
      sourceParentId: source,
      destinationParentId: destination,
    });
    await moveAccount(kit.ctx, kit.who(request, view.session), view.admin.instance, {
      accountId: id,
      from: parentId(view, source),
      to: parentId(view, destination),
    });
    return kit.done(reply, `/admin/accounts/${id}`, 'moved');
  });

  app.get('/admin/accounts/:id', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DescribeAccount', accountId: id });
    const q = kit.query(request);
    const keys = q.keys();
    const access = ID.account.test(id)
      ? await accountAccess(kit.ctx, id, { ...keys, limit: PAGE_SIZE })
      : undefined;
    if (!access)
      return kit.refusal(
        reply,
        404,
        'No such account',
        'There is no account with that id in the organization.',
        session,
      );
    const [sets, ous] = await Promise.all([
      searchPermissionSets(kit.ctx, { limit: MAX_PERMISSION_SETS }),
      listOus(kit.ctx),
    ]);
    const done = NOTICES[q.text('done', 'the notice')];
    const from = access.account.ouId ?? 'root';
    const mayMove = kit.may(request, view, {
      op: 'MoveAccount',
      accountId: id,
      sourceParentId: from,
      destinationParentId: from,
    });
    return kit.send(
      reply,
      session,
      'accounts',
      access.account.name,
      accountPage(kit.prefix, session, access, sets.items, done, mayMove ? ous : undefined),
    );
  });

  /**
   * Who one permission set lets into the account: the users assigned directly and the groups,
   * each listed by page both ways (users `after`/`before`, groups `groups-after`/`groups-before`).
   */
  app.get('/admin/accounts/:id/permission-sets/:psId', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id, psId } = request.params as { id: string; psId: string };
    await kit.require(request, view, { op: 'DescribeAccount', accountId: id });
    const q = kit.query(request);
    const at = q.position();
    const access =
      ID.account.test(id) && ID.permissionSet.test(psId)
        ? await accountPermissionSetAccess(kit.ctx, id, psId, {
            users: { ...at.list, limit: PAGE_SIZE },
            groups: { ...at.groups, limit: PAGE_SIZE },
          })
        : undefined;
    if (!access)
      return kit.refusal(
        reply,
        404,
        'No such account or permission set',
        'There is no account with that id in the organization, or no permission set with that id.',
        session,
      );
    const done = NOTICES[q.text('done', 'the notice')];
    return kit.send(
      reply,
      session,
      'accounts',
      `${access.permissionSet.name} in ${access.account.name}`,
      accountPermissionSetPage(kit.prefix, session, access, at, done),
    );
  });

  /**
   * Where an assignment form goes back to: the account's page, the page of the account and
   * permission set (at the pages of users and groups the form was on), or the permission set's.
   */
  function back(request: FastifyRequest, accountId: string, permissionSetId: string): string {
    const from = kit.field(request, 'from', 'the page to return to', 32, true);
    if (from === 'account-permission-set')
      return pathWith(
        `/admin/accounts/${accountId}/permission-sets/${permissionSetId}`,
        positionParams(kit.formPosition(request)),
      );
    return from === 'permission-set'
      ? `/admin/permission-sets/${permissionSetId}`
      : `/admin/accounts/${accountId}`;
  }

  app.post('/admin/assignments', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    const accountId = kit.field(request, 'accountId', 'the account id', 32).replace(/-/g, '');
    if (!ID.account.test(accountId)) throw bad('The account id must be 12 digits; nothing was changed.');
    const permissionSetId = kit.idField(request, 'permissionSetId', 'permission set', ID.permissionSet);
    const principalType = kit.field(request, 'principalType', 'the kind of principal', 16);
    if (principalType !== 'USER' && principalType !== 'GROUP')
      throw bad('Choose a user or a group; nothing was changed.');
    const name = kit.field(
      request,
      'principal',
      principalType === 'USER' ? 'the user name' : 'the group name',
      1024,
    );
    const backTo = back(request, accountId, permissionSetId);
    const principalId =
      principalType === 'USER' ? await userIdByName(kit.ctx, name) : await groupIdByName(kit.ctx, name);
    if (!principalId)
      throw bad(
        `There is no ${principalType === 'USER' ? 'user' : 'group'} named “${name}”; nothing was changed.`,
      );
    await kit.require(request, view, { op: 'CreateAccountAssignment', accountId, permissionSetId });
    const status = await createAssignment(kit.ctx, kit.who(request, session), {
      accountId,
      permissionSetId,
      principalType,
      principalId,
    });
    if (status.status === 'FAILED')
      throw bad(`${status.failureReason ?? 'The assignment was refused'}; nothing was changed.`);
    return kit.done(reply, backTo, 'assigned');
  });

  app.post('/admin/assignments/delete', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    const accountId = kit.idField(request, 'accountId', 'account', ID.account);
    const permissionSetId = kit.idField(request, 'permissionSetId', 'permission set', ID.permissionSet);
    const principalType = kit.field(request, 'principalType', 'the kind of principal', 16);
    if (principalType !== 'USER' && principalType !== 'GROUP')
      throw bad('The form names no kind of principal; nothing was changed.');
    const principalId = kit.idField(request, 'principalId', 'principal', ID.directory);
    const backTo = back(request, accountId, permissionSetId);
    await kit.require(request, view, { op: 'DeleteAccountAssignment', accountId, permissionSetId });
    const { status, written } = await deleteAssignment(kit.ctx, kit.who(request, session), {
      accountId,
      permissionSetId,
      principalType,
      principalId,
    });
    if (status.status === 'FAILED')
      throw bad(`${status.failureReason ?? 'The assignment could not be deleted'}; nothing was changed.`);
    noteRevocations(kit.deps.credentials, written);
    return kit.done(reply, backTo, 'unassigned');
  });
}

/**
 * The OUs under `parent` (a path; '' for the root) as nested lists: the tree of the organization,
 * each OU linking to the accounts directly in it. `ous` is ordered by path.
 */
function ouTree(prefix: string, ous: readonly OuListItem[], parent: string): Html | string {
  const children = ous.filter(
    (o) => o.path.startsWith(`${parent}/`) && !o.path.slice(parent.length + 1).includes('/'),
  );
  if (children.length === 0) return '';
  return html`<ul>${children.map(
    (o) =>
      html`<li><a href="${webPath(prefix, `/admin/accounts?ou=${o.id}`)}"><bdi>${o.path.slice(parent.length + 1)}</bdi></a> <span class="muted">(${o.accounts} account${o.accounts === 1 ? '' : 's'})</span>${ouTree(prefix, ous, o.path)}</li>`,
  )}</ul>`;
}

/**
 * The button that deletes one assignment (on an account's page or a permission set's); `at`, the
 * page's paging parameters, to come back to the same pages of its lists.
 */
export function unassignButton(
  prefix: string,
  session: PortalSessionInfo,
  key: { accountId: string; permissionSetId: string; principalType: 'USER' | 'GROUP'; principalId: string },
  label: string,
  from: 'account' | 'account-permission-set' | 'permission-set',
  at: Readonly<Record<string, string | undefined>> = {},
): Html {
  return html`<form method="post" action="${webPath(prefix, '/admin/assignments/delete')}" class="inline">
    ${csrfField(session)}
    <input type="hidden" name="accountId" value="${key.accountId}">
    <input type="hidden" name="permissionSetId" value="${key.permissionSetId}">
    <input type="hidden" name="principalType" value="${key.principalType}">
    <input type="hidden" name="principalId" value="${key.principalId}">
    <input type="hidden" name="from" value="${from}">
    ${hiddenFields(at)}
    <button type="submit" class="secondary small">Remove<span class="visually-hidden"> ${label}</span></button>
  </form>`;
}

/** The fields of an assignment form that name the user or group. */
export function principalFields(): Html {
  return html`<label for="principal-type">Assign to</label>
    <select id="principal-type" name="principalType"><option value="USER">a user</option><option value="GROUP">a group</option></select>
    <label for="principal">User or group name</label>
    <input type="text" id="principal" name="principal" required maxlength="1024" autocomplete="off">`;
}

/** "Who can access": one permission set's block, its first users and groups. */
function accessBlock(
  prefix: string,
  session: PortalSessionInfo,
  accountId: string,
  e: AccountAccessEntry,
): Html {
  const to = (path: string) => webPath(prefix, path);
  const all = `/admin/accounts/${accountId}/permission-sets/${e.permissionSetId}`;
  const more = e.userCount - e.users.length + (e.groupCount - e.groups.length);
  return html`<div class="ps-block" data-permission-set="${e.permissionSetName}">
      <h3><a href="${to(`/admin/permission-sets/${e.permissionSetId}`)}">${text(e.permissionSetName)}</a></h3>
      <ul class="plain">
        ${e.users.map(
          (
            u,
          ) => html`<li>user <a href="${to(`/admin/users/${u.id}`)}">${text(u.name)}</a> ${statusBadge(u.status ?? '')} <span class="muted">directly</span>
            ${unassignButton(prefix, session, { accountId, permissionSetId: e.permissionSetId, principalType: 'USER', principalId: u.id }, `${u.name}'s ${e.permissionSetName}`, 'account')}</li>`,
        )}
        ${e.groups.map(
          (
            g,
          ) => html`<li>group <a href="${to(`/admin/groups/${g.id}`)}">${text(g.name)}</a> <span class="muted">(${g.memberCount} member${g.memberCount === 1 ? '' : 's'})</span>
            ${unassignButton(prefix, session, { accountId, permissionSetId: e.permissionSetId, principalType: 'GROUP', principalId: g.id }, `group ${g.name}'s ${e.permissionSetName}`, 'account')}
            ${
              g.members.length > 0
                ? html`<ul class="members">${g.members.map(
                    (m) =>
                      html`<li><a href="${to(`/admin/users/${m.id}`)}">${text(m.name)}</a> ${m.status === 'ENABLED' ? '' : statusBadge(m.status ?? '')}</li>`,
                  )}${g.memberCount > g.members.length ? html`<li class="muted">and ${g.memberCount - g.members.length} more: <a href="${to(`/admin/groups/${g.id}`)}">see the group</a></li>` : ''}</ul>`
                : ''
            }</li>`,
        )}
        ${
          more > 0
            ? html`<li class="muted more">and ${principalsText(e.userCount - e.users.length, e.groupCount - e.groups.length)} more: <a href="${to(all)}">see all ${principalsText(e.userCount, e.groupCount)}<span class="visually-hidden"> with ${e.permissionSetName}</span></a></li>`
            : ''
        }
      </ul>
    </div>`;
}

/** “3 users and 1 group”, leaving out a kind there is none of. */
function principalsText(users: number, groups: number): string {
  const u = users > 0 ? `${users} user${users === 1 ? '' : 's'}` : '';
  const g = groups > 0 ? `${groups} group${groups === 1 ? '' : 's'}` : '';
  return u && g ? `${u} and ${g}` : u || g;
}

/**
 * The users and groups one permission set lets into an account, each list paged both ways; the
 * links that page one list keep the other where it is (`at`), and so do the Remove buttons.
 */
function accountPermissionSetPage(
  prefix: string,
  session: PortalSessionInfo,
  a: AccountPermissionSetAccess,
  at: TwoListsAt,
  done: string | undefined,
): Html {
  const to = (path: string) => webPath(prefix, path);
  const acc = a.account;
  const ps = a.permissionSet;
  const path = `/admin/accounts/${acc.id}/permission-sets/${ps.id}`;
  const key = { accountId: acc.id, permissionSetId: ps.id };
  // Each list's links carry the other list's key, the Remove buttons both.
  const here = positionParams(at);
  const usersAt = { after: here.after, before: here.before };
  const groupsAt = { 'groups-after': here['groups-after'], 'groups-before': here['groups-before'] };
  return html`<p class="crumbs"><a href="${to('/admin/accounts')}">Accounts</a> <span aria-hidden="true">›</span> <a href="${to(`/admin/accounts/${acc.id}`)}">${text(acc.name)}</a></p>
  <h1><a href="${to(`/admin/permission-sets/${ps.id}`)}">${text(ps.name)}</a> in <bdi>${text(acc.name)}</bdi> <span class="mono muted">${acc.id}</span></h1>
  ${notice(done)}
  <section class="card" aria-labelledby="ps-users-h">
    <h2 id="ps-users-h">Users assigned directly <span class="muted">(${a.userCount})</span></h2>
    ${
      a.users.items.length === 0
        ? html`<p class="muted">${a.users.prev === undefined ? 'None.' : 'No user on this page.'}</p>`
        : html`<table class="data stack" id="ps-users">
      <caption class="visually-hidden">Users assigned ${ps.name} in this account</caption>
      <thead><tr><th scope="col">User name</th><th scope="col">Display name</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${a.users.items.map(
        (u) => html`<tr>
          <td data-label="User name"><a href="${to(`/admin/users/${u.id}`)}">${text(u.name)}</a></td>
          <td data-label="Display name">${text(u.displayName)}</td>
          <td data-label="Status">${statusBadge(u.status ?? '')}</td>
          <td class="nowrap">${unassignButton(prefix, session, { ...key, principalType: 'USER', principalId: u.id }, `${u.name}'s ${ps.name}`, 'account-permission-set', here)}</td>
        </tr>`,
      )}</tbody>
    </table>`
    }
    ${pager({ prefix, path, params: groupsAt, isFirst: a.users.prev === undefined, next: a.users.next, prev: a.users.prev, label: 'Pages of users' })}
  </section>
  <section class="card" aria-labelledby="ps-groups-h">
    <h2 id="ps-groups-h">Groups <span class="muted">(${a.groupCount})</span></h2>
    ${
      a.groups.items.length === 0
        ? html`<p class="muted">${a.groups.prev === undefined ? 'None.' : 'No group on this page.'}</p>`
        : html`<table class="data stack" id="ps-groups">
      <caption class="visually-hidden">Groups assigned ${ps.name} in this account</caption>
      <thead><tr><th scope="col">Group</th><th scope="col">Members</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${a.groups.items.map(
        (g) => html`<tr>
          <td data-label="Group"><a href="${to(`/admin/groups/${g.id}`)}">${text(g.name)}</a></td>
          <td data-label="Members">${g.memberCount}</td>
          <td class="nowrap">${unassignButton(prefix, session, { ...key, principalType: 'GROUP', principalId: g.id }, `group ${g.name}'s ${ps.name}`, 'account-permission-set', here)}</td>
        </tr>`,
      )}</tbody>
    </table>`
    }
    ${pager({ prefix, path, params: usersAt, isFirst: a.groups.prev === undefined, next: a.groups.next, nextParam: 'groups-after', prev: a.groups.prev, prevParam: 'groups-before', label: 'Pages of groups' })}
  </section>`;
}

function accountPage(
  prefix: string,
  session: PortalSessionInfo,
  a: AccountAccess,
  sets: PermissionSetListItem[],
  done: string | undefined,
  moveTo: OuListItem[] | undefined,
): Html {
  const to = (path: string) => webPath(prefix, path);
  const acc = a.account;
  const here = acc.ouId ?? 'root';
  return html`<p class="crumbs"><a href="${to('/admin/accounts')}">Accounts</a></p>
  <h1><bdi>${text(acc.name)}</bdi> <span class="mono muted">${acc.id}</span></h1>
  ${notice(done)}
  <section class="card" aria-labelledby="account-h">
    <h2 id="account-h">Account</h2>
    <dl class="details">
      <dt>E-mail</dt><dd>${text(acc.email)}</dd>
      <dt>OU</dt><dd><bdi>${acc.ouPath}</bdi></dd>
      <dt>Status</dt><dd>${acc.status}</dd>
      <dt>Credentials</dt><dd>${acc.access === 'aws' ? 'real AWS credentials (federated)' : 'issued by this server'}</dd>
    </dl>
    ${
      moveTo
        ? html`<form method="post" action="${to(`/admin/accounts/${acc.id}/move`)}" class="search">
      ${csrfField(session)}
      <label for="move-to">Move the account to</label>
      <div class="search-row"><select id="move-to" name="to">
        ${here === 'root' ? '' : html`<option value="root">/ (the root)</option>`}
        ${moveTo.filter((o) => o.id !== here).map((o) => html`<option value="${o.id}">${o.path}</option>`)}
      </select><button type="submit">Move account</button></div>
    </form>`
        : ''
    }
  </section>
  <section class="card" aria-labelledby="who-h">
    <h2 id="who-h">Who can access this account and how</h2>
    ${
      a.entries.items.length === 0
        ? html`<p class="muted">${a.entries.prev === undefined ? 'Nobody: no assignment names this account.' : 'No permission set on this page.'}</p>`
        : a.entries.items.map((e) => accessBlock(prefix, session, acc.id, e))
    }
    ${pager({ prefix, path: `/admin/accounts/${acc.id}`, params: {}, isFirst: a.entries.prev === undefined, next: a.entries.next, prev: a.entries.prev, label: 'Pages of permission sets' })}
  </section>
  <section class="card" aria-labelledby="assign-h">
    <h2 id="assign-h">Assign a permission set in this account</h2>
    <form method="post" action="${to('/admin/assignments')}">
      ${csrfField(session)}
      <input type="hidden" name="accountId" value="${acc.id}">
      <input type="hidden" name="from" value="account">
      <label for="ps">Permission set</label>
      <select id="ps" name="permissionSetId">${sets.map((p) => html`<option value="${p.id}">${p.name}</option>`)}</select>
      ${principalFields()}
      <div class="actions"><button type="submit">Assign</button></div>
    </form>
  </section>`;
}
