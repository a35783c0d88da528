/**
 * Plain-HTTP cookies and the origin a session belongs to, over real HTTP on both stores. A
 * browser sends a plain-HTTP cookie to every port of a host and lets every port set one, so:
 * the cookie names carry the public URL's port, and a session made by server A (port X) is no
 * session at server B (port Y) on the same store, under either cookie name, complete or still
 * waiting for its second factor; sessions made before they recorded an origin count nowhere.
 * (On SQLite one server holds the file at a time, so A and B take turns; PostgreSQL runs both.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import { createSession } from '../../src/app/auth/sessions.ts';
import { sessionCookieName, sessionOrigin } from '../../src/web/session.ts';
import { FormClient } from '../helpers/oidc.ts';
import { seedOrg } from '../helpers/seed.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const PASSWORD = 'origin-test-password-1';

/** GET /start with exactly this Cookie header: 200 when it is a session there, else the redirect. */
async function startPage(origin: string, cookie: string): Promise<number> {
  const res = await fetch(`${origin}/start`, { redirect: 'manual', headers: { cookie } });
  await res.arrayBuffer();
  return res.status;
}

for (const kind of STORE_KINDS) {
  describe(`plain-HTTP session cookies and origins (${kind})`, () => {
    let store: TempStoreUrl;
    const ports: number[] = [];
    const running = new Map<number, TestServer>();
    let userId = '';

    /** Server on `port` over the shared store; on SQLite the other one stops first. */
    async function serverOn(port: number): Promise<TestServer> {
      const up = running.get(port);
      if (up) return up;
      if (kind === 'sqlite') {
        for (const [p, s] of running) {
          await s.stop();
          running.delete(p);
        }
      }
      const passwordHash = await hash(PASSWORD);
      const seeded = running.size === 0 && userId === '';
      const server = await startTestServer({
        reuse: store,
        settings: { port: String(port) },
        ...(seeded
          ? {
              seed: async (deps) => {
                userId = (await seedOrg(deps.ctx, { users: [{ userName: 'alice', passwordHash }] })).users
                  .alice!;
              },
            }
          : {}),
      });
      running.set(port, server);
      return server;
    }

    before(async () => {
      store = await tempStoreUrl(kind);
      ports.push(await freePort(), await freePort());
    });
    after(async () => {
      for (const s of running.values()) await s.stop();
      await store?.cleanup();
    });

    /** The attributes of the cookie `name` an answer sets, sorted, a Max-Age's number hidden. */
    const attributesOf = (res: { headers: Headers }, name: string) => {
      const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
      assert.ok(line, `${name} is set`);
      const [pair, ...attributes] = line.split('; ');
      assert.match(pair ?? '', /^[^=]+=[A-Za-z0-9_-]+$/, `${name} has a value`);
      return attributes.map((a) => a.replace(/^Max-Age=\d+$/, 'Max-Age=N')).sort();
    };

    it('the cookie names carry the port of the public URL', async () => {
      const [x, y] = ports as [number, number];
      const a = await serverOn(x);
      const web = new FormClient(`http://127.0.0.1:${x}`);
      const first = await web.get('/signin');
      assert.deepEqual(attributesOf(first, `idc_csrf_${x}`), ['HttpOnly', 'Path=/', 'SameSite=Lax']);
      const done = await web.signIn('alice', PASSWORD);
      assert.equal(done.status, 303);
      assert.deepEqual(attributesOf(done, `idc_session_${x}`), [
        'HttpOnly',
        'Max-Age=N',
        'Path=/',
        'SameSite=Lax',
      ]);
      assert.deepEqual(attributesOf(done, `idc_device_${x}`), [
        'HttpOnly',
        'Max-Age=N',
        'Path=/',
        'SameSite=Strict',
      ]);
      assert.deepEqual([...web.jar.keys()].sort(), [`idc_csrf_${x}`, `idc_device_${x}`, `idc_session_${x}`]);
      assert.equal(sessionCookieName(a.config), `idc_session_${x}`);
      assert.equal(sessionCookieName((await serverOn(y)).config), `idc_session_${y}`);
    });

    it('a session made at port X is refused at port Y, under any cookie name, and the other way round', async () => {
      const [x, y] = ports as [number, number];
      const originA = `http://127.0.0.1:${x}`;
      const originB = `http://127.0.0.1:${y}`;
      const a = await serverOn(x);
      assert.equal(sessionOrigin(a.config), originA);
      const nameA = sessionCookieName(a.config);
      const web = new FormClient(originA);
      assert.equal((await web.signIn('alice', PASSWORD)).status, 303);
      const token = web.jar.get(nameA)!;
      assert.ok(token);
      assert.equal(await startPage(originA, `${nameA}=${token}`), 200, 'A accepts its own session');

      const b = await serverOn(y);
      const nameB = sessionCookieName(b.config);
      for (const name of new Set([nameB, nameA, 'idc_session', `idc_session_${y}`])) {
        assert.equal(await startPage(originB, `${name}=${token}`), 303, `B refuses A's session as ${name}`);
      }
      const access = await fetch(`${originB}/start/access.json`, {
        headers: { cookie: `${nameB}=${token}` },
      });
      assert.equal(access.status, 401);
      await access.arrayBuffer();

      // A session made at B works at B and not at A: the refusal is about the origin.
      const webB = new FormClient(originB);
      assert.equal((await webB.signIn('alice', PASSWORD)).status, 303);
      const tokenB = webB.jar.get(nameB)!;
      assert.ok(tokenB);
      assert.equal(await startPage(originB, `${nameB}=${tokenB}`), 200);
      await serverOn(x);
      assert.equal(await startPage(originA, `${nameA}=${tokenB}`), 303, "A refuses B's session");
      assert.equal(await startPage(originA, `${nameA}=${token}`), 200, 'A still accepts its own');
    });

    it('a sign-in still owing its second factor is bound to its origin too', async () => {
      const [x, y] = ports as [number, number];
      const a = await serverOn(x);
      const pending = await a.deps.ctx.store.db.transaction().execute((trx) =>
        createSession(
          a.deps.ctx,
          {
            userId,
            origin: sessionOrigin(a.config),
            mfaDone: false,
            ttlMs: 600_000,
          },
          trx,
        ),
      );
      const mfaPage = (origin: string, name: string) =>
        fetch(`${origin}/signin/mfa`, {
          redirect: 'manual',
          headers: { cookie: `${name}=${pending.token}` },
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        });
      assert.equal(
        await mfaPage(`http://127.0.0.1:${x}`, sessionCookieName(a.config)),
        200,
        'A asks for the code',
      );
      const b = await serverOn(y);
      assert.equal(
        await mfaPage(`http://127.0.0.1:${y}`, sessionCookieName(b.config)),
        303,
        'B sends it back to sign-in',
      );
    });

    it('a session without a recorded origin (made before origins were kept) is refused', async () => {
      const [x] = ports as [number];
      const a = await serverOn(x);
      const web = new FormClient(`http://127.0.0.1:${x}`);
      assert.equal((await web.signIn('alice', PASSWORD)).status, 303);
      const name = sessionCookieName(a.config);
      const cookie = `${name}=${web.jar.get(name)}`;
      assert.equal(await startPage(`http://127.0.0.1:${x}`, cookie), 200);
      await a.deps.ctx.store.db.updateTable('portal_sessions').set({ origin: null }).execute();
      assert.equal(await startPage(`http://127.0.0.1:${x}`, cookie), 303);
    });
  });
}
