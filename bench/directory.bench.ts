/**
 * The directory sync at scale, from a slapd started here: 50,000 users and 2,000 groups (25
 * members each, every tenth group nested in the next), loaded by `slapadd` into slapd's database
 * before it starts, then synced into an empty store (full), synced again with nothing changed
 * (incremental), and again after 100 changes in the directory (50 users renamed, 25 users added,
 * 25 memberships removed), on SQLite and PostgreSQL; then the sign-in check of directory users (a
 * search on the pooled service-account connection, then a bind on a connection of its own) run
 * 300 times.
 * Targets: full sync < 60 s, incremental with no changes < 2 s, sign-in p99 < 50 ms.
 * The whole run is bounded (IDCENTER_BENCH_DIRECTORY_BUDGET_S, default 900 s): past it, slapd
 * is stopped and the bench fails.
 */
import os from 'node:os';
import { applyOrg } from '../src/app/apply/index.ts';
import { type AppContext, createAppContext } from '../src/app/context.ts';
import { verifyDirectoryPassword } from '../src/app/directory/signin.ts';
import { summary, syncDirectory } from '../src/app/directory/sync.ts';
import { parseOrgFile } from '../src/app/org-file/index.ts';
import { openStore } from '../src/storage/db.ts';
import {
  BASE_DN,
  groupDn,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
  userDn,
} from '../test/helpers/slapd.ts';
import { tempStoreUrl } from '../test/helpers/stores.ts';
import { percentile, report } from './report.ts';

/** The issue's scale; IDCENTER_BENCH_DIRECTORY_USERS / _GROUPS make a smaller run on a busy machine. */
const USERS = Number(process.env.IDCENTER_BENCH_DIRECTORY_USERS ?? 50_000);
const GROUPS = Number(process.env.IDCENTER_BENCH_DIRECTORY_GROUPS ?? 2_000);
const MEMBERS = 25;
const SIGNINS = 300;
const CHANGES = 100;
const ENV = { IDCENTER_BENCH_LDAP_PASSWORD: SERVICE_PASSWORD };
const BUDGET_MS = Number(process.env.IDCENTER_BENCH_DIRECTORY_BUDGET_S ?? 900) * 1000;

function userLdif(i: number): string {
  const uid = `user${i}`;
  return `dn: ${userDn(uid)}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: User ${i}\nsn: ${i}\ngivenName: User\ndisplayName: User ${i}\nmail: ${uid}@idc.test\nuserPassword: pw-${uid}\n\n`;
}

function groupMembers(g: number): string[] {
  const members = Array.from({ length: MEMBERS }, (_, k) => userDn(`user${(g * MEMBERS + k) % USERS}`));
  if (g % 10 === 0 && g + 1 < GROUPS) members.push(groupDn(`group${g + 1}`));
  return members;
}

/**
 * The directory's content as one LDIF for slapadd. Users with plain userPassword values: the
 * bench measures this side, not the directory's hashing.
 */
function directoryLdif(): string {
  const out: string[] = [];
  for (let i = 0; i < USERS; i++) out.push(userLdif(i));
  for (let g = 0; g < GROUPS; g++) {
    const members = groupMembers(g).map((m) => `member: ${m}`);
    out.push(
      `dn: ${groupDn(`group${g}`)}\nobjectClass: groupOfNames\ncn: group${g}\n${members.join('\n')}\n\n`,
    );
  }
  return out.join('');
}

/**
 * 100 changes in the directory, different for each round: 50 users get a new display name, 25
 * users are added, 25 memberships end (the first member of 25 groups).
 */
function changeDirectory(slapd: Slapd, round: number): { renamed: number; added: number; removed: number } {
  const ldif: string[] = [];
  const renamed = CHANGES / 2;
  const added = CHANGES / 4;
  const removed = CHANGES - renamed - added;
  for (let k = 0; k < renamed; k++) {
    const uid = `user${(round * 1000 + k * 7) % USERS}`;
    ldif.push(
      `dn: ${userDn(uid)}\nchangetype: modify\nreplace: displayName\ndisplayName: Renamed ${round} ${uid}\n\n`,
    );
  }
  for (let k = 0; k < added; k++) {
    ldif.push(
      userLdif(USERS + round * added + k).replace('\nobjectClass:', '\nchangetype: add\nobjectClass:'),
    );
  }
  for (let k = 0; k < removed; k++) {
    const g = round * 100 + k;
    ldif.push(
      `dn: ${groupDn(`group${g}`)}\nchangetype: modify\ndelete: member\nmember: ${groupMembers(g)[0]}\n\n`,
    );
  }
  slapd.modify(ldif.join(''));
  return { renamed, added, removed };
}

/**
 * The organization: the identity source, then (`assigned`, once the groups are synced) every
 * directory group assigned a permission set in one account, so the changes' ended memberships
 * take access away and the sync works out which role credentials to revoke.
 */
function orgText(slapd: Slapd, assigned: boolean): string {
  const assignments = assigned
    ? `accounts:
  - { id: "111111111111", name: Workload, email: workload@example.com }
permissionSets:
  - { name: ReadOnly }
assignments:
${Array.from({ length: GROUPS }, (_, g) => `  - { group: group${g}, permissionSet: ReadOnly, accounts: ["111111111111"] }`).join('\n')}
`
    : '';
  return `identitySource:
  type: ldap
  urls: ["${slapd.ldapsUrl}"]
  caFile: ${slapd.caFile}
  bindDn: "${SERVICE_DN}"
  bindPasswordEnv: IDCENTER_BENCH_LDAP_PASSWORD
  users: { baseDn: "ou=people,${BASE_DN}" }
  groups: { baseDn: "ou=groups,${BASE_DN}" }
  timeout: 60s
${assignments}`;
}

async function applyText(ctx: AppContext, text: string): Promise<void> {
  const parsed = parseOrgFile(text);
  if (!parsed.ok) throw new Error(parsed.problems[0]?.message);
  await applyOrg(ctx, parsed.org, {});
}

/** Removes the store of the run in progress: what the budget's stop still has to clean up. */
let removeStore: (() => Promise<void>) | undefined;

/** Users in the directory: the preloaded ones and those each round of changes added. */
let directoryUsers = USERS;

async function benchStore(kind: 'sqlite' | 'postgres', slapd: Slapd, round: number): Promise<void> {
  const temp = await tempStoreUrl(kind);
  removeStore = () => temp.cleanup();
  const store = await openStore(temp.url);
  const ctx = createAppContext(store);
  try {
    await applyText(ctx, orgText(slapd, false));
    let t = performance.now();
    const full = await syncDirectory(ctx, { full: true, env: ENV });
    const fullSeconds = (performance.now() - t) / 1000;
    if (full.created.length !== directoryUsers || full.groupsCreated.length !== GROUPS) {
      throw new Error(`full sync made ${full.created.length} users and ${full.groupsCreated.length} groups`);
    }
    report({
      name: `directory: full sync ${USERS} users / ${GROUPS} groups, ${kind}`,
      value: fullSeconds,
      unit: 's',
      // The target is for the issue's scale.
      ...(USERS >= 50_000 ? { target: '< 60 s', met: fullSeconds < 60 } : {}),
      detail: { memberships: full.membershipsAdded, load: os.loadavg()[0] },
    });
    await applyText(ctx, orgText(slapd, true));
    t = performance.now();
    const again = await syncDirectory(ctx, { env: ENV });
    const incSeconds = (performance.now() - t) / 1000;
    if (again.mode !== 'incremental' || again.created.length + again.updated.length > 0) {
      throw new Error('the second sync was not an incremental one without changes');
    }
    report({
      name: `directory: incremental sync, no changes, ${kind}`,
      value: incSeconds,
      unit: 's',
      target: '< 2 s',
      met: incSeconds < 2,
      detail: { usersRead: again.usersRead, groupsRead: again.groupsRead, load: os.loadavg()[0] },
    });
    const change = changeDirectory(slapd, round);
    directoryUsers += change.added;
    t = performance.now();
    const changed = await syncDirectory(ctx, { env: ENV });
    const changedSeconds = (performance.now() - t) / 1000;
    if (
      changed.mode !== 'incremental' ||
      changed.updated.length !== change.renamed ||
      changed.created.length !== change.added ||
      changed.membershipsRemoved < change.removed
    ) {
      throw new Error(`the sync after ${CHANGES} changes: ${JSON.stringify(summary(changed))}`);
    }
    const revoked = await store.db
      .selectFrom('revocations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'access')
      .executeTakeFirstOrThrow();
    report({
      name: `directory: incremental sync, ${CHANGES} changes, ${kind}`,
      value: changedSeconds,
      unit: 's',
      detail: { ...summary(changed), accessRevoked: Number(revoked.n), load: os.loadavg()[0] },
    });
    if (kind === 'sqlite') {
      const users = await store.db
        .selectFrom('users')
        .select(['user_name', 'external_id'])
        .where('source', '=', 'directory')
        .limit(SIGNINS)
        .execute();
      const times: number[] = [];
      for (const u of users) {
        const start = performance.now();
        const r = await verifyDirectoryPassword(ctx, u, `pw-${u.user_name}`, ENV);
        times.push(performance.now() - start);
        if (r.kind !== 'ok') throw new Error(`sign-in of ${u.user_name}: ${r.kind}`);
      }
      const p99 = percentile(times, 99);
      report({
        name: 'directory: sign-in check (search + bind) p99',
        value: p99,
        unit: 'ms',
        target: '< 50 ms',
        met: p99 < 50,
        detail: { p50: percentile(times, 50), runs: times.length, load: os.loadavg()[0] },
      });
    }
  } finally {
    await ctx.memory.directoryConnections.close();
    await store.close();
    await temp.cleanup();
    removeStore = undefined;
  }
}

const t = performance.now();
const slapd = await startSlapd({ preload: directoryLdif() });
console.log(
  `slapd loaded (slapadd) with ${USERS} users and ${GROUPS} groups and started in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);
const budget = setTimeout(() => {
  console.error(`directory bench: over its budget of ${BUDGET_MS / 1000} s; stopping`);
  void Promise.allSettled([slapd.stop(), removeStore?.()]).finally(() => process.exit(1));
}, BUDGET_MS);
budget.unref();
try {
  await benchStore('sqlite', slapd, 0);
  await benchStore('postgres', slapd, 1);
} finally {
  clearTimeout(budget);
  await slapd.stop();
}
