/**
 * The limits of the device flow and of client registration hold under racing requests, on
 * SQLite and on PostgreSQL with two replicas behind one store: a burst of parallel calls from
 * @aws-sdk/client-sso-oidc passes none of them.
 *
 * - at most 20 device authorizations waiting for a person per client registration,
 * - 60 StartDeviceAuthorization per registration in 10 minutes, 120 per source address a minute,
 * - 120 RegisterClient per source address a minute.
 *
 * Each limit was checked before it was counted, so every request of a burst saw room and went on.
 * (One SQLite server answers these calls one after another; the use cases' own races on SQLite
 * are shown in test/storage/device-limit-races.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { MAX_PENDING_DEVICE_GRANTS } from '../../src/app/auth/device.ts';
import { loadConfig } from '../../src/config/load.ts';
import {
  DEVICE_START_ADDRESS_BUDGET,
  DEVICE_START_CLIENT_BUDGET,
  REGISTRATION_BUDGET,
} from '../../src/domain/auth/lockout.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { createLogger, type RunningServer, startServer } from '../../src/http/server.ts';
import type { Registration } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

/** Requests in one burst: well over every limit's remainder. */
const BURST = 40;

for (const kind of STORE_KINDS) {
  const replicas = kind === 'postgres' ? 'two replicas' : 'one server';
  describe(`limits under racing requests (${kind}, ${replicas})`, () => {
    let a: TestServer;
    let b: RunningServer | null = null;
    const clock = new ManualClock(Date.now());
    /** Base URLs the burst is spread over. */
    let urls: string[] = [];
    /** Each replica's own start URL (its public URL names its port). */
    let startUrls: string[] = [];
    let clients: SSOOIDCClient[] = [];

    before(async () => {
      a = await startTestServer({ store: kind, clock });
      urls = [a.url];
      startUrls = [a.config.startUrl];
      if (kind === 'postgres') {
        const config = loadConfig(
          {
            host: '127.0.0.1',
            port: '0',
            dataDir: a.config.dataDir,
            databaseUrl: a.config.databaseUrl,
            logLevel: 'silent',
          },
          {},
        );
        b = await startServer(config, { logger: createLogger('silent'), clock });
        urls.push(b.url);
        startUrls.push(b.config.startUrl);
      }
      clients = urls.map((endpoint) => new SSOOIDCClient({ region: 'us-east-1', endpoint, maxAttempts: 1 }));
    });
    after(async () => {
      for (const c of clients) c.destroy();
      await b?.close();
      await a?.stop();
    });

    const db = () => a.deps.ctx.store.db;
    const register = async (i = 0): Promise<Registration> => {
      const r = await (clients[i % clients.length] as SSOOIDCClient).send(
        new RegisterClientCommand({ clientName: 'race-test', clientType: 'public' }),
      );
      return { clientId: r.clientId ?? '', clientSecret: r.clientSecret ?? '' };
    };
    /** StartDeviceAuthorization on replica `i % n`: 'ok', or the error's name. */
    const start = async (reg: Registration, i = 0): Promise<string> => {
      try {
        await (clients[i % clients.length] as SSOOIDCClient).send(
          new StartDeviceAuthorizationCommand({
            ...reg,
            startUrl: startUrls[i % startUrls.length] as string,
          }),
        );
        return 'ok';
      } catch (err) {
        return err instanceof SlowDownException ? 'SlowDownException' : String(err);
      }
    };
    const burst = <T>(run: (i: number) => Promise<T>) =>
      Promise.all(Array.from({ length: BURST }, (_, i) => run(i)));
    const tally = (answers: string[]) => {
      const counts: Record<string, number> = {};
      for (const x of answers) counts[x] = (counts[x] ?? 0) + 1;
      return counts;
    };
    const pending = async (reg: Registration) =>
      (
        await db()
          .selectFrom('device_grants')
          .select('id')
          .where('client_id', '=', reg.clientId)
          .where('status', '=', 'pending')
          .execute()
      ).length;
    /** As if a person had answered every pending one (denied: nothing to redeem). */
    const answerAll = (reg: Registration) =>
      db()
        .updateTable('device_grants')
        .set({ status: 'denied' })
        .where('client_id', '=', reg.clientId)
        .where('status', '=', 'pending')
        .execute();
    /** A fresh window for every budget keyed by time. */
    const nextWindow = () => clock.advance(DEVICE_START_CLIENT_BUDGET.windowMs + 1);

    it(`${BURST} parallel starts by one client leave ${MAX_PENDING_DEVICE_GRANTS} waiting, no more`, async () => {
      nextWindow();
      const reg = await register();
      const answers = await burst((i) => start(reg, i));
      assert.deepEqual(tally(answers), {
        ok: MAX_PENDING_DEVICE_GRANTS,
        SlowDownException: BURST - MAX_PENDING_DEVICE_GRANTS,
      });
      assert.equal(await pending(reg), MAX_PENDING_DEVICE_GRANTS);
    });

    it(`a burst at the end of a client's ${DEVICE_START_CLIENT_BUDGET.maxFailures}-start window gets one start`, async () => {
      nextWindow();
      const reg = await register();
      for (let i = 0; i < DEVICE_START_CLIENT_BUDGET.maxFailures - 1; i++) {
        if (i % MAX_PENDING_DEVICE_GRANTS === 0) await answerAll(reg);
        assert.equal(await start(reg, i), 'ok', `start ${i + 1}`);
      }
      await answerAll(reg);
      const answers = await burst((i) => start(reg, i));
      assert.deepEqual(tally(answers), { ok: 1, SlowDownException: BURST - 1 });
      assert.equal(await pending(reg), 1);
    });

    it(`a burst at the end of an address's ${DEVICE_START_ADDRESS_BUDGET.maxFailures}-start minute gets one start`, async () => {
      nextWindow();
      const regs: Registration[] = [];
      for (let i = 0; i < 8; i++) regs.push(await register(i));
      const per = MAX_PENDING_DEVICE_GRANTS;
      for (let i = 0; i < DEVICE_START_ADDRESS_BUDGET.maxFailures - 1; i++) {
        assert.equal(await start(regs[Math.floor(i / per)] as Registration, i), 'ok', `start ${i + 1}`);
      }
      const fresh = regs.at(-1) as Registration;
      const answers = await burst((i) => start(fresh, i));
      assert.deepEqual(tally(answers), { ok: 1, SlowDownException: BURST - 1 });
      assert.equal(await pending(fresh), 1);
    });

    it(`a burst at the end of an address's ${REGISTRATION_BUDGET.maxFailures}-registration minute gets one client`, async () => {
      nextWindow();
      const before = (await db().selectFrom('oidc_clients').select('id').execute()).length;
      for (let i = 0; i < REGISTRATION_BUDGET.maxFailures - 1; i++) await register(i);
      const answers = await burst(async (i) => {
        try {
          await register(i);
          return 'ok';
        } catch (err) {
          return (err as Error).name;
        }
      });
      assert.deepEqual(tally(answers), { ok: 1, SlowDownException: BURST - 1 });
      const after = (await db().selectFrom('oidc_clients').select('id').execute()).length;
      assert.equal(after - before, REGISTRATION_BUDGET.maxFailures);
    });
  });
}
