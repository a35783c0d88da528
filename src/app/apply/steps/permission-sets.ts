/**
 * Apply step: create and update the permission sets of the plan with their policies and tags.
 * A changed role definition raises the version, and the roles already provisioned follow it.
 * Deleting permission sets is part of `prune.ts`.
 */
import { storedStringMap } from '../../../domain/federation/session-tags.ts';
import { newPermissionSetId } from '../../../domain/ids.ts';
import type { Plan } from '../plan.ts';
import { insertChunked } from './bulk.ts';
import type { ApplyTx } from './step.ts';

export async function writePermissionSets(
  tx: ApplyTx,
  permissionSets: Plan['permissionSets'],
): Promise<void> {
  const { db, dialect, now, random, progress, ev, psIds, psVersions } = tx;
  const psRows: Array<Record<string, unknown>> = [];
  const managedRows: Array<Record<string, unknown>> = [];
  const customerRows: Array<Record<string, unknown>> = [];
  const tagRows: Array<Record<string, unknown>> = [];
  const children = (
    id: string,
    p: {
      managedPolicies: string[];
      customerPolicies: Array<{ name: string; path: string }>;
      tags: Record<string, string>;
    },
    which: { managed: boolean; customer: boolean; tags: boolean },
  ) => {
    if (which.managed) for (const arn of p.managedPolicies) managedRows.push({ permission_set_id: id, arn });
    if (which.customer) {
      for (const c of p.customerPolicies)
        customerRows.push({ permission_set_id: id, name: c.name, path: c.path });
    }
    if (which.tags)
      for (const [key, value] of Object.entries(p.tags)) tagRows.push({ permission_set_id: id, key, value });
  };
  for (const p of permissionSets.create) {
    const id = newPermissionSetId(random);
    psIds.set(p.key, id);
    psVersions.set(p.key, 1);
    psRows.push({
      id,
      name: p.name,
      name_lower: p.key,
      description: p.description,
      session_duration: p.sessionDuration,
      session_seconds: p.sessionSeconds,
      relay_state: p.relayState,
      inline_policy: p.inlinePolicy,
      permissions_boundary: p.permissionsBoundary,
      session_tags: storedStringMap(p.sessionTags),
      version: 1,
      created_at: now,
      updated_at: now,
    });
    children(id, p, { managed: true, customer: true, tags: true });
    ev('permission_set.create', 'PERMISSION_SET', id, { name: p.name, sessionDuration: p.sessionDuration });
  }
  await insertChunked(db, dialect, 'permission_sets', psRows, progress, 'permission sets');
  for (const u of permissionSets.update) {
    const id = u.stored.id;
    const version = u.definitionChanged ? u.stored.version + 1 : u.stored.version;
    psVersions.set(u.want.key, version);
    await db
      .updateTable('permission_sets')
      .set({
        name: u.want.name,
        description: u.want.description,
        session_duration: u.want.sessionDuration,
        session_seconds: u.want.sessionSeconds,
        relay_state: u.want.relayState,
        inline_policy: u.want.inlinePolicy,
        permissions_boundary: u.want.permissionsBoundary,
        session_tags: storedStringMap(u.want.sessionTags),
        version,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    if (u.managedChanged)
      await db.deleteFrom('ps_managed_policies').where('permission_set_id', '=', id).execute();
    if (u.customerChanged)
      await db.deleteFrom('ps_customer_policies').where('permission_set_id', '=', id).execute();
    if (u.tagsChanged) await db.deleteFrom('ps_tags').where('permission_set_id', '=', id).execute();
    children(id, u.want, { managed: u.managedChanged, customer: u.customerChanged, tags: u.tagsChanged });
    // Roles already provisioned follow the new definition: apply provisions what it changes.
    if (u.definitionChanged) {
      await db
        .updateTable('provisioned_roles')
        .set({ provisioned_version: version })
        .where('permission_set_id', '=', id)
        .execute();
    }
    ev('permission_set.update', 'PERMISSION_SET', id, { changes: u.changes, version });
  }
  await insertChunked(db, dialect, 'ps_managed_policies', managedRows, progress, 'managed policies');
  await insertChunked(db, dialect, 'ps_customer_policies', customerRows, progress, 'customer policies');
  await insertChunked(db, dialect, 'ps_tags', tagRows, progress, 'tags');
}
