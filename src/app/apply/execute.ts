/**
 * Writing a plan to the store, inside the caller's transaction: one step per kind of object
 * (`steps/`), in an order where everything a row refers to exists before it and deletions
 * (--prune) take dependants first; then revocations for access that was lost, one audit event
 * per change, and the generation bump. The order of the steps is the order of the audit events.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.ts';
import { type AuditEvent, writeAuditBatch } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { bumpGeneration } from '../instance.ts';
import type { Plan } from './plan.ts';
import type { StoreState } from './state.ts';
import { writeAccounts } from './steps/accounts.ts';
import { createAssignments } from './steps/assignments.ts';
import { writeExternalIds } from './steps/external-ids.ts';
import { writeFederationSettings } from './steps/federation.ts';
import { writeGroups } from './steps/groups.ts';
import { writeIdentitySource } from './steps/identity-source.ts';
import { createMemberships } from './steps/memberships.ts';
import { setAdministrators, setManagementAccount } from './steps/organization.ts';
import { createOus } from './steps/ous.ts';
import { writePermissionSets } from './steps/permission-sets.ts';
import { writeProvisionedRoles } from './steps/provisioned-roles.ts';
import { prune } from './steps/prune.ts';
import { revokeLostAccess } from './steps/revocations.ts';
import type { ApplyTx, Progress } from './steps/step.ts';
import { writeUsers } from './steps/users.ts';

export type { Progress } from './steps/step.ts';

export interface ExecuteOptions {
  actor: string;
  /** Password hashes for users (by key) whose initial password is set by this plan. */
  passwordHashes: Map<string, string>;
  onProgress?: Progress | undefined;
}

export interface ExecuteResult {
  auditEvents: number;
  revocations: number;
}

/**
 * Apply `plan` (computed from `state`) inside the transaction `db`.
 *
 * @example await executePlan(trx, ctx, state, plan, { actor: 'cli:apply', passwordHashes });
 */
export async function executePlan(
  db: Kysely<Database>,
  ctx: AppContext,
  state: StoreState,
  plan: Plan,
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const { actor, onProgress: progress } = options;
  const now = ctx.clock.now();
  const audit: AuditEvent[] = [];
  const ouIds = new Map<string, string>([...state.ous].map(([path, ou]) => [path, ou.id]));
  const tx: ApplyTx = {
    db,
    dialect: ctx.store.dialect,
    now,
    random: ctx.random,
    actor,
    state,
    passwordHashes: options.passwordHashes,
    progress,
    ouIds,
    groupIds: new Map<string, string>([...state.groups].map(([k, g]) => [k, g.id])),
    userIds: new Map<string, string>([...state.users].map(([k, u]) => [k, u.id])),
    psIds: new Map<string, string>([...state.permissionSets].map(([k, p]) => [k, p.id])),
    psVersions: new Map<string, number>([...state.permissionSets].map(([k, p]) => [k, p.version])),
    ouIdOf: (path) => (path === '/' ? null : (ouIds.get(path) ?? null)),
    ev: (action, targetType, targetId, detail) => {
      audit.push({ at: now, actor, action, targetType, targetId, detail: detail ?? null });
    },
  };

  await createOus(tx, plan.ous);
  await writeAccounts(tx, plan.accounts);
  await writeGroups(tx, plan.groups);
  await writeUsers(tx, plan.users);
  await writePermissionSets(tx, plan.permissionSets);
  await createMemberships(tx, plan.memberships);
  await createAssignments(tx, plan.assignments);
  if (plan.prune) await prune(tx, plan);
  await writeExternalIds(tx, plan);
  await writeProvisionedRoles(tx, plan.provision, plan.prune);
  await setManagementAccount(tx, plan.managementAccount);
  await setAdministrators(tx, plan.administrators);
  await writeFederationSettings(tx, plan.federation);
  await writeIdentitySource(tx, plan.identitySource);
  const revocations = revokeLostAccess(tx, plan.lostAccess);

  progress?.('audit events', 0, audit.length);
  await writeAuditBatch(db, audit);
  progress?.('audit events', audit.length, audit.length);
  await bumpGeneration(db);
  return { auditEvents: audit.length, revocations };
}
