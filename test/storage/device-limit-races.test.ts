/**
 * The device flow's and client registration's limits hold when their use cases race, on SQLite
 * and PostgreSQL: a burst of parallel calls (each call's store reads and writes interleaved with
 * the others') passes none of them. Every limit was checked first and counted after, so each
 * call of a burst saw room. And two starts that draw the same user code at once store it once.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OidcClient } from '../../src/app/auth/client-cache.ts';
import { registerClient } from '../../src/app/auth/clients.ts';
import {
  checkUserCode,
  MAX_PENDING_DEVICE_GRANTS,
  startDeviceAuthorization,
} from '../../src/app/auth/device.ts';
import type { AppContext } from '../../src/app/context.ts';
import { createAppContext } from '../../src/app/context.ts';
import {
  DEVICE_START_CLIENT_BUDGET,
  REGISTRATION_BUDGET,
  USER_CODE_BUDGET,
} from '../../src/domain/auth/lockout.ts';
import { formatUserCode, USER_CODE_LENGTH } from '../../src/domain/auth/user-code.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { ManualClock, type Random, systemRandom } from '../../src/domain/runtime.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const BURST = 40;

/** 'ok', or the DomainError code a call was refused with. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
}

function tally(answers: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const x of answers) counts[x] = (counts[x] ?? 0) + 1;
  return counts;
}

for (const kind of STORE_KINDS) {
  describe(`device flow and registration limits under racing calls (${kind})`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    let ctx: AppContext;
    const clock = new ManualClock(Date.UTC(2030, 0, 1));

    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url, { poolSize: 8 });
      ctx = createAppContext(store, { clock });
    });
    after(async () => {
      await store?.close();
      await temp?.cleanup();
    });

    /** A fresh window for every budget. */
    const nextWindow = () => clock.advance(DEVICE_START_CLIENT_BUDGET.windowMs + 1);
    let address = 0;
    const register = async (sourceIp = `192.0.2.${++address}`): Promise<OidcClient> =>
      (await registerClient(ctx, { clientName: 'race', clientType: 'public' }, () => true, { sourceIp }))
        .client;
    const burst = (run: (i: number) => Promise<unknown>) =>
      Promise.all(Array.from({ length: BURST }, (_, i) => outcome(run(i))));
    const pending = async (client: OidcClient) =>
      (
        await store.db
          .selectFrom('device_grants')
          .select('id')
          .where('client_id', '=', client.id)
          .where('status', '=', 'pending')
          .execute()
      ).length;

    it(`a burst of starts leaves ${MAX_PENDING_DEVICE_GRANTS} waiting per client, no more`, async () => {
      nextWindow();
      const client = await register();
      const answers = await burst((i) =>
        startDeviceAuthorization(ctx, client, { sourceIp: `198.51.100.${i}` }),
      );
      assert.deepEqual(tally(answers), {
        ok: MAX_PENDING_DEVICE_GRANTS,
        throttled: BURST - MAX_PENDING_DEVICE_GRANTS,
      });
      assert.equal(await pending(client), MAX_PENDING_DEVICE_GRANTS);
    });

    it(`a burst at the end of a client's ${DEVICE_START_CLIENT_BUDGET.maxFailures}-start window gets one start`, async () => {
      nextWindow();
      const client = await register();
      for (let i = 0; i < DEVICE_START_CLIENT_BUDGET.maxFailures - 1; i++) {
        await startDeviceAuthorization(ctx, client, { sourceIp: `198.51.100.${i}` });
        await store.db
          .updateTable('device_grants')
          .set({ status: 'denied' })
          .where('client_id', '=', client.id)
          .execute();
      }
      const answers = await burst((i) =>
        startDeviceAuthorization(ctx, client, { sourceIp: `203.0.113.${i}` }),
      );
      assert.deepEqual(tally(answers), { ok: 1, throttled: BURST - 1 });
      assert.equal(await pending(client), 1);
    });

    it(`a burst at the end of an address's ${REGISTRATION_BUDGET.maxFailures}-registration minute registers one client`, async () => {
      nextWindow();
      const ip = '192.0.2.250';
      for (let i = 0; i < REGISTRATION_BUDGET.maxFailures - 1; i++) await register(ip);
      const answers = await burst(() => register(ip));
      assert.deepEqual(tally(answers), { ok: 1, throttled: BURST - 1 });
    });

    it(`a burst of wrong user codes is looked up ${USER_CODE_BUDGET.maxFailures} times, no more`, async () => {
      nextWindow();
      const answers = await Promise.all(
        Array.from(
          { length: BURST },
          async () => (await checkUserCode(ctx, 'user-race', 'BCDF-GHJK', {})).kind,
        ),
      );
      assert.deepEqual(tally(answers), {
        invalid: USER_CODE_BUDGET.maxFailures - 1,
        blocked: BURST - USER_CODE_BUDGET.maxFailures + 1,
      });
      const misses = await store.db
        .selectFrom('audit_events')
        .select('action')
        .where('target_id', '=', 'user-race')
        .execute();
      assert.equal(misses.length, USER_CODE_BUDGET.maxFailures, 'each code looked up and missed is audited');
    });

    it('two starts that draw the same user code at once store it for one of them only', async () => {
      nextWindow();
      const client = await register();
      // The first two user-code draws give the same code; every other draw is random.
      const same = Buffer.alloc(USER_CODE_LENGTH * 2, 0);
      let sameDraws = 2;
      const clashing: Random = {
        bytes: (n) =>
          n === USER_CODE_LENGTH * 2 && sameDraws-- > 0 ? Buffer.from(same) : systemRandom.bytes(n),
        uuid: () => systemRandom.uuid(),
      };
      const clashCtx = { ...ctx, random: clashing };
      const [a, b] = await Promise.all([
        startDeviceAuthorization(clashCtx, client, {}),
        startDeviceAuthorization(clashCtx, client, {}),
      ]);
      assert.notEqual(a.userCode, b.userCode, 'each device authorization has a code of its own');
      assert.ok([a.userCode, b.userCode].includes(formatUserCode('B'.repeat(USER_CODE_LENGTH))));
      const rows = await store.db
        .selectFrom('device_grants')
        .select('user_code')
        .where('client_id', '=', client.id)
        .execute();
      assert.equal(new Set(rows.map((r) => r.user_code)).size, 2);
    });
  });
}
