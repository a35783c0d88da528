/**
 * IAM provisioning for `idcenter apply`: in every `aws` account of the organization file, the
 * identity provider its roles trust (the SAML provider made from this server's metadata, or for
 * `federation: oidc` the OIDC provider of this server's issuer) and one role per permission set
 * assigned there (`domain/federation/iam-roles.ts`).
 *
 * 1. `plan`: reach every account (`aws-access.ts`), read what its IAM has (`iam-observe.ts`),
 *    and list the calls that make it what the file says (`domain/federation/iam-diff.ts`),
 *    marking those that repair changes made by hand. Any problem in any account (no
 *    credential, a role name taken by someone else's role, a policy that does not exist, IAM
 *    unreachable) stops here, before anything is written anywhere.
 * 2. `execute`: make the calls, in order, one audit event each. Apply runs the creations and
 *    updates before it writes the store and the removals (--prune) after, so a role exists
 *    before the store sends anyone to it and goes only once nobody is sent. A call that fails
 *    stops the run with what was done and what was not; a second apply reads IAM again and
 *    finishes the work.
 *
 * Accounts that stopped being `aws` (or left the file) are visited with --prune only, to remove
 * what idcenter made there.
 */
import type { Kysely } from 'kysely';
import { diffAccount, type IamChange } from '../../domain/federation/iam-diff.ts';
import { type AccountSpec, accountSpec, type RoleDefinition } from '../../domain/federation/iam-roles.ts';
import { isPartition, type Partition } from '../../domain/federation/partitions.ts';
import type { Database } from '../../storage/schema.ts';
import type { Plan } from '../apply/plan.ts';
import type { StoreState } from '../apply/state.ts';
import { type AuditEvent, writeAuditBatch } from '../audit.ts';
import type { DesiredOrg } from '../org-file/model.ts';
import {
  type AccountTarget,
  type AwsAccess,
  type AwsAccessOptions,
  createAwsAccess,
  ProvisioningError,
  type ReachedAccount,
} from './aws-access.ts';
import { executeChange } from './iam-execute.ts';
import { mapLimit, observeAccount } from './iam-observe.ts';

export { ProvisioningError } from './aws-access.ts';

export interface IamAccountPlan {
  accountId: string;
  partition: Partition;
  /** Who the calls are made as. */
  principal: string;
  changes: IamChange[];
  notes: string[];
}

export interface IamPlan {
  /** False: `federation.provisioning.enabled: false`, IAM is left alone. */
  enabled: boolean;
  prune: boolean;
  accounts: IamAccountPlan[];
}

export interface IamExecution {
  /** Changes made. */
  made: number;
}

export interface IamProvisioner {
  plan(input: { org: DesiredOrg; state: StoreState; storePlan: Plan; prune: boolean }): Promise<IamPlan>;
  /**
   * Make the plan's changes of one phase: `changes` (creations, updates, repairs) or `removals`
   * (--prune). Each change made writes an audit event through `db`.
   */
  execute(
    plan: IamPlan,
    phase: 'changes' | 'removals',
    audit: { db: Kysely<Database>; actor: string; now: () => number },
  ): Promise<IamExecution>;
  close(): void;
}

export interface ProvisionerOptions extends Omit<AwsAccessOptions, 'provisioning' | 'settings'> {
  /** The server's SAML metadata document (read only when an account needs it). */
  metadata: () => Promise<string>;
  /** The audience of the server's assertions in `partition` (`IDCENTER_AWS_SIGNIN_ENDPOINT` or its sign-in endpoint). */
  audience: (partition: Partition) => string;
  /** The server's OIDC issuer URL (its public URL): the OIDC provider of `federation: oidc` accounts. */
  issuer: string;
}

/** The changes of a plan that run in `phase`. */
export function phaseChanges(
  plan: IamPlan,
  phase: 'changes' | 'removals',
): Array<{ accountId: string; change: IamChange }> {
  const out: Array<{ accountId: string; change: IamChange }> = [];
  for (const a of plan.accounts) {
    for (const change of a.changes) {
      if (phase === 'changes' ? !change.prune : change.prune && plan.prune)
        out.push({ accountId: a.accountId, change });
    }
  }
  return out;
}

/** Count of the changes an apply with this plan makes (prune removals only with --prune). */
export function iamChangeCount(plan: IamPlan | undefined): number {
  if (!plan) return 0;
  return phaseChanges(plan, 'changes').length + phaseChanges(plan, 'removals').length;
}

interface Target extends AccountTarget {
  spec: AccountSpec | null;
  providerName: string;
  rolePath: string;
}

/** The accounts to visit and what each should have. */
async function targetsOf(
  input: { org: DesiredOrg; state: StoreState; storePlan: Plan; prune: boolean },
  options: ProvisionerOptions,
): Promise<Target[]> {
  const { org, state, prune } = input;
  const settings = org.federation;
  const definitions = new Map<string, RoleDefinition>(org.permissionSets.map((p) => [p.key, p]));
  const assigned = new Map<string, Set<string>>();
  for (const a of org.assignments) {
    const set = assigned.get(a.accountId) ?? new Set<string>();
    set.add(a.permissionSet);
    assigned.set(a.accountId, set);
  }
  const targets: Target[] = [];
  const federated = org.accounts.filter((a) => a.access === 'aws');
  // The metadata is read (and the signing key made) only when an account trusts the SAML provider.
  let metadata: string | undefined;
  if (federated.some((a) => a.federation === 'saml')) metadata = await options.metadata();
  for (const a of federated) {
    const partition = a.partition ?? settings.partition;
    const roles = [...(assigned.get(a.id) ?? [])].flatMap((k) => definitions.get(k) ?? []);
    targets.push({
      accountId: a.id,
      partition,
      providerName: settings.providerName,
      rolePath: settings.rolePath,
      spec: accountSpec({
        accountId: a.id,
        partition,
        settings,
        audience: options.audience(partition),
        metadata: metadata ?? '',
        oidc:
          a.federation === 'oidc'
            ? {
                issuer: options.issuer,
                audience: settings.oidcAudience,
                thumbprints: org.provisioning.oidcThumbprints,
              }
            : undefined,
        roles,
      }),
    });
  }
  if (prune) {
    const stillAws = new Set(federated.map((a) => a.id));
    for (const stored of state.accounts.values()) {
      if (stored.access !== 'aws' || stillAws.has(stored.id)) continue;
      const p = stored.partition;
      targets.push({
        accountId: stored.id,
        partition: p !== null && isPartition(p) ? p : state.federation.partition,
        providerName: state.federation.providerName,
        rolePath: state.federation.rolePath,
        spec: null,
      });
    }
  }
  return targets;
}

/** Permission sets whose roles this apply changes on purpose (so differences are not drift). */
function changingOf(input: { storePlan: Plan; org: DesiredOrg }, accountId: string): (ps: string) => boolean {
  const plan = input.storePlan;
  if (plan.federation) return () => true;
  if (
    plan.accounts.create.some((a) => a.id === accountId) ||
    plan.accounts.update.some((u) => u.stored.id === accountId)
  ) {
    return () => true;
  }
  const names = new Set<string>([
    ...plan.permissionSets.create.map((p) => p.name),
    ...plan.permissionSets.update.filter((u) => u.definitionChanged).map((u) => u.want.name),
  ]);
  return (ps) => names.has(ps);
}

/**
 * @example
 * const iam = createIamProvisioner({ stsEndpoint: '', iamEndpoint: '', timeoutMs: 10_000, metadata, audience });
 * const plan = await iam.plan({ org, state, storePlan, prune: false });
 */
export function createIamProvisioner(options: ProvisionerOptions): IamProvisioner {
  let access: AwsAccess | undefined;
  const reached = new Map<string, ReachedAccount>();
  return {
    async plan(input) {
      const { org, prune } = input;
      if (!org.provisioning.enabled) return { enabled: false, prune, accounts: [] };
      const targets = await targetsOf(input, options);
      if (targets.length === 0) return { enabled: true, prune, accounts: [] };
      access ??= createAwsAccess({ ...options, provisioning: org.provisioning, settings: org.federation });
      const a = access;
      for (const [id, r] of await a.reach(targets)) reached.set(id, r);
      const accounts = await mapLimit(
        targets,
        4,
        async (t): Promise<IamAccountPlan & { problems: string[] }> => {
          const account = reached.get(t.accountId)!;
          const observed = await observeAccount(a, account, {
            spec: t.spec,
            providerName: t.providerName,
            rolePath: t.rolePath,
            issuer: options.issuer,
          });
          const diff = diffAccount(t.spec, observed, { changing: changingOf(input, t.accountId) });
          return {
            accountId: t.accountId,
            partition: t.partition,
            principal: account.principal,
            changes: diff.changes,
            notes: diff.notes,
            problems: diff.problems,
          };
        },
      );
      const problems = accounts.flatMap((p) => p.problems.map((m) => `account ${p.accountId}: ${m}`));
      if (problems.length > 0) {
        throw new ProvisioningError(
          'conflict',
          `IAM is not ready for what the organization file asks in ${problems.length === 1 ? 'one place' : `${problems.length} places`}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
        );
      }
      return {
        enabled: true,
        prune,
        accounts: accounts.map(({ problems: _, ...rest }) => rest),
      };
    },

    async execute(plan, phase, audit) {
      const todo = phaseChanges(plan, phase);
      if (todo.length === 0) return { made: 0 };
      const a = access;
      if (!a) throw new Error('internal: execute before plan');
      let made = 0;
      const events: AuditEvent[] = [];
      const flush = async () => {
        if (events.length > 0) await writeAuditBatch(audit.db, events.splice(0));
      };
      try {
        for (const { accountId, change } of todo) {
          const account = reached.get(accountId);
          if (!account) throw new Error(`internal: account ${accountId} was not reached`);
          let requestId: string | undefined;
          try {
            ({ requestId } = await executeChange(a, account, change));
          } catch (err) {
            events.push({
              at: audit.now(),
              actor: audit.actor,
              action: 'iam.change_failure',
              targetType: 'ACCOUNT',
              targetId: accountId,
              detail: { call: change.call.call, summary: change.summary, error: (err as Error).message },
            });
            const done =
              phase === 'changes'
                ? `${made} of its ${todo.length} IAM changes were made before it (the audit log lists them) and the store was not changed`
                : `the store was changed and ${made} of its ${todo.length} IAM removals were made before it (the audit log lists them)`;
            throw new ProvisioningError(
              err instanceof ProvisioningError ? err.failure : 'refused',
              `IAM in account ${accountId}: could not ${change.summary}: ${(err as Error).message}\nThis apply stopped there: ${done}. Fix the cause and run idcenter apply again: it reads IAM again and does what is left.`,
              { cause: err, written: made > 0 || phase === 'removals' },
            );
          }
          made++;
          events.push({
            at: audit.now(),
            actor: audit.actor,
            action: 'iam.change',
            targetType: 'ACCOUNT',
            targetId: accountId,
            detail: {
              call: change.call.call,
              summary: change.summary,
              ...(change.drift ? { drift: true } : {}),
              ...(change.prune ? { prune: true } : {}),
              iamRequestId: requestId ?? null,
            },
          });
        }
      } finally {
        await flush();
      }
      return { made };
    },

    close() {
      access?.close();
    },
  };
}
