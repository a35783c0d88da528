/**
 * The password queue's known lane, judged by chromium: the browser keeps the device cookie a
 * sign-in sets (HttpOnly, SameSite=Strict) and sends it with its next sign-in, which then gets
 * through while anonymous sign-ins fill the queue, where the same sign-in without the cookie is
 * answered busy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { csrfOf, FormClient, seedUser } from '../helpers/oidc.ts';
import { heldPasswordQueue } from '../helpers/password-queue.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'known-device-password-1';

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/signin`);
  await page.fill('#user_name', 'alice');
  await page.click('main button[type=submit]');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
}

describe('the known lane of the password queue, in chromium', () => {
  let server: TestServer;
  let browser: TestBrowser;
  // The anonymous guesses wait while the queue is held; alice's checks never do.
  const held = heldPasswordQueue((password) => password === 'guess');
  const { queue } = held;

  before(async () => {
    server = await startTestServer({
      passwordQueue: queue,
      seed: async (deps) => {
        await seedUser(deps, { userName: 'alice', password: PASSWORD });
      },
    });
    browser = await launchBrowser();
  });
  after(async () => {
    held.release();
    await browser?.close();
    await server?.stop();
  });

  it('a browser where alice signed in gets through a queue full of anonymous sign-ins', async () => {
    const port = new URL(server.url).port;
    const page = await browser.context.newPage();
    try {
      await signIn(page, server.url);
      assert.equal(new URL(page.url()).pathname, '/start');
      const device = (await browser.context.cookies()).find((c) => c.name === `idc_device_${port}`);
      assert.ok(device, 'chromium keeps the device cookie');
      assert.equal(device.httpOnly, true);
      assert.equal(device.sameSite, 'Strict');
      // Signed out (the session cookie gone), the device cookie stays.
      await browser.context.clearCookies({ name: `idc_session_${port}` });

      // Two anonymous sign-ins fill the anonymous lane (one checking, one waiting).
      held.hold();
      const anonymous = await Promise.all(
        [1, 2].map(async () => {
          const web = new FormClient(server.url);
          return { web, csrf: csrfOf((await web.get('/signin')).text) };
        }),
      );
      const flood = anonymous.map(({ web, csrf }, i) =>
        web.post('/signin', { _csrf: csrf, step: 'password', user_name: `ghost-${i}`, password: 'guess' }),
      );
      await held.filled(2);
      assert.equal(queue.size, 2);

      // Without the cookie (another browser profile's state), alice is answered busy.
      const bare = new FormClient(server.url);
      const bareCsrf = csrfOf((await bare.get('/signin')).text);
      const busy = await bare.post('/signin', {
        _csrf: bareCsrf,
        step: 'password',
        user_name: 'alice',
        password: PASSWORD,
      });
      assert.equal(busy.status, 503);

      // Chromium, with its cookie, signs alice in while the anonymous ones still wait.
      await signIn(page, server.url);
      assert.equal(new URL(page.url()).pathname, '/start', 'signed in through the known lane');
      held.release();
      assert.deepEqual(
        (await Promise.all(flood)).map((r) => r.status),
        [401, 401],
      );
    } finally {
      held.release();
      await page.close();
    }
  });
});
