/**
 * The plan as people read it: one line per change (`+ create user alice`,
 * `~ update permission set ReadOnly (sessionDuration PT1H → PT4H)`, `- delete …`), then a summary.
 * Long sections are shortened to their first lines and a count.
 */
import type { IamChange } from '../../domain/federation/iam-diff.ts';
import type { IamPlan } from '../federation/provision.ts';
import type { DriftItem } from './drift.ts';
import type { FieldChange, Plan } from './plan.ts';
import { planCounts } from './plan.ts';

export interface FormatOptions {
  /** Lines shown per section before "… and N more" (default 200). */
  maxLinesPerSection?: number;
  /** The IAM changes in `aws` accounts (`idcenter apply` provisioning). */
  iam?: IamPlan | undefined;
  /** What was changed outside the file since the last apply (`drift.ts`). */
  drift?: readonly DriftItem[] | undefined;
}

const DRIFT_OUTCOME: Record<DriftItem['outcome'], string> = {
  restored: 'apply sets it back to the file',
  pruned: 'deleted by --prune',
  'kept, --prune deletes it': 'kept; --prune deletes it',
  'kept, the file does not set it': 'kept; the file does not set it',
};

const SYMBOL: Record<IamChange['effect'], string> = { create: '+', update: '~', delete: '-' };

/** One IAM change as a plan line: `+ IAM 123456789012: create role /idcenter/idcenter-Admin (…)`. */
export function formatIamChange(change: IamChange): string {
  return `${SYMBOL[change.effect]} IAM ${change.accountId}: ${change.summary}${change.drift ? ' (changed outside idcenter: set back)' : ''}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function quote(v: string): string {
  return /^[\w@./:+=,-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
}

function describeChanges(changes: FieldChange[]): string {
  return changes
    .map((c) => {
      if (c.field === 'password') return 'initial password set';
      if (c.field === 'inlinePolicy')
        return `inlinePolicy ${c.from === '(none)' ? 'added' : c.to === '(none)' ? 'removed' : 'changed'}`;
      return `${c.field} ${quote(c.from)} → ${quote(c.to)}`;
    })
    .join(', ');
}

/**
 * @example process.stdout.write(formatPlan(result.plan));
 */
export function formatPlan(plan: Plan, options: FormatOptions = {}): string {
  const max = options.maxLinesPerSection ?? 200;
  const user = (k: string) => plan.names.users.get(k) ?? k;
  const group = (k: string) => plan.names.groups.get(k) ?? k;
  const ps = (k: string) => plan.names.permissionSets.get(k) ?? k;
  const principal = (type: string, k: string) => (type === 'USER' ? `user ${user(k)}` : `group ${group(k)}`);

  const out: string[] = [];
  const section = <T>(items: T[], line: (item: T) => string, into: string[] = out) => {
    for (const item of items.slice(0, max)) into.push(line(item));
    if (items.length > max) into.push(`  … and ${items.length - max} more`);
  };

  section(plan.ous.create, (p) => `+ create OU ${p}`);
  section(
    plan.accounts.create,
    (a) =>
      `+ create account ${a.id} ${quote(a.name)}${a.ouPath === '/' ? '' : ` in ${a.ouPath}`}${a.access === 'aws' ? ` (access aws${a.partition ? `, partition ${a.partition}` : ''}${a.federation === 'oidc' ? ', federation oidc' : ''})` : ''}`,
  );
  section(
    plan.accounts.update,
    (u) => `~ update account ${u.stored.id} ${quote(u.want.name)} (${describeChanges(u.changes)})`,
  );
  section(plan.groups.create, (g) => `+ create group ${quote(g.name)}`);
  section(plan.groups.update, (u) => `~ update group ${quote(u.want.name)} (${describeChanges(u.changes)})`);
  section(
    plan.users.create,
    (u) =>
      `+ create user ${u.userName}${u.disabled ? ' (disabled)' : ''}${u.password !== undefined ? ' (initial password set)' : ''}`,
  );
  section(plan.users.update, (u) => `~ update user ${u.want.userName} (${describeChanges(u.changes)})`);
  section(plan.permissionSets.create, (p) => `+ create permission set ${p.name} (${p.sessionDuration})`);
  section(
    plan.permissionSets.update,
    (u) => `~ update permission set ${u.want.name} (${describeChanges(u.changes)})`,
  );
  section(plan.memberships.create, (m) => `+ add ${user(m.userKey)} to group ${quote(group(m.groupKey))}`);
  section(
    plan.assignments.create,
    (a) => `+ assign ${ps(a.permissionSet)} in ${a.accountId} to ${principal(a.principalType, a.principal)}`,
  );
  if (plan.managementAccount) {
    out.push(
      `~ set management account ${plan.managementAccount.to}${plan.managementAccount.from ? ` (was ${plan.managementAccount.from})` : ''}`,
    );
  }

  for (const key of plan.administrators.grant) {
    out.push(`~ permission set ${ps(key)} may call the admin APIs (administrators)`);
  }
  for (const key of plan.administrators.revoke) {
    out.push(`~ permission set ${ps(key)} may no longer call the admin APIs (administrators)`);
  }
  if (plan.federation) {
    out.push(`~ set federation (${describeChanges(plan.federation.changes)})`);
  }

  if (plan.identitySource) {
    const { from, to } = plan.identitySource;
    out.push(`~ set identity source ${to}${from === to ? ' (settings changed)' : ` (was ${from})`}`);
  }

  const deletions: string[] = [];
  section(
    plan.assignments.delete,
    (a) =>
      `- remove assignment ${ps(a.permissionSet)} in ${a.accountId} from ${principal(a.principalType, a.principal)}`,
    deletions,
  );
  section(
    plan.memberships.delete,
    (m) => `- remove ${user(m.userKey)} from group ${quote(group(m.groupKey))}`,
    deletions,
  );
  section(plan.permissionSets.delete, (p) => `- delete permission set ${p.name}`, deletions);
  section(plan.users.delete, (u) => `- delete user ${u.user_name}`, deletions);
  section(plan.groups.delete, (g) => `- delete group ${quote(g.display_name)}`, deletions);
  section(plan.accounts.delete, (a) => `- delete account ${a.id} ${quote(a.name)}`, deletions);
  section(plan.ous.delete, (o) => `- delete OU ${o.path}`, deletions);

  const iamChanges = options.iam?.accounts.flatMap((a) => a.changes) ?? [];
  const iamNow = iamChanges.filter((c) => !c.prune || plan.prune);
  const iamPrunable = plan.prune ? [] : iamChanges.filter((c) => c.prune);
  const iamLines: string[] = [];
  section(iamNow, formatIamChange, iamLines);

  const counts = planCounts(plan);
  const lines: string[] = [];
  const storeChanges = counts.create + counts.update + counts.delete;
  if (storeChanges === 0 && iamNow.length === 0) {
    lines.push('No changes.');
  } else {
    lines.push(...out);
    if (plan.prune) lines.push(...deletions);
    lines.push(...iamLines);
    if (storeChanges > 0 || iamNow.length === 0) {
      lines.push(`Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete.`);
    }
    if (iamNow.length > 0) {
      const accounts = new Set(iamNow.map((c) => c.accountId)).size;
      const drift = iamNow.filter((c) => c.drift).length;
      lines.push(
        `IAM: ${plural(iamNow.length, 'change', 'changes')} in ${plural(accounts, 'account', 'accounts')}${drift > 0 ? `, ${drift} of them setting back changes made outside idcenter` : ''}.`,
      );
    }
  }
  if (!plan.prune && counts.prunable > 0) {
    lines.push(
      `${counts.prunable} ${counts.prunable === 1 ? 'object' : 'objects'} in the store ${counts.prunable === 1 ? 'is' : 'are'} not in the file and ${counts.prunable === 1 ? 'is' : 'are'} kept; --prune would delete:`,
    );
    lines.push(...deletions.map((l) => `  ${l}`));
  }
  if (iamPrunable.length > 0) {
    lines.push(
      `IAM has roles or providers idcenter made that the file no longer names; they are kept, and --prune would make ${plural(iamPrunable.length, 'change', 'changes')}:`,
    );
    section(iamPrunable, (c) => `  ${formatIamChange(c)}`, lines);
  }
  for (const a of options.iam?.accounts ?? [])
    for (const n of a.notes) lines.push(`note: account ${a.accountId}: ${n}`);
  const drift = options.drift ?? [];
  if (drift.length > 0) {
    lines.push(
      `Changed outside the file since the last apply (${plural(drift.length, 'change', 'changes')}, from the audit log):`,
    );
    section([...drift], (d) => `! changed outside the file: ${d.what} (${DRIFT_OUTCOME[d.outcome]})`, lines);
  }
  return `${lines.join('\n')}\n`;
}
