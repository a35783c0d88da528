/**
 * The console's permission sets: the list (search by name prefix, paged by key both ways), a
 * permission set's page (its definition, where it is assigned, paged both ways) and the changes
 * an administrator makes there — create, delete, edit the description, session duration and
 * relay state, attach and detach AWS managed policies and customer managed policy references,
 * put or remove the inline policy and the permissions boundary, add, change and remove tags.
 * Each change goes through the sso-admin use case (`app/admin/permission-sets.ts`, which checks
 * what the API checks: a tag's key and value, their count), is authorised as that sso-admin
 * action (TagResource with the tag as aws:RequestTag, UntagResource with aws:TagKeys) and
 * audited with the administrator as actor, as a call of the API would be.
 *
 * An inline policy IAM would refuse is answered with the permission set's page again (400): the
 * problems shown above the editor, which keeps what was typed. Its form alone may be larger
 * than the others (`POLICY_FORM_BYTES`): URL-encoded, a policy IAM accepts can take six times
 * its size, and it must reach the check to be answered with IAM's reason.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { provisionPermissionSet } from '../../app/admin/assignments.ts';
import {
  type PermissionSetDetail,
  permissionSetDetail,
  searchPermissionSets,
} from '../../app/admin/console.ts';
import type { ConsoleAct, PermissionSetChange } from '../../app/admin/console-authority.ts';
import {
  attachCustomerPolicy,
  attachManagedPolicy,
  createPermissionSet,
  deletePermissionSet,
  describePermissionSet,
  detachCustomerPolicy,
  detachManagedPolicy,
  inlinePolicyProblem,
  putInlinePolicy,
  putPermissionsBoundary,
  setPolicyColumn,
  tagPermissionSet,
  untagPermissionSet,
  updatePermissionSet,
} from '../../app/admin/permission-sets.ts';
import { DomainError, isDomainError } from '../../domain/errors.ts';
import {
  checkCustomerPolicyName,
  checkCustomerPolicyPath,
  checkManagedPolicyArn,
  checkPermissionSetDescription,
  checkPermissionSetName,
  checkRelayState,
  checkSessionDuration,
  DEFAULT_SESSION_DURATION,
  MAX_ATTACHED_POLICIES,
  MAX_TAGS,
} from '../../domain/identity/permission-set.ts';
import { MAX_POLICY_BYTES } from '../../domain/identity/policy-document.ts';
import { csrfField } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { webPath } from '../paths.ts';
import { POLICY_FORM_BYTES } from '../request-text.ts';
import type { PortalSessionInfo } from '../session.ts';
import { type AdminKit, type AdminView, bad, ID, PAGE_SIZE } from './kit.ts';
import { principalFields, unassignButton } from './organization.ts';
import { notice, pager, searchForm, text } from './shell.ts';

const PROVISION_NOTE =
  'Accounts it is provisioned to take the change when it is provisioned again (below, sso-admin ProvisionPermissionSet, or idcenter apply).';

const NOTICES: Record<string, string> = {
  'ps-created': 'The permission set was created. Attach its policies and assign it below.',
  'ps-deleted': 'The permission set was deleted.',
  'ps-updated': `The permission set was changed. ${PROVISION_NOTE}`,
  'ps-unchanged': 'Nothing was changed: the values given are the ones it has.',
  'managed-attached': `The managed policy was attached. ${PROVISION_NOTE}`,
  'managed-detached': `The managed policy was detached. ${PROVISION_NOTE}`,
  'customer-attached': `The customer managed policy reference was attached. ${PROVISION_NOTE}`,
  'customer-detached': `The customer managed policy reference was detached. ${PROVISION_NOTE}`,
  'inline-saved': `The inline policy was saved. ${PROVISION_NOTE}`,
  'inline-removed': `The inline policy was removed. ${PROVISION_NOTE}`,
  'boundary-saved': `The permissions boundary was set. ${PROVISION_NOTE}`,
  'boundary-removed': `The permissions boundary was removed. ${PROVISION_NOTE}`,
  'tag-saved': 'The tag was saved.',
  'tag-removed': 'The tag was removed.',
  provisioned: 'Every account it is provisioned to has its latest version now.',
  assigned: 'The assignment was created.',
  unassigned: 'The assignment was deleted; role credentials it alone gave were stopped.',
};

type Change = PermissionSetChange | 'DeletePermissionSet' | 'TagResource' | 'UntagResource';

/**
 * What the administrator may change on a permission set's page (to offer only what works). The
 * tag form and the Remove buttons are offered when some tags may be added or removed: the tags
 * a form will send are not known yet, so a condition on them may hold (`ConsoleAct`), and the
 * POST is then authorised with the tag it sends.
 */
type Allowed = Record<Change, boolean>;

const CHANGES: ReadonlyArray<Change> = [
  'ProvisionPermissionSet',
  'UpdatePermissionSet',
  'AttachManagedPolicyToPermissionSet',
  'DetachManagedPolicyFromPermissionSet',
  'PutInlinePolicyToPermissionSet',
  'DeleteInlinePolicyFromPermissionSet',
  'AttachCustomerManagedPolicyReferenceToPermissionSet',
  'DetachCustomerManagedPolicyReferenceFromPermissionSet',
  'PutPermissionsBoundaryToPermissionSet',
  'DeletePermissionsBoundaryFromPermissionSet',
  'TagResource',
  'UntagResource',
  'DeletePermissionSet',
];

/** An inline policy the administrator typed that was refused, shown again with why. */
interface PolicyDraft {
  text: string;
  problem: string;
}

export function registerPermissionSets(app: FastifyInstance, kit: AdminKit): void {
  const to = (path: string) => webPath(kit.prefix, path);

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

  /** A permission set's page; with `draft`, the inline policy refused (400), as typed. */
  async function showPermissionSet(
    request: FastifyRequest,
    reply: FastifyReply,
    view: AdminView,
    id: string,
    draft?: PolicyDraft,
  ): Promise<FastifyReply> {
    const { session } = view;
    const q = kit.query(request);
    const keys = draft ? {} : q.keys();
    const detail = ID.permissionSet.test(id)
      ? await permissionSetDetail(kit.ctx, id, { ...keys, limit: PAGE_SIZE })
      : undefined;
    if (!detail)
      return kit.refusal(
        reply,
        404,
        'No such permission set',
        'There is no permission set with that id.',
        session,
      );
    const done = draft ? undefined : NOTICES[q.text('done', 'the notice')];
    const allowed = Object.fromEntries(
      CHANGES.map((op) => [op, kit.may(request, view, { op, permissionSetId: id })]),
    ) as Allowed;
    return kit.send(
      reply,
      session,
      'permission-sets',
      detail.name,
      permissionSetPage(kit.prefix, session, detail, done, allowed, draft),
      draft ? 400 : 200,
    );
  }

  app.get('/admin/permission-sets/:id', async (request, reply) => {
    const view = await kit.viewer(request, reply);
    if (!view) return reply;
    const { id } = request.params as { id: string };
    await kit.require(request, view, { op: 'DescribePermissionSet', permissionSetId: id });
    return showPermissionSet(request, reply, view, id);
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
    if (problem) throw bad(`${sentence(problem)}; nothing was created.`);
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

  /**
   * A change form's route: the administrator (CSRF checked), authorised as `op` on the
   * permission set of the path, whose id must be one; `handle` reads the form and makes the
   * change, returning the notice to go back with (or the answer it sent).
   */
  function change(
    path: string,
    op: PermissionSetChange | 'DeletePermissionSet',
    handle: (
      request: FastifyRequest,
      reply: FastifyReply,
      view: AdminView,
      id: string,
    ) => Promise<string | FastifyReply>,
    formBytes?: number,
  ): void {
    const options = formBytes ? { bodyLimit: formBytes, config: { formBytes } } : {};
    app.post(`/admin/permission-sets/:id${path}`, options, async (request, reply) => {
      const view = await kit.actor(request, reply);
      if (!view) return reply;
      const { id } = request.params as { id: string };
      await kit.require(request, view, { op, permissionSetId: id });
      if (!ID.permissionSet.test(id))
        throw bad('The form names a permission set that does not exist; nothing was changed.');
      const result = await handle(request, reply, view, id);
      if (typeof result !== 'string') return result;
      return kit.done(
        reply,
        result === 'ps-deleted' ? '/admin/permission-sets' : `/admin/permission-sets/${id}`,
        result,
      );
    });
  }

  /** As DeletePermissionSet: refused while it is assigned or provisioned anywhere. */
  change('/delete', 'DeletePermissionSet', async (request, _reply, view, id) => {
    await deletePermissionSet(kit.ctx, kit.who(request, view.session), id);
    return 'ps-deleted';
  });

  /** As UpdatePermissionSet: the attributes that differ from the stored ones. */
  change('/edit', 'UpdatePermissionSet', async (request, _reply, view, id) => {
    // A textarea: its lines come as CRLF, kept as LF.
    const description = kit
      .field(request, 'psDescription', 'the description', 700, true)
      .replace(/\r\n?/g, '\n');
    const duration = kit.field(request, 'sessionDuration', 'the session duration', 100);
    const relayState = kit.field(request, 'relayState', 'the relay state', 240, true);
    const stored = await describePermissionSet(kit.ctx, id);
    const current = {
      description: stored.description,
      sessionDuration: stored.session_duration,
      relayState: stored.relay_state,
    };
    const cleared = (value: string, was: string | null, label: string) => {
      if (value === '' && was)
        throw bad(
          `${label} cannot be removed, only changed: sso-admin takes no empty one. Nothing was changed.`,
        );
    };
    cleared(description, current.description, 'The description');
    cleared(relayState, current.relayState, 'The relay state');
    const problem =
      (description ? checkPermissionSetDescription(description) : undefined) ??
      checkSessionDuration(duration) ??
      (relayState ? checkRelayState(relayState) : undefined);
    if (problem) throw bad(`${sentence(problem)}; nothing was changed.`);
    // What the form showed comes back with its line breaks as LF and its ends trimmed.
    const shown = (current.description ?? '').replace(/\r\n?/g, '\n').trim();
    const input = {
      description: description && description !== shown ? description : undefined,
      sessionDuration: duration !== current.sessionDuration ? duration : undefined,
      relayState: relayState && relayState !== current.relayState ? relayState : undefined,
    };
    if (Object.values(input).every((v) => v === undefined)) return 'ps-unchanged';
    await updatePermissionSet(kit.ctx, kit.who(request, view.session), id, input);
    return 'ps-updated';
  });

  /** The AWS managed policy ARN of a form. */
  function managedArn(request: FastifyRequest): string {
    const arn = kit.field(request, 'arn', 'the managed policy ARN', 2048);
    const problem = checkManagedPolicyArn(arn);
    if (problem) throw bad(`${sentence(problem)}; nothing was changed.`);
    return arn;
  }

  change('/managed-policies', 'AttachManagedPolicyToPermissionSet', async (request, _reply, view, id) => {
    await attachManagedPolicy(kit.ctx, kit.who(request, view.session), id, managedArn(request));
    return 'managed-attached';
  });

  change(
    '/managed-policies/detach',
    'DetachManagedPolicyFromPermissionSet',
    async (request, _reply, view, id) => {
      await detachManagedPolicy(kit.ctx, kit.who(request, view.session), id, managedArn(request));
      return 'managed-detached';
    },
  );

  /** The customer managed policy reference of a form: a name, and a path (`/` when empty). */
  function customerRef(request: FastifyRequest): { name: string; path: string } {
    const name = kit.field(request, 'name', 'the policy name', 128);
    const path = kit.field(request, 'path', 'the policy path', 512, true) || '/';
    const problem = checkCustomerPolicyName(name) ?? checkCustomerPolicyPath(path);
    if (problem) throw bad(`${sentence(problem)}; nothing was changed.`);
    return { name, path };
  }

  change(
    '/customer-policies',
    'AttachCustomerManagedPolicyReferenceToPermissionSet',
    async (request, _reply, view, id) => {
      await attachCustomerPolicy(kit.ctx, kit.who(request, view.session), id, customerRef(request));
      return 'customer-attached';
    },
  );

  change(
    '/customer-policies/detach',
    'DetachCustomerManagedPolicyReferenceFromPermissionSet',
    async (request, _reply, view, id) => {
      await detachCustomerPolicy(kit.ctx, kit.who(request, view.session), id, customerRef(request));
      return 'customer-detached';
    },
  );

  /**
   * As PutInlinePolicyToPermissionSet; a policy IAM would refuse comes back to the editor. Its
   * form may be up to `POLICY_FORM_BYTES`, so that any policy the API takes arrives here.
   */
  change(
    '/inline-policy',
    'PutInlinePolicyToPermissionSet',
    async (request, reply, view, id) => {
      // Checked here rather than by the field's limit (any text the form's body can hold), so
      // that what was typed comes back; the textarea's lines come as CRLF, kept as LF (as typed,
      // and fewer of IAM's bytes).
      const policy = kit
        .field(request, 'policy', 'the inline policy', POLICY_FORM_BYTES, true)
        .replace(/\r\n?/g, '\n');
      const problem = inlinePolicyProblem(policy);
      if (problem) return showPermissionSet(request, reply, view, id, { text: policy, problem });
      await putInlinePolicy(kit.ctx, kit.who(request, view.session), id, policy);
      return 'inline-saved';
    },
    POLICY_FORM_BYTES,
  );

  change(
    '/inline-policy/delete',
    'DeleteInlinePolicyFromPermissionSet',
    async (request, _reply, view, id) => {
      await setPolicyColumn(kit.ctx, kit.who(request, view.session), id, 'inline_policy', null);
      return 'inline-removed';
    },
  );

  /** As PutPermissionsBoundaryToPermissionSet: an AWS managed policy, or a customer one. */
  change('/boundary', 'PutPermissionsBoundaryToPermissionSet', async (request, _reply, view, id) => {
    const kind = kit.field(request, 'kind', 'the kind of boundary', 16);
    if (kind !== 'managed' && kind !== 'customer')
      throw bad('Choose an AWS managed policy or a customer managed policy; nothing was changed.');
    await putPermissionsBoundary(
      kit.ctx,
      kit.who(request, view.session),
      id,
      kind === 'managed'
        ? { managedPolicyArn: managedArn(request) }
        : { customerPolicy: customerRef(request) },
    );
    return 'boundary-saved';
  });

  /**
   * A tag change's route: the administrator (CSRF checked), authorised as `act(fields)` (the
   * sso-admin call with its tag condition keys) on the permission set of the path; `handle`
   * makes the change. What the use case refuses (a key or value AWS does not take, one tag too
   * many) is answered 400 or 409 with the reason, nothing changed.
   */
  function tagChange<F>(
    path: string,
    read: (request: FastifyRequest) => F,
    act: (id: string, fields: F) => ConsoleAct,
    handle: (request: FastifyRequest, view: AdminView, id: string, fields: F) => Promise<void>,
    notice: string,
  ): void {
    app.post(`/admin/permission-sets/:id${path}`, async (request, reply) => {
      const view = await kit.actor(request, reply);
      if (!view) return reply;
      const { id } = request.params as { id: string };
      const fields = read(request);
      await kit.require(request, view, act(id, fields));
      if (!ID.permissionSet.test(id))
        throw bad('The form names a permission set that does not exist; nothing was changed.');
      try {
        await handle(request, view, id, fields);
      } catch (err) {
        if (isDomainError(err, 'validation')) throw bad(`${err.message}; nothing was changed.`);
        if (isDomainError(err, 'conflict'))
          throw new DomainError('conflict', `${err.message}; nothing was changed.`);
        throw err;
      }
      return kit.done(reply, `/admin/permission-sets/${id}`, notice);
    });
  }

  /**
   * As TagResource with one tag: added, or its value changed when the key is there. The key and
   * value are read as typed (ends trimmed) and checked by the use case, as the API's are.
   */
  tagChange(
    '/tags',
    (request) => ({
      key: kit.field(request, 'key', 'the tag key', 1024),
      value: kit.field(request, 'value', 'the tag value', 1024, true),
    }),
    (id, t) => ({ op: 'TagResource', permissionSetId: id, tags: { [t.key]: t.value } }),
    (request, view, id, t) =>
      tagPermissionSet(kit.ctx, kit.who(request, view.session), id, [{ Key: t.key, Value: t.value }]),
    'tag-saved',
  );

  /** As UntagResource with one key, as stored (the Remove button's). */
  tagChange(
    '/tags/delete',
    (request) => kit.exactField(request, 'key', 'the tag key', 1024),
    (id, key) => ({ op: 'UntagResource', permissionSetId: id, tagKeys: [key] }),
    (request, view, id, key) => untagPermissionSet(kit.ctx, kit.who(request, view.session), id, [key]),
    'tag-removed',
  );

  /** As ProvisionPermissionSet with ALL_PROVISIONED_ACCOUNTS: every role takes the latest version. */
  change('/provision', 'ProvisionPermissionSet', async (request, _reply, view, id) => {
    await provisionPermissionSet(kit.ctx, kit.who(request, view.session), id, undefined);
    return 'provisioned';
  });

  change(
    '/boundary/delete',
    'DeletePermissionsBoundaryFromPermissionSet',
    async (request, _reply, view, id) => {
      await setPolicyColumn(kit.ctx, kit.who(request, view.session), id, 'permissions_boundary', null);
      return 'boundary-removed';
    },
  );
}

/** A check's problem as the start of a sentence. */
function sentence(problem: string): string {
  return `${problem.charAt(0).toUpperCase()}${problem.slice(1)}`;
}

/** A stored JSON document, indented for reading (as stored when it does not parse). */
function pretty(json: string | null): string | null {
  if (!json) return null;
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/** The permissions boundary as stored (the wire's structure), in words. */
function boundaryText(json: string | null): Html {
  if (!json) return html`<span class="muted">none</span>`;
  try {
    const b = JSON.parse(json) as {
      ManagedPolicyArn?: string;
      CustomerManagedPolicyReference?: { Name?: string; Path?: string };
    };
    if (b.ManagedPolicyArn)
      return html`<span class="mono arn">${b.ManagedPolicyArn}</span> <span class="muted">(AWS managed)</span>`;
    const c = b.CustomerManagedPolicyReference;
    if (c)
      return html`<span class="mono arn">${c.Path ?? '/'}${c.Name ?? ''}</span> <span class="muted">(customer managed)</span>`;
  } catch {
    // As stored, below.
  }
  return html`<pre class="policy">${pretty(json)}</pre>`;
}

/** A one-button form posting to `action` on this permission set. */
function button(
  prefix: string,
  session: PortalSessionInfo,
  action: string,
  fields: Record<string, string>,
  label: Html | string,
  kind = 'secondary small',
): Html {
  return html`<form method="post" action="${webPath(prefix, action)}" class="inline">
    ${csrfField(session)}${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
    <button type="submit" class="${kind}">${label}</button>
  </form>`;
}

function permissionSetPage(
  prefix: string,
  session: PortalSessionInfo,
  p: PermissionSetDetail,
  done: string | undefined,
  allowed: Allowed,
  draft: PolicyDraft | undefined,
): Html {
  const to = (path: string) => webPath(prefix, path);
  const base = `/admin/permission-sets/${p.id}`;
  const inline = pretty(p.inlinePolicy);
  const attached = p.managedPolicies.length + p.customerPolicies.length;
  const full = attached >= MAX_ATTACHED_POLICIES;
  const mayEdit = allowed.UpdatePermissionSet;
  return html`<p class="crumbs"><a href="${to('/admin/permission-sets')}">Permission sets</a></p>
  <h1><bdi>${text(p.name)}</bdi>${p.administrators ? html` <span class="badge">Administrators</span>` : ''}</h1>
  ${notice(done)}
  ${draft ? html`<p class="error" role="alert" id="policy-error">${draft.problem}. Nothing was changed; correct the policy below and save it again.</p>` : ''}
  <section class="card" aria-labelledby="ps-h">
    <h2 id="ps-h">Definition</h2>
    <dl class="details">
      <dt>Description</dt><dd>${text(p.description, 700)}</dd>
      <dt>Session duration</dt><dd class="mono" id="ps-duration-now">${p.sessionDuration}</dd>
      <dt>Relay state</dt><dd>${text(p.relayState, 240)}</dd>
      <dt>Permission set id</dt><dd class="mono">${p.id}</dd>
      <dt>Provisioned</dt><dd id="provisioning">${p.behind === 0 ? 'every account it is provisioned to has its latest version' : html`<strong>${p.behind} account${p.behind === 1 ? ' has' : 's have'} an older version</strong>`}</dd>
    </dl>
    ${
      p.behind > 0 && allowed.ProvisionPermissionSet
        ? button(prefix, session, `${base}/provision`, {}, 'Provision to every account', '')
        : ''
    }
    ${
      mayEdit
        ? html`<details>
      <summary>Edit the definition</summary>
      <form method="post" action="${to(`${base}/edit`)}" class="form">
        ${csrfField(session)}
        <label for="ps-description">Description <span class="muted">(optional)</span></label>
        <textarea id="ps-description" name="psDescription" rows="2" maxlength="700" autocomplete="off">${p.description ?? ''}</textarea>
        <label for="ps-duration">Session duration</label>
        <input type="text" id="ps-duration" name="sessionDuration" required maxlength="100" autocomplete="off" value="${p.sessionDuration}" aria-describedby="ps-duration-hint">
        <p class="muted small" id="ps-duration-hint">ISO-8601, from PT1H to PT12H (for example PT4H or PT2H30M).</p>
        <label for="ps-relay">Relay state <span class="muted">(optional)</span></label>
        <input type="text" id="ps-relay" name="relayState" maxlength="240" autocomplete="off" value="${p.relayState ?? ''}" aria-describedby="ps-relay-hint">
        <p class="muted small" id="ps-relay-hint">The URL of the AWS console page the role opens on.</p>
        <div class="actions"><button type="submit">Save the definition</button></div>
      </form>
    </details>`
        : ''
    }
  </section>
  ${tagsSection(prefix, session, p, allowed)}
  <section class="card" aria-labelledby="managed-h">
    <h2 id="managed-h">AWS managed policies</h2>
    ${
      p.managedPolicies.length === 0
        ? html`<p class="muted">None attached.</p>`
        : html`<ul class="plain" id="managed-policies">${p.managedPolicies.map(
            (arn) =>
              html`<li><span class="mono arn">${arn}</span> ${allowed.DetachManagedPolicyFromPermissionSet ? button(prefix, session, `${base}/managed-policies/detach`, { arn }, html`Detach<span class="visually-hidden"> ${arn}</span>`) : ''}</li>`,
          )}</ul>`
    }
    ${
      allowed.AttachManagedPolicyToPermissionSet
        ? full
          ? html`<p class="muted">${MAX_ATTACHED_POLICIES} policies are attached, the most a permission set takes.</p>`
          : html`<form method="post" action="${to(`${base}/managed-policies`)}" class="search">
      ${csrfField(session)}
      <label for="managed-arn">Attach an AWS managed policy by ARN</label>
      <div class="search-row"><input type="text" id="managed-arn" name="arn" required maxlength="2048" autocomplete="off" placeholder="arn:aws:iam::aws:policy/ReadOnlyAccess"><button type="submit">Attach</button></div>
    </form>`
        : ''
    }
  </section>
  <section class="card" aria-labelledby="customer-h">
    <h2 id="customer-h">Customer managed policies</h2>
    <p class="muted small">References by name and path to policies that must exist in each account the permission set is provisioned to.</p>
    ${
      p.customerPolicies.length === 0
        ? html`<p class="muted">None attached.</p>`
        : html`<ul class="plain" id="customer-policies">${p.customerPolicies.map(
            (c) =>
              html`<li><span class="mono arn">${c.path}${c.name}</span> ${allowed.DetachCustomerManagedPolicyReferenceFromPermissionSet ? button(prefix, session, `${base}/customer-policies/detach`, { name: c.name, path: c.path }, html`Detach<span class="visually-hidden"> ${c.path}${c.name}</span>`) : ''}</li>`,
          )}</ul>`
    }
    ${
      allowed.AttachCustomerManagedPolicyReferenceToPermissionSet && !full
        ? html`<form method="post" action="${to(`${base}/customer-policies`)}" class="form">
      ${csrfField(session)}
      <label for="customer-name">Policy name</label>
      <input type="text" id="customer-name" name="name" required maxlength="128" autocomplete="off">
      <label for="customer-path">Path <span class="muted">(optional)</span></label>
      <input type="text" id="customer-path" name="path" maxlength="512" autocomplete="off" placeholder="/">
      <div class="actions"><button type="submit">Attach reference</button></div>
    </form>`
        : ''
    }
  </section>
  <section class="card" aria-labelledby="boundary-h">
    <h2 id="boundary-h">Permissions boundary</h2>
    <p id="boundary">${boundaryText(p.permissionsBoundary)}</p>
    ${
      p.permissionsBoundary && allowed.DeletePermissionsBoundaryFromPermissionSet
        ? button(prefix, session, `${base}/boundary/delete`, {}, 'Remove the boundary')
        : ''
    }
    ${
      allowed.PutPermissionsBoundaryToPermissionSet
        ? html`<details>
      <summary>Set a boundary</summary>
      <form method="post" action="${to(`${base}/boundary`)}" class="form">
        ${csrfField(session)}
        <fieldset>
          <legend>The boundary is</legend>
          <label><input type="radio" name="kind" value="managed" checked> an AWS managed policy</label>
          <label><input type="radio" name="kind" value="customer"> a customer managed policy</label>
        </fieldset>
        <label for="boundary-arn">AWS managed policy ARN</label>
        <input type="text" id="boundary-arn" name="arn" maxlength="2048" autocomplete="off" placeholder="arn:aws:iam::aws:policy/PowerUserAccess">
        <label for="boundary-name">or customer managed policy name</label>
        <input type="text" id="boundary-name" name="name" maxlength="128" autocomplete="off">
        <label for="boundary-path">and its path <span class="muted">(optional)</span></label>
        <input type="text" id="boundary-path" name="path" maxlength="512" autocomplete="off" placeholder="/">
        <div class="actions"><button type="submit">Set the boundary</button></div>
      </form>
    </details>`
        : ''
    }
  </section>
  <section class="card" aria-labelledby="inline-h">
    <h2 id="inline-h">Inline policy</h2>
    ${
      allowed.PutInlinePolicyToPermissionSet
        ? html`<form method="post" action="${to(`${base}/inline-policy`)}" class="form">
      ${csrfField(session)}
      <label for="inline-policy">Policy document (JSON)</label>
      <textarea id="inline-policy" name="policy" class="policy" rows="16" spellcheck="false" autocomplete="off" aria-describedby="inline-hint${draft ? ' policy-error' : ''}"${draft ? html` aria-invalid="true"` : ''}>${draft ? draft.text : (inline ?? '')}</textarea>
      <p class="muted small" id="inline-hint">An IAM policy: Version and Statement, at most ${MAX_POLICY_BYTES.toLocaleString('en')} bytes. It is checked as sso-admin PutInlinePolicyToPermissionSet checks it.</p>
      <div class="actions"><button type="submit">Save the inline policy</button></div>
    </form>`
        : inline
          ? html`<pre class="policy" id="inline-policy-text">${inline}</pre>`
          : html`<p class="muted">none</p>`
    }
    ${
      p.inlinePolicy && allowed.DeleteInlinePolicyFromPermissionSet
        ? button(prefix, session, `${base}/inline-policy/delete`, {}, 'Remove the inline policy')
        : ''
    }
  </section>
  <section class="card" aria-labelledby="assignments-h">
    <h2 id="assignments-h">Assignments</h2>
    ${
      p.assignments.items.length === 0
        ? html`<p class="muted">No assignment${p.assignments.prev !== undefined ? ' on this page' : ''}.</p>`
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
    ${pager({ prefix, path: base, params: {}, isFirst: p.assignments.prev === undefined, next: p.assignments.next, prev: p.assignments.prev })}
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
    allowed.DeletePermissionSet
      ? html`<section class="card" aria-labelledby="ps-delete-h">
    <h2 id="ps-delete-h">Delete the permission set</h2>
    ${
      p.assignments.items.length === 0 && p.assignments.prev === undefined
        ? button(
            prefix,
            session,
            `${base}/delete`,
            {},
            html`Delete permission set<span class="visually-hidden"> ${p.name}</span>`,
            'danger',
          )
        : html`<p class="muted">A permission set that is assigned or provisioned is not deleted: delete its assignments first, as sso:DeletePermissionSet requires.</p>`
    }
  </section>`
      : ''
  }`;
}

/** The permission set's tags, with the forms that add, change and remove one when allowed. */
function tagsSection(
  prefix: string,
  session: PortalSessionInfo,
  p: PermissionSetDetail,
  allowed: Allowed,
): Html {
  const base = `/admin/permission-sets/${p.id}`;
  return html`<section class="card" aria-labelledby="tags-h">
    <h2 id="tags-h">Tags</h2>
    ${
      p.tags.length === 0
        ? html`<p class="muted" id="ps-no-tags">None.</p>`
        : html`<table class="data stack" id="ps-tags">
      <caption class="visually-hidden">Tags of this permission set</caption>
      <thead><tr><th scope="col">Key</th><th scope="col">Value</th>${allowed.UntagResource ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
      <tbody>${p.tags.map(
        (t) => html`<tr>
          <td data-label="Key" class="wrap">${text(t.key, 128)}</td>
          <td data-label="Value" class="wrap">${t.value === '' ? html`<span class="muted">empty</span>` : text(t.value, 256)}</td>
          ${allowed.UntagResource ? html`<td class="nowrap">${button(prefix, session, `${base}/tags/delete`, { key: t.key }, html`Remove<span class="visually-hidden"> tag ${t.key}</span>`)}</td>` : ''}
        </tr>`,
      )}</tbody>
    </table>`
    }
    ${
      allowed.TagResource
        ? html`<details>
      <summary>Add or change a tag</summary>
      <form method="post" action="${webPath(prefix, `${base}/tags`)}" class="form">
        ${csrfField(session)}
        <label for="tag-key">Key</label>
        <input type="text" id="tag-key" name="key" required maxlength="128" autocomplete="off" aria-describedby="tag-hint">
        <label for="tag-value">Value <span class="muted">(may be empty)</span></label>
        <input type="text" id="tag-value" name="value" maxlength="256" autocomplete="off" aria-describedby="tag-hint">
        <p class="muted small" id="tag-hint">A key of 1 to 128 and a value of up to 256 letters, digits, spaces and _ . : / = + - @; keys starting with aws: are reserved. A key the permission set has takes the new value. At most ${MAX_TAGS} tags.</p>
        <div class="actions"><button type="submit">Save the tag</button></div>
      </form>
    </details>`
        : ''
    }
  </section>`;
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
