/**
 * The return path after sign-in, judged by chromium: a person who opens `/signin?return=<hostile>`
 * (signed in already, or signing in on that page) ends on this server's origin, never on another
 * host, however the path hides its way out (dot segments, backslashes, encoded slashes, tabs),
 * at the root and under a path prefix. The "other host" is a listener on another loopback port
 * that records every request it gets.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { seedOrg } from '../helpers/seed.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'return-test-password-1';

/** Return values that leave for `evil` (host:port) once a browser resolves them without a check. */
function hostileReturns(evil: string, prefix: string): string[] {
  return [
    `/.//${evil}/x`,
    `/./\\${evil}/x`,
    `/%2F%2F${evil}/x`,
    `/%5C${evil}/x`,
    `/%5C%5C${evil}/x`,
    `/a/../..//${evil}/x`,
    `/%2e%2e//${evil}/x`,
    `/.%2E//${evil}/x`,
    `/\t/${evil}/x`,
    `/\n/${evil}/x`,
    `//${evil}/x`,
    `http://${evil}/x`,
    `${prefix}/..//${evil}/x`,
    `${prefix}/.//${evil}/x`,
    `${prefix}//${evil}/x`,
  ];
}

interface Site {
  server: TestServer;
  origin: string;
  prefix: string;
}

async function startSite(prefix: string): Promise<Site> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const passwordHash = await hash(PASSWORD);
  const server = await startTestServer({
    settings: { port: String(port), publicUrl: `${origin}${prefix}` },
    seed: async (deps) => {
      await seedOrg(deps.ctx, { users: [{ userName: 'alice', passwordHash }] });
    },
  });
  return { server, origin, prefix };
}

async function fillSignin(page: Page): Promise<void> {
  await page.fill('#user_name', 'alice');
  await page.click('main button[type=submit]');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
}

describe('the return path after sign-in, in chromium', () => {
  let evil: http.Server;
  let evilHost: string;
  const evilHits: string[] = [];
  let browser: TestBrowser;
  const sites: Site[] = [];

  before(async () => {
    evil = http.createServer((req, res) => {
      evilHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>evil</h1>');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilHost = `127.0.0.1:${(evil.address() as AddressInfo).port}`;
    sites.push(await startSite(''), await startSite('/idc'));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    for (const s of sites) await s.server.stop();
    await new Promise((resolve) => evil.close(resolve));
  });

  for (const [i, label] of [
    [0, 'at the root'],
    [1, 'under the path prefix /idc'],
  ] as const) {
    it(`${label}: signing in with a hostile return, and opening one signed in, stays on this origin`, async () => {
      const { origin, prefix } = sites[i]!;
      const page = await browser.context.newPage();
      try {
        const bad = hostileReturns(evilHost, prefix);
        const signinUrl = (back: string) => `${origin}${prefix}/signin?return=${encodeURIComponent(back)}`;

        // Not signed in yet: the sign-in form carries the return path through the password step.
        await page.goto(signinUrl(bad[0]!));
        await fillSignin(page);
        assert.equal(new URL(page.url()).origin, origin, 'after signing in');
        assert.equal(new URL(page.url()).pathname, `${prefix}/start`);

        // Signed in: /signin redirects at once, with no click.
        // A return with a control character is refused at the boundary (a 400 page, as for any
        // text input); every other one falls back to the start page.
        for (const back of bad) {
          const response = await page.goto(signinUrl(back));
          const label = JSON.stringify(back);
          assert.equal(new URL(page.url()).origin, origin, label);
          if (/[\t\n]/.test(back)) {
            assert.equal(response?.status(), 400, label);
            assert.equal(new URL(page.url()).pathname, `${prefix}/signin`, label);
          } else {
            assert.equal(new URL(page.url()).pathname, `${prefix}/start`, label);
          }
        }
        // The same, typed into the address bar without encoding (the browser encodes what it must).
        await page.goto(`${origin}${prefix}/signin?return=/.//${evilHost}/x`);
        assert.equal(new URL(page.url()).origin, origin);

        // A good return path still works.
        await page.goto(signinUrl('/profile'));
        assert.equal(page.url(), `${origin}${prefix}/profile`);
        assert.deepEqual(evilHits, [], 'the other host was never contacted');
      } finally {
        await page.close();
      }
    });
  }
});
