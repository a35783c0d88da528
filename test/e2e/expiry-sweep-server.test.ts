/**
 * A running server sweeps expired rows by itself every IDCENTER_SWEEP_INTERVAL (1 s here), on
 * SQLite and PostgreSQL: a device authorization a day past its expiry goes while a live one
 * stays, the server logs a line with the counts, and /metrics counts what went.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SWEEP_GRACE_MS } from '../../src/app/expiry-sweep.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { scrapeMetrics } from '../helpers/metrics.ts';
import { postJson, registerDeviceClient } from '../helpers/oidc.ts';
import { startTestServer, TEST_METRICS_TOKEN, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

/** Wait for `check` to hold, up to `ms` (the interval is 1 s; this bounds a hung test only). */
async function eventually(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(100);
  }
}

for (const kind of STORE_KINDS) {
  describe(`the server's expiry sweep (${kind})`, () => {
    let server: TestServer;
    const clock = new ManualClock(Date.now());

    before(async () => {
      server = await startTestServer({ store: kind, clock, settings: { sweepInterval: '1s' } });
    });
    after(async () => server?.stop());

    it('deletes on its interval what can never be used again, logs and counts it', async () => {
      const reg = await registerDeviceClient(server.url);
      const body = { ...reg, startUrl: server.config.startUrl };
      assert.equal((await postJson(server.url, '/device_authorization', body)).status, 200);
      clock.advance(SWEEP_GRACE_MS + 3_600_000);
      assert.equal((await postJson(server.url, '/device_authorization', body)).status, 200);
      const db = server.deps.ctx.store.db;
      const grants = () => db.selectFrom('device_grants').select('created_at').execute();

      const sweepLine = () =>
        server.logs.map((l) => JSON.parse(l)).find((l) => /^expiry sweep: deleted/.test(l.msg));
      // The line comes once the whole sweep is done.
      await eventually(async () => sweepLine() !== undefined);
      const [live, ...others] = await grants();
      assert.equal(others.length, 0);
      assert.equal(live?.created_at, clock.now(), 'the live device authorization stays');
      assert.equal(
        (await db.selectFrom('oidc_clients').select('id').execute()).length,
        1,
        'the client registration (90 days) stays',
      );
      const line = sweepLine();
      assert.equal(line.level, 30);
      assert.deepEqual(line.deleted, { deviceAuthorizations: 1 });
      const metric = await scrapeMetrics(server.url, TEST_METRICS_TOKEN);
      assert.equal(metric('idcenter_expiry_sweep_deleted_rows_total{kind="deviceAuthorizations"}'), 1);
      assert.ok(metric('idcenter_expiry_sweeps_total{result="done"}') >= 1);
    });
  });
}
