/**
 * `idcenter apply`: reconcile the store to an organization file in one transaction.
 *
 * 1. Hash the initial passwords that will be needed (slow, so before taking the write lock).
 * 2. Take the store's write lock (SQLite `BEGIN IMMEDIATE`; PostgreSQL locks the instance row),
 *    load the current state in bulk, diff it against the file in memory.
 * 3. Nothing to do: roll back, "No changes.". Otherwise write the plan (`execute.ts`) and commit.
 *
 * A crash or kill at any point leaves the store as it was before or as the file says: never
 * half-applied. Running servers read the store on every request, so they see the change at once.
 *
 * With an IAM provisioner (`app/federation/provision.ts`), the IAM of every `aws` account is
 * planned with the store (read, compared, every problem found) before anything is written; its
 * creations and updates are made before the store transaction and its removals (--prune) after,
 * so a role exists before the store sends anyone to it. IAM has no transactions: a call that
 * fails stops apply with what was done, and the next apply, which reads IAM again, finishes. So
 * does a store transaction that fails after IAM was changed: the error lists the IAM changes that
 * were made and says that the store was not.
 */
import { type Kysely, sql } from 'kysely';
import { DomainError } from '../../domain/errors.ts';
import type { Store } from '../../storage/db.ts';
import type { Database } from '../../storage/schema.ts';
import type { AppContext } from '../context.ts';
import {
  type IamPlan,
  type IamProvisioner,
  iamChangeCount,
  ProvisioningError,
  phaseChanges,
} from '../federation/provision.ts';
import { ensureInstance } from '../instance.ts';
import type { DesiredOrg } from '../org-file/model.ts';
import { beginRevocations, confirmRevocations, finishRevocations } from '../revocation.ts';
import { hashPassword } from '../users.ts';
import { type DriftItem, findDrift } from './drift.ts';
import { executePlan, type Progress } from './execute.ts';
import { formatIamChange } from './format.ts';
import { computePlan, directoryConflicts, externalIdConflicts, isEmptyPlan, type Plan } from './plan.ts';
import { loadState, type StoreState } from './state.ts';

export type { DriftItem } from './drift.ts';
export type { Plan } from './plan.ts';

export interface ApplyOptions {
  prune?: boolean;
  dryRun?: boolean;
  /** Audit actor and created_by/updated_by (default `cli:apply`). */
  actor?: string;
  onProgress?: Progress;
  /** Provision the IAM of `aws` accounts too (`idcenter apply`); without it, the store only. */
  iam?: IamProvisioner;
}

export interface ApplyResult {
  plan: Plan;
  /** What was changed outside the file since the last apply, and what this apply does about it. */
  drift: DriftItem[];
  /** The IAM changes, when an IAM provisioner was given. */
  iam?: IamPlan | undefined;
  /** False for a dry run and when there was nothing to do. */
  applied: boolean;
  changed: boolean;
  auditEvents: number;
  revocations: number;
  /** IAM changes made (each also counted in `auditEvents`). */
  iamChanges: number;
}

/**
 * Run `fn` in a transaction that holds the store's write lock from its first statement, so the
 * state it reads cannot change before it writes.
 */
export async function withWriteLock<T>(store: Store, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return store.db.connection().execute(async (conn) => {
    if (store.dialect === 'sqlite') {
      // A big apply touches hundreds of MB of index pages: a larger page cache for this
      // connection avoids re-reading them (the default is 2 MB).
      await sql`pragma cache_size = -262144`.execute(conn);
      await sql`begin immediate`.execute(conn);
    } else {
      await sql`begin`.execute(conn);
      await sql`select id from instance where id = 'default' for update`.execute(conn);
    }
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw err;
    } finally {
      if (store.dialect === 'sqlite') await sql`pragma cache_size = -2000`.execute(conn).catch(() => {});
    }
  });
}

/** Run `fn` in a read transaction: one consistent snapshot for the bulk state load. */
export async function withReadSnapshot<T>(
  store: Store,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return store.db.connection().execute(async (conn) => {
    await sql
      .raw(store.dialect === 'sqlite' ? 'begin' : 'begin isolation level repeatable read read only')
      .execute(conn);
    try {
      return await fn(conn);
    } finally {
      await sql`rollback`.execute(conn).catch(() => {});
    }
  });
}

class NothingToDo extends Error {}

/**
 * The store transaction failed after `made` IAM changes of `plan`: what was changed in IAM, that
 * the store was not, and that the next apply finishes.
 */
function storeFailedAfterIam(err: unknown, plan: IamPlan, made: number): ProvisioningError {
  const done = phaseChanges(plan, 'changes')
    .slice(0, made)
    .map(({ change }) => `  ${formatIamChange(change)}`);
  const why = ((err as Error)?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  return new ProvisioningError(
    'store',
    `IAM was changed, but the store could not be written: ${why}\n` +
      `These ${made === 1 ? 'IAM change was' : `${made} IAM changes were`} made (the audit log lists each as iam.change):\n${done.join('\n')}\n` +
      'The store was not changed: its transaction was rolled back. Fix the cause and run idcenter apply again: it reads IAM and the store again, keeps what is already in IAM and writes the store.',
    { cause: err, written: true },
  );
}

/** Users whose initial password the plan sets. */
function needingPassword(plan: Plan): Array<{ key: string; password: string | undefined }> {
  return [
    ...plan.users.create.filter((u) => u.password !== undefined),
    ...plan.users.update.filter((u) => u.setPassword).map((u) => u.want),
  ];
}

/**
 * Reconcile the store to `org`.
 *
 * @example
 * const r = await applyOrg(ctx, parsed.org, { prune: false });
 * process.stdout.write(formatPlan(r.plan));
 */
export async function applyOrg(
  ctx: AppContext,
  org: DesiredOrg,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const prune = options.prune === true;
  const actor = options.actor ?? 'cli:apply';
  await ensureInstance(ctx);

  // Plan against a snapshot without blocking anyone; a no-op or dry run ends here.
  let plan!: Plan;
  let drift: DriftItem[] = [];
  const snapshot = await withReadSnapshot(ctx.store, async (db) => {
    const state = await loadState(db);
    refuseConflicts(org, state, prune);
    plan = computePlan(org, state, { prune });
    drift = await findDrift(db, plan, state, actor);
    return state;
  });
  const iamPlan = options.iam
    ? await options.iam.plan({ org, state: snapshot, storePlan: plan, prune })
    : undefined;
  const iamPending = iamChangeCount(iamPlan);
  if (options.dryRun || (isEmptyPlan(plan) && iamPending === 0)) {
    return {
      plan,
      drift,
      iam: iamPlan,
      applied: false,
      changed: !isEmptyPlan(plan) || iamPending > 0,
      auditEvents: 0,
      revocations: 0,
      iamChanges: 0,
    };
  }
  const iamAudit = { db: ctx.store.db, actor, now: () => ctx.clock.now() };
  let iamChanges = 0;
  if (options.iam && iamPlan) iamChanges += (await options.iam.execute(iamPlan, 'changes', iamAudit)).made;
  const removeFromIam = async () => {
    if (options.iam && iamPlan) iamChanges += (await options.iam.execute(iamPlan, 'removals', iamAudit)).made;
  };
  // Only IAM to change: the store is left as it is.
  const iamOnly = (applied: boolean): ApplyResult => ({
    plan,
    drift,
    iam: iamPlan,
    applied,
    changed: applied,
    auditEvents: iamChanges,
    revocations: 0,
    iamChanges,
  });
  if (isEmptyPlan(plan)) {
    await removeFromIam();
    return iamOnly(true);
  }

  // Hashing is slow (tens of ms each): do it before taking the write lock.
  const hashes = new Map<string, string>();
  await hashAll(needingPassword(plan), hashes, options.onProgress);

  let result: {
    executed: Awaited<ReturnType<typeof executePlan>>;
    written: Awaited<ReturnType<typeof finishRevocations>>;
  };
  try {
    result = await withWriteLock(ctx.store, async (db) => {
      // The store may have changed since the snapshot: plan again under the lock.
      const state = await loadState(db);
      refuseConflicts(org, state, prune);
      plan = computePlan(org, state, { prune });
      if (isEmptyPlan(plan)) throw new NothingToDo();
      await hashAll(
        needingPassword(plan).filter((u) => !hashes.has(u.key)),
        hashes,
        undefined,
      );
      // Revocations (lost access, disabled or deleted users) are written last, stamped then.
      beginRevocations(db);
      const executed = await executePlan(db, ctx, state, plan, {
        actor,
        passwordHashes: hashes,
        onProgress: options.onProgress,
      });
      return { executed, written: await finishRevocations(db, ctx.clock) };
    });
  } catch (err) {
    if (!(err instanceof NothingToDo)) {
      if (iamPlan && iamChanges > 0) throw storeFailedAfterIam(err, iamPlan, iamChanges);
      throw err;
    }
    await removeFromIam();
    return iamOnly(iamChanges > 0);
  }
  // Committed: confirm the revocations, stamped after the commit (PostgreSQL; see revocation.ts).
  await confirmRevocations(ctx.store, ctx.clock, result.written);
  await removeFromIam();
  return {
    plan,
    drift,
    iam: iamPlan,
    applied: true,
    changed: true,
    auditEvents: result.executed.auditEvents + iamChanges,
    revocations: result.executed.revocations,
    iamChanges,
  };
}

/**
 * @throws DomainError `validation` naming every name the directory has taken or lacks, and every
 * external id that a user or group the file does not declare keeps
 */
function refuseConflicts(org: DesiredOrg, state: StoreState, prune: boolean): void {
  const problems = directoryConflicts(org, state);
  if (problems.length > 0) {
    throw new DomainError('validation', problems.join('\n'), { field: 'identitySource' });
  }
  const taken = externalIdConflicts(org, state, prune);
  if (taken.length > 0) throw new DomainError('validation', taken.join('\n'), { field: 'externalIds' });
}

async function hashAll(
  users: Array<{ key: string; password: string | undefined }>,
  into: Map<string, string>,
  progress: Progress | undefined,
): Promise<void> {
  // A few at a time: each hash takes ~19 MiB and tens of milliseconds.
  const PARALLEL = 4;
  let done = 0;
  for (let i = 0; i < users.length; i += PARALLEL) {
    await Promise.all(
      users.slice(i, i + PARALLEL).map(async (u) => {
        if (u.password !== undefined) into.set(u.key, await hashPassword(u.password));
      }),
    );
    done = Math.min(users.length, i + PARALLEL);
    progress?.('hashing initial passwords', done, users.length);
  }
}
