/**
 * The access portal for a person with 5,000 accounts, measured in Debian chromium with the
 * Performance API: first contentful paint of /start, when the account list is painted, and the
 * time from a keystroke in the search box to the filtered list being painted.
 * Targets (issue 5): first paint under 300 ms, filtered result under 50 ms. Each load opens a new
 * tab, as a person opening the portal does, so beside the first paint stands the floor of that
 * (`floor-page.ts`): the renderer process chromium starts for the page.
 */

import { signIn } from '../test/e2e/portal-fixtures.ts';
import { launchBrowser } from '../test/helpers/browser.ts';
import { accountIds, seedOrg } from '../test/helpers/seed.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { firstContentfulPaint, startFloorPage } from './floor-page.ts';
import { percentile, report } from './report.ts';

const ACCOUNTS = 5000;
const LOADS = 7;
const NAMES = [
  'Production',
  'Staging',
  'Development',
  'Sandbox',
  'Security',
  'Log archive',
  'Shared services',
];
const TEAMS = ['payments', 'search', 'identity', 'billing', 'mobile', 'data', 'platform', 'ml', 'web', 'ops'];

const median = (xs: number[]) => percentile(xs, 50);

async function main(): Promise<void> {
  const ids = accountIds(ACCOUNTS, 300_000_000_000);
  let userId = '';
  const server = await startTestServer({
    settings: { logLevel: 'warn' },
    seed: async (deps) => {
      const org = await seedOrg(deps.ctx, {
        users: [{ userName: 'alice', displayName: 'Alice Doe', groups: ['Engineers'] }],
        groups: [{ name: 'Engineers' }],
        accounts: ids.map((id, i) => ({
          id,
          name: `${TEAMS[i % TEAMS.length]}-${NAMES[i % NAMES.length]}-${i}`,
          email: `aws+${TEAMS[i % TEAMS.length]}-${i}@example.com`,
        })),
        permissionSets: [
          { name: 'ReadOnly', sessionHours: 4 },
          { name: 'PowerUser' },
          { name: 'AdministratorAccess' },
        ],
        assignments: [
          { group: 'Engineers', permissionSet: 'ReadOnly', accounts: ids },
          { group: 'Engineers', permissionSet: 'PowerUser', accounts: ids.filter((_, i) => i % 2 === 0) },
          {
            user: 'alice',
            permissionSet: 'AdministratorAccess',
            accounts: ids.filter((_, i) => i % 10 === 0),
          },
        ],
      });
      userId = org.users.alice ?? '';
    },
  });
  const browser = await launchBrowser();
  try {
    const who = await signIn(server.deps, userId);
    await browser.context.addCookies([{ name: who.cookieName, value: who.token, url: server.url }]);

    // Server side: the one JSON document with every account and role.
    const jsonTimes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/start/access.json`, { headers: { cookie: who.cookie } });
      bytes = (await res.arrayBuffer()).byteLength;
      jsonTimes.push(performance.now() - t0);
    }

    const fcp: number[] = [];
    const floor: number[] = [];
    const floorPage = await startFloorPage();
    const listPainted: number[] = [];
    let filterTimes: number[] = [];
    // The first load fills the (immutable) static-asset cache, as a returning visitor has it.
    for (let run = 0; run <= LOADS; run++) {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/start`);
      await page.waitForFunction(
        () => performance.getEntriesByName('idcenter:accounts-painted').length > 0,
        null,
        {
          timeout: 30_000,
        },
      );
      const t = await page.evaluate(() => ({
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
        painted: performance.getEntriesByName('idcenter:accounts-painted')[0]?.startTime ?? Number.NaN,
      }));
      if (run > 0) {
        fcp.push(t.fcp);
        listPainted.push(t.painted);
      }
      if (run === LOADS) filterTimes = await measureFiltering(page);
      await page.close();
      // The floor, in a new tab too, right after each load.
      const bare = await browser.context.newPage();
      await bare.goto(floorPage.url);
      const f = await firstContentfulPaint(bare);
      if (run > 0) floor.push(f);
      await bare.close();
    }
    floorPage.close();

    report({
      name: `portal: GET /start/access.json, ${ACCOUNTS} accounts (median)`,
      value: median(jsonTimes),
      unit: 'ms',
      detail: { bytes, p95: percentile(jsonTimes, 95) },
    });
    const fcpMedian = median(fcp);
    report({
      name: `portal: first contentful paint, ${ACCOUNTS} accounts (median)`,
      value: fcpMedian,
      unit: 'ms',
      target: '< 300 ms',
      met: fcpMedian < 300,
      detail: { samples: fcp },
    });
    report({
      name: 'the floor of a new tab: one line, the same security headers, bare node:http (median)',
      value: median(floor),
      unit: 'ms',
      detail: { samples: floor },
    });
    report({
      name: `portal: account list painted, ${ACCOUNTS} accounts (median)`,
      value: median(listPainted),
      unit: 'ms',
      detail: { samples: listPainted },
    });
    const p95 = percentile(filterTimes, 95);
    report({
      name: `portal: keystroke to filtered list painted (p95 of ${filterTimes.length})`,
      value: p95,
      unit: 'ms',
      target: '< 50 ms',
      met: p95 < 50,
      detail: { median: median(filterTimes), max: Math.max(...filterTimes) },
    });
  } finally {
    await browser.close();
    await server.stop();
  }
}

/**
 * Type queries into the search box key by key; for each keystroke, the time from its keydown
 * to the first task after the frame that paints the filtered list.
 */
async function measureFiltering(page: import('playwright-core').Page): Promise<number[]> {
  await page.evaluate(() => {
    const input = document.getElementById('account-filter') as HTMLInputElement;
    const w = window as unknown as { __times: number[]; __down: number };
    w.__times = [];
    input.addEventListener('keydown', (e) => {
      w.__down = e.timeStamp;
    });
    w.__down = -1;
    input.addEventListener('input', () => {
      // Only keystrokes count (clearing the box between queries has no keydown).
      if (w.__down < 0) return;
      const t0 = w.__down;
      w.__down = -1;
      requestAnimationFrame(() => setTimeout(() => w.__times.push(performance.now() - t0), 0));
    });
  });
  const input = page.locator('#account-filter');
  for (const q of ['payments-prod', '300000004', 'security-42', 'zzz-no-match', 'ml']) {
    await input.fill('');
    await input.focus();
    for (const ch of q) {
      await page.keyboard.type(ch);
      await page.waitForTimeout(30);
    }
  }
  await page.waitForTimeout(100);
  return page.evaluate(() => (window as unknown as { __times: number[] }).__times);
}

await main();
