/**
 * The admin console on 50,000 users and 5,000 accounts (issue 20): for the users list, a
 * search, a search that matches nothing (every row looked at), a page deep in the list, an
 * account's "who can access" page, a user's page and its second page of what they reach, a
 * permission set's page and a group's page, the time to the first byte and to the whole HTML over
 * loopback (median and p95 of sequential requests); and the first contentful paint of
 * /admin/users in Debian chromium, reached from another console page through the console's menu
 * (target < 300 ms) and in a new tab beside a floor (see `main`). SQLite by default;
 * `IDCENTER_BENCH_STORE=postgres` (with `IDCENTER_TEST_DATABASE_URL`) measures PostgreSQL.
 */
import os from 'node:os';
import { sql } from 'kysely';
import { ConsoleClient, seedConsoleOrg } from '../test/e2e/admin-console-fixtures.ts';
import { launchBrowser } from '../test/helpers/browser.ts';
import { accountIds } from '../test/helpers/seed.ts';
import { startTestServer } from '../test/helpers/server.ts';
import type { StoreKind } from '../test/helpers/stores.ts';
import { firstContentfulPaint, startFloorPage } from './floor-page.ts';
import { percentile, report } from './report.ts';

const USERS = Number(process.env.IDCENTER_BENCH_CONSOLE_USERS ?? 50_000);
const ACCOUNTS = 5000;
const GROUPS = 500;
const REQUESTS = 40;
const LOADS = 7;
const STORE = (process.env.IDCENTER_BENCH_STORE ?? 'sqlite') as StoreKind;

const median = (xs: number[]) => percentile(xs, 50);

async function main(): Promise<void> {
  const ids = accountIds(ACCOUNTS, 400_000_000_000);
  const busy = ids[0] ?? '';
  let rootId = '';
  const t0 = performance.now();
  const server = await startTestServer({
    store: STORE,
    settings: { logLevel: 'warn' },
    seed: async (deps) => {
      const groups = Array.from({ length: GROUPS }, (_, g) => ({
        name: `group${String(g).padStart(3, '0')}`,
      }));
      const org = await seedConsoleOrg(deps, {
        users: Array.from({ length: USERS }, (_, i) => {
          const n = `user${String(i).padStart(5, '0')}`;
          return {
            userName: n,
            displayName: `Person ${i}`,
            email: `${n}@corp.example`,
            groups: [groups[i % GROUPS]?.name ?? ''],
          };
        }),
        groups,
        accounts: ids.map((id, i) => ({ id, name: `Account ${i}` })),
        permissionSets: Array.from({ length: 20 }, (_, p) => ({ name: `PermissionSet${p}` })),
        assignments: [
          // Each group reaches 100 accounts with one permission set; the busy account is reached
          // by 20 groups (2,000 people) and 20 users directly.
          ...groups.map((g, k) => ({
            group: g.name,
            permissionSet: `PermissionSet${k % 20}`,
            accounts: Array.from({ length: 100 }, (_, j) => ids[(k * 10 + j) % ACCOUNTS] ?? ''),
          })),
          ...Array.from({ length: 20 }, (_, u) => ({
            user: `user${String(u * 7).padStart(5, '0')}`,
            permissionSet: `PermissionSet${u % 20}`,
            accounts: [busy],
          })),
        ],
      });
      rootId = org.users.root ?? '';
    },
  });
  // As autovacuum would after so many inserts: the planner's statistics of the seeded tables.
  if (STORE === 'postgres') await sql`analyze`.execute(server.deps.ctx.store.db);
  const seeded = performance.now() - t0;
  const browser = await launchBrowser();
  try {
    const admin = await ConsoleClient.as(server.url, server.deps, rootId);
    console.log(`seeded ${USERS} users, ${ACCOUNTS} accounts on ${STORE} in ${(seeded / 1000).toFixed(1)} s`);

    const someone = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name_lower', '=', 'user00007')
      .executeTakeFirstOrThrow();
    const db = server.deps.ctx.store.db;
    const ps0 = (
      await db
        .selectFrom('permission_sets')
        .select('id')
        .where('name', '=', 'PermissionSet0')
        .executeTakeFirstOrThrow()
    ).id;
    const group0 = (
      await db
        .selectFrom('groups')
        .select('id')
        .where('display_name', '=', 'group000')
        .executeTakeFirstOrThrow()
    ).id;
    // The key of the 50th (account, permission set) user00007 reaches: where the second page starts.
    const reachKey = await (async () => {
      const page = await (await admin.get(`/admin/users/${someone.id}`)).text();
      const next = /rel="next" href="[^"]*[?&;]after=([^"&]+)"/.exec(page)?.[1];
      if (!next) throw new Error('the user page has no second page of what they reach');
      return decodeURIComponent(next);
    })();
    const pages: Array<[string, string]> = [
      ['users list, first page', '/admin/users'],
      ['users search "user4" (first 50 of 10,000)', '/admin/users?q=user4'],
      ['users search "person 4999" (display name)', '/admin/users?q=person%204999'],
      ['users search matching nobody', '/admin/users?q=nobody-at-all'],
      ['users list, a page deep in the list', '/admin/users?after=user45000'],
      ['users list, the page before one deep in the list', '/admin/users?before=user45000'],
      ['accounts list, first page', '/admin/accounts'],
      ['accounts search "account 4999" (name)', '/admin/accounts?q=account%204999'],
      ['account who-can-access (2,000 people)', `/admin/accounts/${busy}`],
      ['user detail with reach (100 accounts through a group)', `/admin/users/${someone.id}`],
      [
        'user detail, the second page of what they reach',
        `/admin/users/${someone.id}?after=${encodeURIComponent(reachKey)}`,
      ],
      ['permission set page (2,500 assignments), first page', `/admin/permission-sets/${ps0}`],
      ['group page (100 members), first page', `/admin/groups/${group0}`],
    ];
    for (const [label, path] of pages) {
      const ttfb: number[] = [];
      const full: number[] = [];
      let bytes = 0;
      for (let i = 0; i <= REQUESTS; i++) {
        const start = performance.now();
        const res = await admin.get(path);
        const headers = performance.now();
        const body = await res.text();
        const done = performance.now();
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        bytes = body.length;
        if (i === 0) continue; // a warm-up request
        ttfb.push(headers - start);
        full.push(done - start);
      }
      report({
        name: `admin console: ${label}, time to first byte (median)`,
        value: median(ttfb),
        unit: 'ms',
        detail: { p95: percentile(ttfb, 95), store: STORE, users: USERS },
      });
      report({
        name: `admin console: ${label}, whole HTML (median)`,
        value: median(full),
        unit: 'ms',
        detail: { p95: percentile(full, 95), bytes, store: STORE, users: USERS },
      });
    }

    const who = admin.who;
    if (!who) throw new Error('no session');
    await browser.context.addCookies([{ name: who.cookieName, value: who.token, url: server.url }]);
    // First contentful paint of /admin/users, as an administrator meets it: from another console
    // page, following the Users link of the console's menu (the target); and in a new tab, where
    // the page's Cross-Origin-Opener-Policy (same-origin) makes chromium start a renderer process
    // for it, beside the floor of that: a page of one line with the same security headers from a
    // bare node:http server, in a new tab of the same browser. The first load of each fills the
    // (immutable) static-asset cache, as a returning visitor has it.
    const inConsole: number[] = [];
    const newTab: number[] = [];
    const floor: number[] = [];
    const bare = await startFloorPage();
    try {
      for (let run = 0; run <= LOADS; run++) {
        const page = await browser.context.newPage();
        await page.goto(`${server.url}/admin/groups`);
        await page.waitForFunction(() => document.readyState === 'complete');
        await Promise.all([
          page.waitForURL(`${server.url}/admin/users`),
          page.click('nav.admin-nav a[href="/admin/users"]'),
        ]);
        const t = await firstContentfulPaint(page);
        if (run > 0) inConsole.push(t);
        await page.close();
      }
      for (let run = 0; run <= LOADS; run++) {
        for (const [url, into] of [
          [`${server.url}/admin/users`, newTab],
          [bare.url, floor],
        ] as const) {
          const page = await browser.context.newPage();
          await page.goto(url);
          const t = await firstContentfulPaint(page);
          if (run > 0) into.push(t);
          await page.close();
        }
      }
    } finally {
      bare.close();
    }
    const fcpMedian = median(inConsole);
    report({
      name: `admin console: first contentful paint of /admin/users, ${USERS} users, from the console's menu (median)`,
      value: fcpMedian,
      unit: 'ms',
      target: '< 300 ms',
      met: fcpMedian < 300,
      detail: { samples: inConsole, store: STORE, loadavg: os.loadavg() },
    });
    report({
      name: `admin console: first contentful paint of /admin/users, ${USERS} users, in a new tab (median)`,
      value: median(newTab),
      unit: 'ms',
      detail: { samples: newTab, store: STORE, loadavg: os.loadavg() },
    });
    report({
      name: 'the floor of a new tab: one line, the same security headers, bare node:http (median)',
      value: median(floor),
      unit: 'ms',
      detail: { samples: floor, loadavg: os.loadavg() },
    });
    console.log(
      `load average: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
