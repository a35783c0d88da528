/**
 * The directory sync at scale, from a slapd started here: 50,000 users and 2,000 groups (25
 * members each, every tenth group nested in the next), synced into an empty store (full), then
 * synced again with nothing changed (incremental), on SQLite and PostgreSQL; then the sign-in
 * check of directory users (a search on the pooled service-account connection, then a bind on a
 * connection of its own) run 300 times.
 * Targets: full sync < 60 s, incremental with no changes < 2 s, sign-in p99 < 50 ms.
 */
import os from 'node:os';
import { applyOrg } from '../src/app/apply/index.ts';
import { createAppContext } from '../src/app/context.ts';
import { verifyDirectoryPassword } from '../src/app/directory/signin.ts';
import { syncDirectory } from '../src/app/directory/sync.ts';
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
const ENV = { IDCENTER_BENCH_LDAP_PASSWORD: SERVICE_PASSWORD };

/** Users with plain userPassword values: the bench measures this side, not the directory's hashing. */
function fill(slapd: Slapd): void {
  const chunk: string[] = [];
  const flush = () => {
    if (chunk.length > 0) slapd.add(chunk.join(''));
    chunk.length = 0;
  };
  for (let i = 0; i < USERS; i++) {
    const uid = `user${i}`;
    chunk.push(
      `dn: ${userDn(uid)}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: User ${i}\nsn: ${i}\ngivenName: User\ndisplayName: User ${i}\nmail: ${uid}@idc.test\nuserPassword: pw-${uid}\n\n`,
    );
    if (chunk.length === 5000) flush();
  }
  flush();
  for (let g = GROUPS - 1; g >= 0; g--) {
    const members = Array.from(
      { length: MEMBERS },
      (_, k) => `member: ${userDn(`user${(g * MEMBERS + k) % USERS}`)}`,
    );
    if (g % 10 === 0 && g + 1 < GROUPS) members.push(`member: ${groupDn(`group${g + 1}`)}`);
    chunk.push(
      `dn: ${groupDn(`group${g}`)}\nobjectClass: groupOfNames\ncn: group${g}\n${members.join('\n')}\n\n`,
    );
    if (chunk.length === 500) flush();
  }
  flush();
}

function orgText(slapd: Slapd): string {
  return `identitySource:
  type: ldap
  urls: ["${slapd.ldapsUrl}"]
  caFile: ${slapd.caFile}
  bindDn: "${SERVICE_DN}"
  bindPasswordEnv: IDCENTER_BENCH_LDAP_PASSWORD
  users: { baseDn: "ou=people,${BASE_DN}" }
  groups: { baseDn: "ou=groups,${BASE_DN}" }
  timeout: 60s
`;
}

async function benchStore(kind: 'sqlite' | 'postgres', slapd: Slapd): Promise<void> {
  const temp = await tempStoreUrl(kind);
  const store = await openStore(temp.url);
  const ctx = createAppContext(store);
  try {
    const parsed = parseOrgFile(orgText(slapd));
    if (!parsed.ok) throw new Error(parsed.problems[0]?.message);
    await applyOrg(ctx, parsed.org, {});
    let t = performance.now();
    const full = await syncDirectory(ctx, { full: true, env: ENV });
    const fullSeconds = (performance.now() - t) / 1000;
    if (full.created.length !== USERS || full.groupsCreated.length !== GROUPS) {
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
  }
}

const slapd = await startSlapd();
try {
  const t = performance.now();
  fill(slapd);
  console.log(
    `slapd filled with ${USERS} users and ${GROUPS} groups in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  await benchStore('sqlite', slapd);
  await benchStore('postgres', slapd);
} finally {
  await slapd.stop();
}
