/**
 * Password sign-in under attack, on SQLite and PostgreSQL: a locked user gets the very answer an
 * unknown user or a wrong password gets; a burst of parallel guesses after 29 failures checks one
 * password; wrong passwords racing with successful sign-ins never fail and are all counted; one
 * source address (the forwarded one, behind a trusted proxy; an IPv6 /64) fails at most 30
 * sign-ins a minute; a full password queue answers at once without checking anything, except to
 * a browser where the same user signed in before (its device mark), which gets a place of its own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PasswordQueue } from '../../src/app/auth/password-queue.ts';
import { countFailure, readThrottle, throttleKey } from '../../src/app/auth/throttles.ts';
import { PASSWORD_LOCKOUT } from '../../src/domain/auth/lockout.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { auditRows, csrfOf, eventCount, FormClient, fetchThrough, seedUser } from '../helpers/oidc.ts';
import { heldPasswordQueue } from '../helpers/password-queue.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const PASSWORD = 'Tr0ub4dor&3-long-enough';

for (const kind of STORE_KINDS) {
  describe(`password sign-in limits (${kind})`, () => {
    let server: TestServer;
    const clock = new ManualClock(Date.now());
    const ids: Record<string, string> = {};

    before(async () => {
      server = await startTestServer({
        store: kind,
        clock,
        settings: { trustProxy: 'true' },
        seed: async (deps) => {
          for (const name of ['erin', 'gwen', 'ivan', 'judy', 'kate']) {
            ids[name] = await seedUser(deps, { userName: name, password: PASSWORD });
          }
        },
      });
    });
    after(async () => {
      await server?.stop();
      const errors = (server?.logs ?? []).filter((l) => JSON.parse(l).level >= 50);
      assert.deepEqual(errors, [], 'no request caused a server error');
    });

    /** A browser at `address` (as forwarded by the trusted proxy) on the password step. */
    const browser = async (address: string, at: TestServer = server) => {
      const web = new FormClient(at.url);
      const csrf = csrfOf((await web.get('/signin', { 'x-forwarded-for': address })).text);
      return {
        web,
        csrf,
        post: (userName: string, password: string) =>
          web.post(
            '/signin',
            { _csrf: csrf, step: 'password', user_name: userName, password },
            { 'x-forwarded-for': address },
          ),
      };
    };
    const lock = async (userId: string, failures: number) => {
      for (let i = 0; i < failures; i++) {
        await countFailure(server.deps.ctx, throttleKey.password(userId), PASSWORD_LOCKOUT);
      }
    };
    /** Audit events of `action` on a user, repeats counted (after ending the minute they are in). */
    const events = async (action: string, userId: string, reason?: string) => {
      clock.advance(60_000);
      await server.deps.ctx.memory.failures.settle();
      const rows = (await auditRows(server.deps, action)).filter(
        (r) =>
          r.target_id === userId && (reason === undefined || JSON.parse(r.detail ?? '{}').reason === reason),
      );
      return eventCount(rows);
    };

    it('a locked user, an unknown user and a wrong password get the same answer', async () => {
      await lock(ids.erin!, 30);
      const { post, csrf } = await browser('198.51.100.10');
      // Same-length names, so the pages differ in nothing but the name they echo.
      const answer = async (userName: string, password: string) => {
        const res = await post(userName, password);
        const headers: Record<string, string> = {};
        res.headers.forEach((value, name) => {
          if (!['date', 'x-request-id'].includes(name)) headers[name] = value;
        });
        return {
          status: res.status,
          headers,
          body: res.text.replaceAll(userName, 'NAME').replaceAll(csrf, 'CSRF'),
        };
      };
      const locked = await answer('erin', PASSWORD);
      const unknown = await answer('hank', PASSWORD);
      const wrong = await answer('gwen', 'not-the-password');
      assert.equal(locked.status, 401);
      assert.match(locked.body, /The user name or password is incorrect/);
      assert.deepEqual(unknown, locked);
      assert.deepEqual(wrong, locked);
      // The audit log still tells them apart.
      assert.equal(await events('signin.locked', ids.erin!), 1);
      assert.equal(await events('signin.failure', ids.gwen!, 'bad_password'), 1);
    });

    it('a burst of guesses after 29 failures checks one password; the right one in it does not sign in', async () => {
      await lock(ids.ivan!, 29);
      // From twelve addresses: one address holds at most two places in the password queue.
      const browsers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => browser(`198.51.100.${100 + i}`)),
      );
      const post = (i: number, userName: string, password: string) => browsers[i]!.post(userName, password);
      const wrong = Array.from({ length: 11 }, (_, i) => post(i, 'ivan', `wrong-${i}`));
      // The right password comes once the burst has locked the user (or after a while).
      for (let i = 0; i < 200; i++) {
        if (
          ((await readThrottle(server.deps.ctx.store.db, throttleKey.password(ids.ivan!)))?.lockedUntil ??
            0) > 0
        )
          break;
        await sleep(10);
      }
      const right = post(11, 'ivan', PASSWORD);
      const statuses = (await Promise.all([...wrong, right])).map((r) => r.status);
      assert.ok(!statuses.includes(303), `nobody signed in: ${statuses}`);
      const checked =
        (await events('signin.failure', ids.ivan!, 'bad_password')) +
        (await events('signin.success', ids.ivan!));
      assert.equal(checked, 1, 'one password was checked');
      assert.equal(await events('signin.locked', ids.ivan!), 11, 'the others were refused unchecked');
    });

    it('wrong passwords racing with successful sign-ins never fail and are all counted', async () => {
      // Each attempt of a round from its own address: one address holds at most two places in
      // the password queue, and this is about one user's counter, not an address's.
      const attackers = await Promise.all([0, 1, 3, 4, 6, 7].map((i) => browser(`198.51.100.${30 + i}`)));
      let wrongs = 0;
      for (let round = 0; round < 8; round++) {
        const owners = await Promise.all([browser('198.51.100.40'), browser('198.51.100.41')]);
        let a = 0;
        let o = 0;
        const attempts = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => {
          if (i === 2 || i === 5) return owners[o++]!.post('judy', PASSWORD).then((r) => ['right', r.status]);
          wrongs++;
          return attackers[a++]!.post('judy', `wrong-${round}-${i}`).then((r) => ['wrong', r.status]);
        });
        for (const [which, status] of await Promise.all(attempts)) {
          assert.equal(status, which === 'right' ? 303 : 401, `round ${round}: ${which} ${status}`);
        }
        clock.advance(61_000); // a fresh minute for the address
      }
      assert.equal(await events('signin.failure', ids.judy!, 'bad_password'), wrongs);
      const left = (await readThrottle(server.deps.ctx.store.db, throttleKey.password(ids.judy!)))?.failures;
      assert.ok((left ?? 0) <= 6, 'failures before the last success are forgiven');
    });

    it('one address fails 30 sign-ins a minute, then waits; another address and successes are not held up', async () => {
      const a = await browser('203.0.113.7');
      // Successes do not count.
      for (let i = 0; i < 5; i++)
        assert.equal((await (await browser('203.0.113.7')).post('kate', PASSWORD)).status, 303);
      for (let i = 1; i <= 30; i++) assert.equal((await a.post(`made-up-${i}`, 'guess')).status, 401);
      const held = await a.post('kate', PASSWORD);
      assert.equal(held.status, 429);
      assert.match(held.text, /Too many failed sign-ins from your network\. Try again in 1 minute\./);
      assert.equal(held.headers.get('retry-after'), '60');
      assert.equal((await (await browser('203.0.113.8')).post('kate', PASSWORD)).status, 303);
      clock.advance(60_000);
      assert.equal((await (await browser('203.0.113.7')).post('kate', PASSWORD)).status, 303);
      assert.ok((await auditRows(server.deps, 'signin.throttled')).length >= 1);

      // An IPv6 address counts as its /64.
      const v6 = await browser('2001:db8:5:6::1');
      for (let i = 1; i <= 30; i++) assert.equal((await v6.post(`made-up-${i}`, 'guess')).status, 401);
      assert.equal((await (await browser('2001:db8:5:6::2')).post('kate', PASSWORD)).status, 429);
      assert.equal((await (await browser('2001:db8:5:7::1')).post('kate', PASSWORD)).status, 303);
    });

    /** A server of its own, given `queue` where it is put together, with these users. */
    const startQueued = (queue: PasswordQueue, users: string[]) =>
      startTestServer({
        store: kind,
        clock,
        settings: { trustProxy: 'true' },
        passwordQueue: queue,
        seed: async (deps) => {
          for (const name of users) await seedUser(deps, { userName: name, password: PASSWORD });
        },
      });

    it('a browser where the user signed in before gets past a queue full of anonymous sign-ins', async () => {
      const held = heldPasswordQueue();
      const { queue, checked, release } = held;
      const small = await startQueued(queue, ['mona', 'nick']);
      const port = new URL(small.url).port;
      const deviceCookie = `idc_device_${port}`;
      try {
        // Mona signs in from her browser: it gets the device mark.
        const mona = await browser('198.51.100.60', small);
        const first = await mona.post('mona', PASSWORD);
        assert.equal(first.status, 303);
        const setCookie = first.headers.getSetCookie().find((c) => c.startsWith(`${deviceCookie}=`));
        assert.ok(setCookie, 'a device cookie is set on sign-in');
        assert.match(setCookie, /; HttpOnly/i);
        assert.match(setCookie, /; SameSite=Strict/i);
        assert.match(setCookie, /; Path=\//i);
        assert.match(setCookie, /; Max-Age=2592000/i, 'kept 30 days');
        const mark = mona.web.jar.get(deviceCookie)!;
        checked.length = 0;

        // A flood fills the anonymous lane: one check running, one waiting, the rest refused.
        held.hold();
        const flood = [1, 2].map(async (i) =>
          (await browser(`203.0.113.${i}`, small)).post(`ghost-${i}`, `guess-${i}`),
        );
        await held.filled(2, 1);
        assert.equal(queue.size, 2);
        const excess = await (await browser('203.0.113.3', small)).post('ghost-3', 'guess-3');
        assert.equal(excess.status, 503);
        assert.equal(excess.headers.get('retry-after'), '1');

        // The mark counts for Mona only, and only as issued.
        const other = await browser('198.51.100.61', small);
        other.web.jar.set(deviceCookie, mark);
        assert.equal((await other.post('nick', PASSWORD)).status, 503, "Mona's mark gives Nick no place");
        const forged = await browser('198.51.100.62', small);
        forged.web.jar.set(
          deviceCookie,
          `${mark.slice(0, 10)}${mark[10] === 'x' ? 'y' : 'x'}${mark.slice(11)}`,
        );
        assert.equal((await forged.post('mona', PASSWORD)).status, 503, 'a changed mark gives no place');

        // Mona, from her browser, gets a place and is checked before the anonymous one waiting.
        const again = mona.post('mona', PASSWORD);
        await held.filled(3);
        assert.equal(queue.size, 3);
        release();
        assert.equal((await again).status, 303);
        assert.deepEqual(
          (await Promise.all(flood)).map((r) => r.status),
          [401, 401],
        );
        assert.deepEqual(checked, ['guess-1', PASSWORD, 'guess-2']);
      } finally {
        release();
        await small.stop();
      }
    });

    it('over HTTPS the device cookie is __Host-, Secure, HttpOnly and SameSite=Strict', async () => {
      const tls = await startTestServer({
        store: kind,
        clock,
        settings: { tls: 'true' },
        seed: async (deps) => {
          await seedUser(deps, { userName: 'olga', password: PASSWORD });
        },
      });
      try {
        const web = new FormClient(tls.url, fetchThrough({ ca: fs.readFileSync(tls.tlsCaPath ?? '') }));
        const csrf = csrfOf((await web.get('/signin')).text);
        const res = await web.post('/signin', {
          _csrf: csrf,
          step: 'password',
          user_name: 'olga',
          password: PASSWORD,
        });
        assert.equal(res.status, 303);
        const set = res.headers.getSetCookie().find((c) => c.startsWith('__Host-idc_device='));
        assert.ok(set, 'the device cookie has the __Host- name');
        for (const flag of [/; Secure/i, /; HttpOnly/i, /; SameSite=Strict/i, /; Path=\/(;|$)/i]) {
          assert.match(set, flag);
        }
        assert.doesNotMatch(set, /; Domain=/i);
      } finally {
        await tls.stop();
      }
    });

    it('a full password queue answers at once, checking and counting nothing', async () => {
      const held = heldPasswordQueue();
      const { queue, checked, release } = held;
      held.hold();
      const small = await startQueued(queue, ['liam']);
      try {
        const first = (await browser('192.0.2.1', small)).post('liam', PASSWORD);
        const second = (await browser('192.0.2.2', small)).post('liam', 'wrong');
        await held.filled(2, 1);
        assert.equal(queue.size, 2);
        const busy = await (await browser('192.0.2.3', small)).post('liam', PASSWORD);
        assert.equal(busy.status, 503);
        assert.match(busy.text, /Too many sign-ins right now\. Try again in a moment\./);
        assert.equal(busy.headers.get('retry-after'), '1');
        assert.equal(checked.length, 1, 'one check running, one waiting, none for the refused sign-in');
        release();
        assert.equal((await first).status, 303);
        assert.equal((await second).status, 401);
        assert.equal(checked.length, 2);
        assert.equal(
          await readThrottle(small.deps.ctx.store.db, throttleKey.signinAddress('192.0.2.3')),
          null,
          'the refused sign-in counted nothing',
        );
        assert.equal(queue.size, 0);
        assert.ok(server.deps.ctx.memory.passwordQueue !== queue, 'the other server keeps its own queue');
      } finally {
        release();
        await small.stop();
      }
    });
  });
}
