/**
 * Apply step: create and update the users of the plan (names, identitystore attributes, status,
 * initial passwords; their external ids are `external-ids.ts`), and
 * note the ids of the new ones for the memberships and assignments that name them. Disabling a
 * user ends their sessions. Deleting users is part of `prune.ts`.
 */
import { storedStringMap } from '../../../domain/federation/session-tags.ts';
import { newDirectoryId } from '../../../domain/ids.ts';
import { storedProfileText } from '../../org-file/user-profile.ts';
import { revokeUserSessions } from '../../users.ts';
import type { Plan } from '../plan.ts';
import { insertChunked, updateByIds } from './bulk.ts';
import type { ApplyTx } from './step.ts';

export async function writeUsers(tx: ApplyTx, users: Plan['users']): Promise<void> {
  const { db, dialect, now, random, actor, progress, ev, userIds, passwordHashes, state } = tx;
  const { identity_store_id: storeId } = state.instance;
  await insertChunked(
    db,
    dialect,
    'users',
    users.create.map((u) => {
      const id = newDirectoryId(random, storeId);
      userIds.set(u.key, id);
      ev('user.create', 'USER', id, { userName: u.userName, passwordSet: u.password !== undefined });
      return {
        id,
        user_name: u.userName,
        user_name_lower: u.key,
        display_name: u.displayName,
        given_name: u.givenName,
        family_name: u.familyName,
        email: u.email,
        profile: storedProfileText(u.profile, u.email),
        status: u.disabled === true ? 'DISABLED' : 'ENABLED',
        password_hash: passwordHashes.get(u.key) ?? null,
        external_id: null,
        custom_attributes: storedStringMap(u.attributes),
        created_at: now,
        updated_at: now,
        created_by: actor,
        updated_by: actor,
      };
    }),
    progress,
    'users',
  );
  const userUpdates: Array<{ id: string; set: Record<string, unknown> }> = [];
  for (const u of users.update) {
    const id = u.stored.id;
    const set: Record<string, unknown> = { updated_at: now, updated_by: actor };
    if (u.fieldsChanged) {
      Object.assign(set, {
        user_name: u.want.userName,
        display_name: u.want.displayName,
        given_name: u.want.givenName,
        family_name: u.want.familyName,
        email: u.want.email,
        profile: storedProfileText(u.want.profile, u.want.email),
        custom_attributes: storedStringMap(u.want.attributes),
      });
    }
    if (u.status) set.status = u.status;
    if (u.setPassword) {
      const h = passwordHashes.get(u.want.key);
      if (!h) throw new Error(`internal: no password hash prepared for ${u.want.userName}`);
      set.password_hash = h;
    }
    userUpdates.push({ id, set });
    const changes = u.changes.filter((c) => c.field !== 'status' && c.field !== 'password');
    if (changes.length > 0) ev('user.update', 'USER', id, { changes });
    if (u.setPassword) ev('user.password.set', 'USER', id);
    if (u.status === 'DISABLED') {
      await revokeUserSessions(db, id, now);
      ev('user.disable', 'USER', id, { status: { from: u.stored.status, to: 'DISABLED' } });
    }
    if (u.status === 'ENABLED')
      ev('user.enable', 'USER', id, { status: { from: u.stored.status, to: 'ENABLED' } });
  }
  await updateByIds(db, dialect, 'users', userUpdates, progress, 'user updates');
}
