/**
 * Drift: what was changed outside the organization file since the last apply (by the admin APIs,
 * `idcenter user …`, the console), and who changed it, for the plan of `apply` and `apply
 * --dry-run` (docs/decisions.md, "Drift from the audit log").
 *
 * Read from the audit log, which every change from any of them already writes in the change's own
 * transaction: the events after the newest event an apply wrote (by id, the primary key: a range
 * read), by other actors. Each object the plan creates, updates or would prune is matched to the
 * newest such event about it: by target id for the objects that exist, by the name or key that
 * the delete event recorded for those the file wants back. Changes the plan does not undo are
 * listed too, saying why they are kept (`--prune` needed, or the file does not set the value).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.ts';
import type { Plan } from './plan.ts';
import type { StoreState } from './state.ts';

/** Actors whose events are applies of a file: the drift starts after their newest one. */
export const APPLY_ACTORS = ['cli:apply', 'system:demo'] as const;

/** The changes drift reports (sign-ins, credentials and the like are not organization state). */
const ORG_ACTIONS = [
  'user.create',
  'user.update',
  'user.delete',
  'user.disable',
  'user.enable',
  'group.create',
  'group.update',
  'group.delete',
  'membership.create',
  'membership.delete',
  'permission_set.create',
  'permission_set.update',
  'permission_set.delete',
  'assignment.create',
  'assignment.delete',
  'account.create',
  'account.update',
  'account.delete',
  'ou.create',
  'ou.update',
  'ou.delete',
] as const;

/** Detail keys that say who and how, not what changed. */
const WHO_KEYS = new Set(['via', 'accessKeyId', 'callerPermissionSetId', 'callerAccountId']);

interface Event {
  id: number;
  at: number;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: Record<string, unknown>;
}

export interface DriftItem {
  /** `user bob updated (DisplayName) by user:alice via identitystore at 2026-12-07T09:40:01Z` */
  what: string;
  /** What apply does about it. */
  outcome: 'restored' | 'pruned' | 'kept, --prune deletes it' | 'kept, the file does not set it';
  /** The audit event's id (the order of the changes). */
  eventId: number;
}

/**
 * The drift behind `plan`, newest last. Reads the audit events after the last apply.
 *
 * @example const drift = await findDrift(db, plan, state, 'cli:apply');
 */
export async function findDrift(
  db: Kysely<Database>,
  plan: Plan,
  state: StoreState,
  actor: string,
): Promise<DriftItem[]> {
  const applyActors = [...new Set<string>([...APPLY_ACTORS, actor])];
  const last = await db
    .selectFrom('audit_events')
    .select('id')
    .where('actor', 'in', applyActors)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const rows = await db
    .selectFrom('audit_events')
    .select(['id', 'at', 'actor', 'action', 'target_type', 'target_id', 'detail'])
    .where('id', '>', last?.id ?? 0)
    .where('actor', 'not in', applyActors)
    .where('action', 'in', [...ORG_ACTIONS])
    .orderBy('id')
    .execute();
  if (rows.length === 0) return [];
  const events: Event[] = rows.map((r) => ({
    id: Number(r.id),
    at: Number(r.at),
    actor: r.actor,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    detail: parseDetail(r.detail),
  }));
  return matchDrift(events, plan, state);
}

function parseDetail(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The service an admin-API event came through, from its action. */
function serviceOf(action: string): string {
  if (/^(user|group|membership)\./.test(action)) return 'identitystore';
  if (/^(permission_set|assignment)\./.test(action)) return 'sso-admin';
  return 'organizations';
}

function matchDrift(events: Event[], plan: Plan, state: StoreState): DriftItem[] {
  // The newest event about each object, and deletions by what the file calls the object.
  const byTarget = new Map<string, Event>();
  const deletedUser = new Map<string, Event>();
  const deletedGroup = new Map<string, Event>();
  const deletedSet = new Map<string, Event>();
  const deletedMembership = new Map<string, Event>();
  const deletedAssignment = new Map<string, Event>();
  for (const e of events) {
    if (e.targetType && e.targetId) byTarget.set(`${e.targetType}|${e.targetId}`, e);
    const d = e.detail;
    if (e.action === 'user.delete') deletedUser.set(str(d.userName).toLowerCase(), e);
    if (e.action === 'group.delete') deletedGroup.set(str(d.name).toLowerCase(), e);
    if (e.action === 'permission_set.delete') deletedSet.set(str(d.name).toLowerCase(), e);
    if (e.action === 'membership.delete') deletedMembership.set(`${str(d.groupId)}|${str(d.userId)}`, e);
    if (e.action === 'assignment.delete') {
      deletedAssignment.set(
        `${str(d.principalType)}|${str(d.principalId)}|${str(d.permissionSetId)}|${str(d.accountId)}`,
        e,
      );
    }
  }

  const userName = (key: string) => plan.names.users.get(key) ?? key;
  const groupName = (key: string) => plan.names.groups.get(key) ?? key;
  const setName = (key: string) => plan.names.permissionSets.get(key) ?? key;
  const actorName = (actor: string) => {
    if (!actor.startsWith('user:')) return actor;
    const key = state.userById.get(actor.slice(5));
    return key ? `user:${state.users.get(key)?.user_name ?? key}` : actor;
  };
  const by = (e: Event) => {
    const via =
      e.detail.via === 'admin-api'
        ? ` via ${serviceOf(e.action)}`
        : typeof e.detail.via === 'string'
          ? ` via ${e.detail.via}`
          : '';
    return `by ${actorName(e.actor)}${via} at ${new Date(e.at).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
  };
  /** A parent as MoveAccount names it (the root's or an OU's id), as the file writes it. */
  const parentPath = (id: string) => (id.startsWith('r-') ? '/' : (state.ouById.get(id)?.path ?? id));
  /** `updated (DisplayName)`, `disabled`, `created`. */
  const verb = (e: Event) => {
    const what = e.action.slice(e.action.indexOf('.') + 1);
    const past =
      what === 'create'
        ? 'created'
        : what === 'delete'
          ? 'deleted'
          : what === 'update'
            ? 'updated'
            : `${what}d`;
    if (what !== 'update') return past;
    // A move (MoveAccount) or a rename (UpdateOrganizationalUnit) says where from and where to.
    if (typeof e.detail.from === 'string' && typeof e.detail.to === 'string') {
      if (e.action !== 'account.update') return `renamed (${e.detail.from} → ${e.detail.to})`;
      return `moved (${parentPath(e.detail.from)} → ${parentPath(e.detail.to)})`;
    }
    const changed = Array.isArray(e.detail.changed)
      ? (e.detail.changed as unknown[]).map(String)
      : Object.keys(e.detail).filter((k) => !WHO_KEYS.has(k) && k !== 'changed');
    return changed.length > 0 ? `${past} (${changed.join(', ')})` : past;
  };

  const out: DriftItem[] = [];
  const seen = new Set<number>();
  const add = (e: Event | undefined, subject: string, outcome: DriftItem['outcome'], how?: string) => {
    if (!e || seen.has(e.id)) return;
    seen.add(e.id);
    out.push({ what: `${subject} ${how ?? verb(e)} ${by(e)}`, outcome, eventId: e.id });
  };
  const removal = plan.prune ? 'pruned' : 'kept, --prune deletes it';

  for (const u of plan.users.update)
    add(byTarget.get(`USER|${u.stored.id}`), `user ${u.stored.user_name}`, 'restored');
  for (const u of plan.users.create) add(deletedUser.get(u.key), `user ${u.userName}`, 'restored');
  for (const u of plan.users.delete) add(byTarget.get(`USER|${u.id}`), `user ${u.user_name}`, removal);
  // A status the file does not set: the change stays, but it is drift all the same.
  for (const [, u] of state.users) {
    if (u.fromDirectory) continue; // the directory's sync sets those
    const e = byTarget.get(`USER|${u.id}`);
    if (e && (e.action === 'user.disable' || e.action === 'user.enable'))
      add(e, `user ${u.user_name}`, 'kept, the file does not set it');
  }
  for (const g of plan.groups.update)
    add(byTarget.get(`GROUP|${g.stored.id}`), `group ${g.stored.display_name}`, 'restored');
  for (const g of plan.groups.create) add(deletedGroup.get(g.key), `group ${g.name}`, 'restored');
  for (const g of plan.groups.delete) add(byTarget.get(`GROUP|${g.id}`), `group ${g.display_name}`, removal);
  for (const p of plan.permissionSets.update)
    add(byTarget.get(`PERMISSION_SET|${p.stored.id}`), `permission set ${p.stored.name}`, 'restored');
  for (const p of plan.permissionSets.create)
    add(deletedSet.get(p.key), `permission set ${p.name}`, 'restored');
  for (const p of plan.permissionSets.delete)
    add(byTarget.get(`PERMISSION_SET|${p.id}`), `permission set ${p.name}`, removal);
  for (const a of plan.accounts.update)
    add(byTarget.get(`ACCOUNT|${a.stored.id}`), `account ${a.stored.id}`, 'restored');
  for (const a of plan.accounts.delete) add(byTarget.get(`ACCOUNT|${a.id}`), `account ${a.id}`, removal);
  for (const o of plan.ous.delete) add(byTarget.get(`OU|${o.id}`), `OU ${o.path}`, removal);

  for (const m of plan.memberships.create) {
    const gid = state.groups.get(m.groupKey)?.id;
    const uid = state.users.get(m.userKey)?.id;
    const subject = `user ${userName(m.userKey)} in group ${groupName(m.groupKey)}`;
    add(deletedMembership.get(`${gid}|${uid}`), subject, 'restored', 'removed');
  }
  for (const m of plan.memberships.delete) {
    const subject = `user ${userName(m.userKey)} in group ${groupName(m.groupKey)}`;
    add(m.id ? byTarget.get(`MEMBERSHIP|${m.id}`) : undefined, subject, removal, 'added');
  }
  const principalId = (type: string, key: string) =>
    type === 'USER' ? state.users.get(key)?.id : state.groups.get(key)?.id;
  const principal = (type: string, key: string) =>
    type === 'USER' ? `user ${userName(key)}` : `group ${groupName(key)}`;
  for (const a of plan.assignments.create) {
    const psId = state.permissionSets.get(a.permissionSet)?.id;
    const k = `${a.principalType}|${principalId(a.principalType, a.principal)}|${psId}|${a.accountId}`;
    const subject = `assignment of ${setName(a.permissionSet)} in ${a.accountId} to ${principal(a.principalType, a.principal)}`;
    add(deletedAssignment.get(k), subject, 'restored', 'deleted');
  }
  for (const a of plan.assignments.delete) {
    const subject = `assignment of ${setName(a.permissionSet)} in ${a.accountId} to ${principal(a.principalType, a.principal)}`;
    add(a.id ? byTarget.get(`ASSIGNMENT|${a.id}`) : undefined, subject, removal, 'created');
  }
  return out.sort((x, y) => x.eventId - y.eventId);
}
