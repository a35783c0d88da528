/**
 * The console's organization: accounts (search by id or name prefix, by OU, paged by key) and
 * OUs, an account's page with "who can access this account and how" (per permission set: the
 * users assigned, and the groups with their members), permission sets (their policies, session
 * duration and relay state, and where they are assigned), and creating and deleting account
 * assignments from an account's or a permission set's page, through the sso-admin use cases
 * (`createAssignment`, `deleteAssignment`: a deletion stops the role credentials it alone gave).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAssignment, deleteAssignment } from '../../app/admin/assignments.ts';
import {
  type AccountAccess,
  accountAccess,
  groupIdByName,
  listOus,
  type OuListItem,
  type PermissionSetDetail,
  type PermissionSetListItem,
  permissionSetDetail,
  searchAccounts,
  searchPermissionSets,
  userIdByName,
} from '../../app/admin/console.ts';
import { createPermissionSet, deletePermissionSet } from '../../app/admin/permission-sets.ts';
import { noteRevocations } from '../../app/admin/who.ts';
import { DomainError } from '../../domain/errors.ts';
import {
  checkPermissionSetDescription,
  checkPermissionSetName,
  checkRelayState,
  checkSessionDuration,
  DEFAULT_SESSION_DURATION,
} from '../../domain/identity/permission-set.ts';
import { csrfField } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { webPath } from '../paths.ts';
import type { PortalSessionInfo } from '../session.ts';
import { type AdminKit, bad, ID, PAGE_SIZE } from './kit.ts';
import { notice, pager, searchForm, statusBadge, text } from './shell.ts';

const NOTICES: Record<string, string> = {
  'ps-created':
    'The permission set was created. Assign it below; attach its policies through sso-admin or the organization file.',
  'ps-deleted': 'The permission set was deleted.',
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
    return kit.send(
      reply,
      session,
      'accounts',
      'Accounts',
      html`<h1>Accounts${ouPath ? html` in <bdi>${ouPath}</bdi>` : ''}</h1>
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
      </section>`,
    );
  });

  app.get('/admin/accounts/:id', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DescribeAccount', accountId: id });
    const access = ID.account.test(id) ? await accountAccess(kit.ctx, id) : undefined;
    if (!access)
      return kit.refusal(
        reply,
        404,
        'No such account',
        'There is no account with that id in the organization.',
        session,
      );
    const sets = await searchPermissionSets(kit.ctx, { limit: MAX_PERMISSION_SETS });
    const done = NOTICES[kit.query(request).text('done', 'the notice')];
    return kit.send(
      reply,
      session,
      'accounts',
      access.account.name,
      accountPage(kit.prefix, session, access, sets.items, done),
    );
  });

  app.get('/admin/permission-sets', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    await kit.require(request, view, { op: 'ListPermissionSets' });
    const q = kit.query(request);
    const query = q.text('q', 'the search text');
    const keys = q.keys();
    const page = await searchPermissionSets(kit.ctx, { query, ...keys, limit: PAGE_SIZE });
    const done = NOTICES[q.text('done', 'the notice')];
    const mayCreate = kit.may(request, view, { op: 'CreatePermissionSet' });
    return kit.send(
      reply,
      session,
      'permission-sets',
      'Permission sets',
      html`<h1>Permission sets</h1>
      ${notice(done)}
      ${mayCreate ? createPermissionSetForm(kit.prefix, session) : ''}
      ${searchForm({ prefix: kit.prefix, path: '/admin/permission-sets', label: 'Find permission sets', value: query, hint: 'The start of a permission set name.' })}
      ${
        page.items.length === 0
          ? html`<p class="empty">No permission set${query ? html` whose name starts with “<bdi>${query}</bdi>”` : ''}.</p>`
          : html`<table class="data stack" id="permission-sets">
        <caption class="visually-hidden">Permission sets</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Session duration</th></tr></thead>
        <tbody>${page.items.map(
          (p) => html`<tr>
            <td data-label="Name"><a href="${to(`/admin/permission-sets/${p.id}`)}">${text(p.name)}</a>${p.administrators ? html` <span class="badge">Administrators</span>` : ''}</td>
            <td data-label="Description">${text(p.description, 256)}</td>
            <td data-label="Session duration" class="mono">${p.sessionDuration}</td>
          </tr>`,
        )}</tbody>
      </table>`
      }
      ${pager({ prefix: kit.prefix, path: '/admin/permission-sets', params: { q: query }, isFirst: page.prev === undefined, next: page.next, prev: page.prev })}`,
    );
  });

  app.get('/admin/permission-sets/:id', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DescribePermissionSet', permissionSetId: id });
    const q = kit.query(request);
    const after = q.key();
    const detail = ID.permissionSet.test(id)
      ? await permissionSetDetail(kit.ctx, id, { after, limit: PAGE_SIZE })
      : undefined;
    if (!detail)
      return kit.refusal(
        reply,
        404,
        'No such permission set',
        'There is no permission set with that id.',
        session,
      );
    const done = NOTICES[q.text('done', 'the notice')];
    const mayDelete = kit.may(request, view, { op: 'DeletePermissionSet', permissionSetId: id });
    return kit.send(
      reply,
      session,
      'permission-sets',
      detail.name,
      permissionSetPage(kit.prefix, session, detail, after, done, mayDelete),
    );
  });

  app.post('/admin/permission-sets', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    await kit.require(request, view, { op: 'CreatePermissionSet' });
    const name = kit.field(request, 'name', 'the name', 32);
    const description = kit.field(request, 'description', 'the description', 700, true);
    const duration = kit.field(request, 'sessionDuration', 'the session duration', 100, true);
    const relayState = kit.field(request, 'relayState', 'the relay state', 240, true);
    const problem =
      checkPermissionSetName(name) ??
      (description ? checkPermissionSetDescription(description) : undefined) ??
      (duration ? checkSessionDuration(duration) : undefined) ??
      (relayState ? checkRelayState(relayState) : undefined);
    if (problem) throw bad(`${problem.charAt(0).toUpperCase()}${problem.slice(1)}; nothing was created.`);
    let id: string;
    try {
      id = (
        await createPermissionSet(kit.ctx, kit.who(request, session), {
          name,
          description: description || undefined,
          sessionDuration: duration || undefined,
          relayState: relayState || undefined,
        })
      ).id;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'conflict')
        throw new DomainError(
          'conflict',
          `A permission set named “${name}” exists already; nothing was created.`,
        );
      throw err;
    }
    return kit.done(reply, `/admin/permission-sets/${id}`, 'ps-created');
  });

  /** As DeletePermissionSet: refused while it is assigned or provisioned anywhere. */
  app.post('/admin/permission-sets/:id/delete', async (request, reply) => {
    const view = await kit.actor(request, reply);
    if (!view) return reply;
    const { session } = view;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DeletePermissionSet', permissionSetId: id });
    if (!ID.permissionSet.test(id))
      throw bad('The form names a permission set that does not exist; nothing was changed.');
    await deletePermissionSet(kit.ctx, kit.who(request, session), id);
    return kit.done(reply, '/admin/permission-sets', 'ps-deleted');
  });

  /** Where an assignment form goes back to: the account's page or the permission set's. */
  function back(request: FastifyRequest, accountId: string, permissionSetId: string): string {
    return kit.field(request, 'from', 'the page to return to', 32, true) === 'permission-set'
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
    return kit.done(reply, back(request, accountId, permissionSetId), 'assigned');
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
    return kit.done(reply, back(request, accountId, permissionSetId), 'unassigned');
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

/** The button that deletes one assignment. */
function unassignButton(
  prefix: string,
  session: PortalSessionInfo,
  key: { accountId: string; permissionSetId: string; principalType: 'USER' | 'GROUP'; principalId: string },
  label: string,
  from: 'account' | 'permission-set',
): Html {
  return html`<form method="post" action="${webPath(prefix, '/admin/assignments/delete')}" class="inline">
    ${csrfField(session)}
    <input type="hidden" name="accountId" value="${key.accountId}">
    <input type="hidden" name="permissionSetId" value="${key.permissionSetId}">
    <input type="hidden" name="principalType" value="${key.principalType}">
    <input type="hidden" name="principalId" value="${key.principalId}">
    <input type="hidden" name="from" value="${from}">
    <button type="submit" class="secondary small">Remove<span class="visually-hidden"> ${label}</span></button>
  </form>`;
}

function principalFields(): Html {
  return html`<label for="principal-type">Assign to</label>
    <select id="principal-type" name="principalType"><option value="USER">a user</option><option value="GROUP">a group</option></select>
    <label for="principal">User or group name</label>
    <input type="text" id="principal" name="principal" required maxlength="1024" autocomplete="off">`;
}

function accountPage(
  prefix: string,
  session: PortalSessionInfo,
  a: AccountAccess,
  sets: PermissionSetListItem[],
  done: string | undefined,
): Html {
  const to = (path: string) => webPath(prefix, path);
  const acc = a.account;
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
  </section>
  <section class="card" aria-labelledby="who-h">
    <h2 id="who-h">Who can access this account and how</h2>
    ${
      a.entries.length === 0
        ? html`<p class="muted">Nobody: no assignment names this account.</p>`
        : a.entries.map(
            (e) => html`<div class="ps-block" data-permission-set="${e.permissionSetName}">
      <h3><a href="${to(`/admin/permission-sets/${e.permissionSetId}`)}">${text(e.permissionSetName)}</a></h3>
      <ul class="plain">
        ${e.users.map(
          (
            u,
          ) => html`<li>user <a href="${to(`/admin/users/${u.id}`)}">${text(u.name)}</a> ${statusBadge(u.status ?? '')} <span class="muted">directly</span>
            ${unassignButton(prefix, session, { accountId: acc.id, permissionSetId: e.permissionSetId, principalType: 'USER', principalId: u.id }, `${u.name}'s ${e.permissionSetName}`, 'account')}</li>`,
        )}
        ${e.groups.map(
          (
            g,
          ) => html`<li>group <a href="${to(`/admin/groups/${g.id}`)}">${text(g.name)}</a> <span class="muted">(${g.memberCount} member${g.memberCount === 1 ? '' : 's'})</span>
            ${unassignButton(prefix, session, { accountId: acc.id, permissionSetId: e.permissionSetId, principalType: 'GROUP', principalId: g.id }, `group ${g.name}'s ${e.permissionSetName}`, 'account')}
            ${
              g.members.length > 0
                ? html`<ul class="members">${g.members.map(
                    (m) =>
                      html`<li><a href="${to(`/admin/users/${m.id}`)}">${text(m.name)}</a> ${m.status === 'ENABLED' ? '' : statusBadge(m.status ?? '')}</li>`,
                  )}${g.memberCount > g.members.length ? html`<li class="muted">and ${g.memberCount - g.members.length} more: <a href="${to(`/admin/groups/${g.id}`)}">see the group</a></li>` : ''}</ul>`
                : ''
            }</li>`,
        )}
      </ul>
    </div>`,
          )
    }
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

function permissionSetPage(
  prefix: string,
  session: PortalSessionInfo,
  p: PermissionSetDetail,
  after: string | undefined,
  done: string | undefined,
  mayDelete: boolean,
): Html {
  const to = (path: string) => webPath(prefix, path);
  const pretty = (json: string | null) => {
    if (!json) return null;
    try {
      return JSON.stringify(JSON.parse(json), null, 2);
    } catch {
      return json;
    }
  };
  const inline = pretty(p.inlinePolicy);
  const boundary = pretty(p.permissionsBoundary);
  return html`<p class="crumbs"><a href="${to('/admin/permission-sets')}">Permission sets</a></p>
  <h1><bdi>${text(p.name)}</bdi>${p.administrators ? html` <span class="badge">Administrators</span>` : ''}</h1>
  ${notice(done)}
  <section class="card" aria-labelledby="ps-h">
    <h2 id="ps-h">Definition</h2>
    <dl class="details">
      <dt>Description</dt><dd>${text(p.description, 700)}</dd>
      <dt>Session duration</dt><dd class="mono">${p.sessionDuration}</dd>
      <dt>Relay state</dt><dd>${text(p.relayState, 240)}</dd>
      <dt>Permission set id</dt><dd class="mono">${p.id}</dd>
      <dt>AWS managed policies</dt><dd>${p.managedPolicies.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="plain">${p.managedPolicies.map((arn) => html`<li class="mono">${arn}</li>`)}</ul>`}</dd>
      <dt>Customer managed policies</dt><dd>${p.customerPolicies.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="plain">${p.customerPolicies.map((c) => html`<li class="mono">${c.path}${c.name}</li>`)}</ul>`}</dd>
      <dt>Permissions boundary</dt><dd>${boundary ? html`<pre class="policy">${boundary}</pre>` : html`<span class="muted">none</span>`}</dd>
    </dl>
    <h3>Inline policy</h3>
    ${inline ? html`<pre class="policy">${inline}</pre>` : html`<p class="muted">none</p>`}
  </section>
  <section class="card" aria-labelledby="assignments-h">
    <h2 id="assignments-h">Assignments</h2>
    ${
      p.assignments.items.length === 0
        ? html`<p class="muted">No assignment${after ? ' on this page' : ''}.</p>`
        : html`<table class="data stack" id="ps-assignments">
      <caption class="visually-hidden">Where this permission set is assigned</caption>
      <thead><tr><th scope="col">Account</th><th scope="col">Principal</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${p.assignments.items.map(
        (a) => html`<tr>
          <td data-label="Account"><a href="${to(`/admin/accounts/${a.accountId}`)}">${text(a.accountName)}</a> <span class="mono muted">${a.accountId}</span></td>
          <td data-label="Principal">${a.principalType === 'USER' ? 'user' : 'group'} <a href="${to(`/admin/${a.principalType === 'USER' ? 'users' : 'groups'}/${a.principalId}`)}">${text(a.principalName)}</a></td>
          <td class="nowrap">${unassignButton(prefix, session, { accountId: a.accountId, permissionSetId: p.id, principalType: a.principalType, principalId: a.principalId }, `${a.principalName} in ${a.accountId}`, 'permission-set')}</td>
        </tr>`,
      )}</tbody>
    </table>`
    }
    ${pager({ prefix, path: `/admin/permission-sets/${p.id}`, params: {}, isFirst: after === undefined, next: p.assignments.next })}
    <h3>Assign this permission set</h3>
    <form method="post" action="${to('/admin/assignments')}">
      ${csrfField(session)}
      <input type="hidden" name="permissionSetId" value="${p.id}">
      <input type="hidden" name="from" value="permission-set">
      <label for="account">Account id</label>
      <input type="text" id="account" name="accountId" required maxlength="14" inputmode="numeric" autocomplete="off">
      ${principalFields()}
      <div class="actions"><button type="submit">Assign</button></div>
    </form>
  </section>
  ${
    mayDelete
      ? html`<section class="card" aria-labelledby="ps-delete-h">
    <h2 id="ps-delete-h">Delete the permission set</h2>
    ${
      p.assignments.items.length === 0 && after === undefined
        ? html`<form method="post" action="${to(`/admin/permission-sets/${p.id}/delete`)}" class="inline">
      ${csrfField(session)}<button type="submit" class="danger">Delete permission set<span class="visually-hidden"> ${p.name}</span></button>
    </form>`
        : html`<p class="muted">A permission set that is assigned or provisioned is not deleted: delete its assignments first, as sso:DeletePermissionSet requires.</p>`
    }
  </section>`
      : ''
  }`;
}

function createPermissionSetForm(prefix: string, session: PortalSessionInfo): Html {
  return html`<details class="card">
    <summary>Create a permission set</summary>
    <form method="post" action="${webPath(prefix, '/admin/permission-sets')}" class="form">
      ${csrfField(session)}
      <label for="ps-name">Name</label>
      <input type="text" id="ps-name" name="name" required maxlength="32" autocomplete="off" aria-describedby="ps-name-hint">
      <p class="muted small" id="ps-name-hint">1 to 32 letters, digits and + = , . @ _ -; unique regardless of case.</p>
      <label for="ps-description">Description <span class="muted">(optional)</span></label>
      <input type="text" id="ps-description" name="description" maxlength="700" autocomplete="off">
      <label for="ps-duration">Session duration <span class="muted">(optional)</span></label>
      <input type="text" id="ps-duration" name="sessionDuration" maxlength="100" placeholder="${DEFAULT_SESSION_DURATION}" autocomplete="off" aria-describedby="ps-duration-hint">
      <p class="muted small" id="ps-duration-hint">ISO-8601, from PT1H to PT12H; ${DEFAULT_SESSION_DURATION} when empty.</p>
      <label for="ps-relay">Relay state <span class="muted">(optional)</span></label>
      <input type="text" id="ps-relay" name="relayState" maxlength="240" autocomplete="off">
      <div class="actions"><button type="submit">Create permission set</button></div>
    </form>
  </details>`;
}
