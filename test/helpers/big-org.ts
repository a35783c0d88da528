/**
 * A generated organization file for load tests and the apply benchmark: accounts in a two-level
 * OU tree, users in groups, permission sets, and assignments both through groups (OU- and
 * account-targeted) and directly to users. With the defaults (the benchmark's size) it yields
 * exactly 500,000 assignment rows, and user00000 sees every account through the group AllAccounts.
 */

export interface BigOrgSize {
  accounts: number;
  users: number;
  groups: number;
  permissionSets: number;
  /** Accounts targeted one by one per group (besides two whole OUs). */
  accountsPerGroup: number;
  /** Users with direct assignments, each to `directPerUser` accounts. */
  directUsers: number;
  directPerUser: number;
  /** Leaf OUs: `teamsPerUnit` teams under each of `units` business units. */
  units: number;
  teamsPerUnit: number;
}

export const BENCH_ORG: BigOrgSize = {
  accounts: 5000,
  users: 50_000,
  groups: 2000,
  permissionSets: 200,
  accountsPerGroup: 25,
  directUsers: 9045,
  directPerUser: 5,
  units: 10,
  teamsPerUnit: 5,
};

export function accountId(i: number): string {
  return String(i).padStart(12, '0');
}

export function userName(i: number): string {
  return `user${String(i).padStart(5, '0')}`;
}

/** Number of account_assignments rows the file expands to. */
export function expectedAssignments(s: BigOrgSize): number {
  const leaves = s.units * s.teamsPerUnit;
  const perLeaf = s.accounts / leaves;
  return (s.groups - 1) * (2 * perLeaf + s.accountsPerGroup) + s.accounts + s.directUsers * s.directPerUser;
}

/**
 * The organization file as YAML text. `variant` changes every display name so a re-apply of
 * another variant updates every user (for tests that need a long write).
 */
export function generateBigOrg(s: BigOrgSize, variant = ''): string {
  const leaves = s.units * s.teamsPerUnit;
  if (s.accounts % leaves !== 0) throw new Error('accounts must divide evenly over the leaf OUs');
  const perLeaf = s.accounts / leaves;
  const leafPath = (leaf: number) =>
    `/Unit-${Math.floor(leaf / s.teamsPerUnit)}/Team-${leaf % s.teamsPerUnit}`;
  const out: string[] = [];
  out.push(`managementAccount: "${accountId(0)}"`, 'accounts:');
  for (let i = 0; i < s.accounts; i++) {
    const leaf = Math.floor(i / perLeaf);
    out.push(
      `  - { id: "${accountId(i)}", name: Account ${i}, email: aws+${accountId(i)}@example.com, ou: ${leafPath(leaf)} }`,
    );
  }
  out.push('groups:');
  out.push('  - { name: AllAccounts, description: Sees every account }');
  for (let g = 1; g < s.groups; g++) out.push(`  - { name: group${g}, description: Team ${g} }`);
  const groupName = (g: number) => (g === 0 ? 'AllAccounts' : `group${g}`);
  out.push('users:');
  for (let i = 0; i < s.users; i++) {
    const g1 = i % s.groups;
    let g2 = (i * 7 + 3) % s.groups;
    if (g2 === g1) g2 = (g1 + 1) % s.groups;
    const n = userName(i);
    out.push(
      `  - { userName: ${n}, displayName: User ${i}${variant}, givenName: Given${i}, familyName: Family${i}, email: ${n}@example.com, groups: [${groupName(g1)}, ${groupName(g2)}] }`,
    );
  }
  out.push('permissionSets:');
  for (let p = 0; p < s.permissionSets; p++) {
    const hours = 1 + (p % 12);
    out.push(`  - name: PermissionSet${p}`);
    out.push(`    description: Generated permission set ${p}`);
    out.push(`    sessionDuration: PT${hours}H`);
    out.push('    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]');
    if (p % 4 === 0) {
      out.push(
        `    inlinePolicy: { Version: "2012-10-17", Statement: [ { Sid: Bucket${p}, Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket-${p}/*" } ] }`,
      );
    }
    out.push(`    tags: { Index: "${p}" }`);
  }
  out.push('assignments:');
  const ps = (p: number) => `PermissionSet${p % s.permissionSets}`;
  out.push(`  - { group: AllAccounts, permissionSet: ${ps(0)}, ous: [/] }`);
  for (let g = 1; g < s.groups; g++) {
    const a = g % leaves;
    let b = (g * 13 + 7) % leaves;
    if (b === a) b = (a + 1) % leaves;
    out.push(`  - { group: group${g}, permissionSet: ${ps(g)}, ous: [${leafPath(a)}, ${leafPath(b)}] }`);
    const ids: string[] = [];
    for (let k = 0; k < s.accountsPerGroup; k++) ids.push(`"${accountId((g * 37 + k * 197) % s.accounts)}"`);
    out.push(`  - { group: group${g}, permissionSet: ${ps(g + 1)}, accounts: [${ids.join(', ')}] }`);
  }
  for (let u = 0; u < s.directUsers; u++) {
    const ids: string[] = [];
    for (let k = 0; k < s.directPerUser; k++) ids.push(`"${accountId((u * 11 + k * 1009) % s.accounts)}"`);
    out.push(`  - { user: ${userName(u)}, permissionSet: ${ps(u + 7)}, accounts: [${ids.join(', ')}] }`);
  }
  return `${out.join('\n')}\n`;
}
