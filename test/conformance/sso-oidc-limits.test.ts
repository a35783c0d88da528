/**
 * The limits of StartDeviceAuthorization, on SQLite and PostgreSQL: at most 20 device
 * authorizations waiting for a person per client registration, 60 started per registration in
 * 10 minutes and 120 per source address a minute. Over a limit, botocore (through boto3) gets the
 * modeled SlowDownException, and no device authorization is stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_PENDING_DEVICE_GRANTS } from '../../src/app/auth/device.ts';
import { DEVICE_START_ADDRESS_BUDGET, DEVICE_START_CLIENT_BUDGET } from '../../src/domain/auth/lockout.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { postJson, type Registration, registerDeviceClient } from '../helpers/oidc.ts';
import { python } from '../helpers/python.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

/** One StartDeviceAuthorization through boto3: ['ok'] or [error code, status, error, description]. */
const BOTO3_START = `
import json, sys, boto3
c = boto3.client('sso-oidc', region_name='us-east-1', endpoint_url=sys.argv[1])
reg = json.loads(sys.argv[2])
try:
    c.start_device_authorization(clientId=reg['clientId'], clientSecret=reg['clientSecret'], startUrl=sys.argv[3])
    print(json.dumps(['ok']))
except c.exceptions.SlowDownException as e:
    print(json.dumps([e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response.get('error'), e.response.get('error_description')]))
`;

for (const kind of STORE_KINDS) {
  describe(`StartDeviceAuthorization limits (${kind})`, () => {
    let server: TestServer;
    const clock = new ManualClock(Date.now());

    before(async () => {
      server = await startTestServer({ store: kind, clock });
    });
    after(async () => {
      await server?.stop();
      const errors = (server?.logs ?? []).filter((l) => JSON.parse(l).level >= 50);
      assert.deepEqual(errors, []);
    });

    const start = (reg: Registration) =>
      postJson(server.url, '/device_authorization', { ...reg, startUrl: server.config.startUrl });
    const startWithBoto3 = async (reg: Registration) => {
      const r = await python(BOTO3_START, [server.url, JSON.stringify(reg), server.config.startUrl]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as unknown[];
    };
    const grants = async (reg: Registration) =>
      (
        await server.deps.ctx.store.db
          .selectFrom('device_grants')
          .select('id')
          .where('client_id', '=', reg.clientId)
          .execute()
      ).length;
    /** As if a person had answered every pending one (denied: nothing to redeem). */
    const answerAll = (reg: Registration) =>
      server.deps.ctx.store.db
        .updateTable('device_grants')
        .set({ status: 'denied' })
        .where('client_id', '=', reg.clientId)
        .where('status', '=', 'pending')
        .execute();

    it(`a client with ${MAX_PENDING_DEVICE_GRANTS} waiting for approval is told to slow down`, async () => {
      const reg = await registerDeviceClient(server.url);
      for (let i = 0; i < MAX_PENDING_DEVICE_GRANTS; i++) assert.equal((await start(reg)).status, 200);
      const refused = await startWithBoto3(reg);
      assert.deepEqual(refused.slice(0, 3), ['SlowDownException', 400, 'slow_down']);
      assert.match(String(refused[3]), /waiting for approval/);
      assert.equal(await grants(reg), MAX_PENDING_DEVICE_GRANTS, 'the refused start stored nothing');
      await answerAll(reg);
      assert.deepEqual(await startWithBoto3(reg), ['ok'], 'once answered, the client may start again');
    });

    it(`more than ${DEVICE_START_CLIENT_BUDGET.maxFailures} starts by one client in 10 minutes are told to slow down`, async () => {
      clock.advance(DEVICE_START_CLIENT_BUDGET.windowMs);
      const reg = await registerDeviceClient(server.url);
      for (let i = 0; i < DEVICE_START_CLIENT_BUDGET.maxFailures; i++) {
        if (i % MAX_PENDING_DEVICE_GRANTS === 0) await answerAll(reg);
        assert.equal((await start(reg)).status, 200, `start ${i + 1}`);
      }
      await answerAll(reg);
      const refused = await startWithBoto3(reg);
      assert.deepEqual(refused.slice(0, 3), ['SlowDownException', 400, 'slow_down']);
      assert.match(String(refused[3]), /started by this client; try again in \d+ seconds/);
      assert.equal(
        await grants(reg),
        DEVICE_START_CLIENT_BUDGET.maxFailures,
        'the refused start stored nothing',
      );
      const other = await registerDeviceClient(server.url);
      assert.equal((await start(other)).status, 200, 'another client is not held back');
      clock.advance(DEVICE_START_CLIENT_BUDGET.windowMs);
      assert.deepEqual(await startWithBoto3(reg), ['ok'], 'after the window the client may start again');
    });

    it(`more than ${DEVICE_START_ADDRESS_BUDGET.maxFailures} starts from one address a minute are told to slow down`, async () => {
      clock.advance(DEVICE_START_CLIENT_BUDGET.windowMs);
      const per = MAX_PENDING_DEVICE_GRANTS;
      const clients: Registration[] = [];
      for (let i = 0; i <= DEVICE_START_ADDRESS_BUDGET.maxFailures / per; i++) {
        clients.push(await registerDeviceClient(server.url));
      }
      const before = await server.deps.ctx.store.db.selectFrom('device_grants').select('id').execute();
      for (let i = 0; i < DEVICE_START_ADDRESS_BUDGET.maxFailures; i++) {
        const reg = clients[Math.floor(i / per)] as Registration;
        assert.equal((await start(reg)).status, 200, `start ${i + 1}`);
      }
      const fresh = clients.at(-1) as Registration;
      const refused = await startWithBoto3(fresh);
      assert.deepEqual(refused.slice(0, 3), ['SlowDownException', 400, 'slow_down']);
      assert.match(String(refused[3]), /started by this address/);
      const afterRows = await server.deps.ctx.store.db.selectFrom('device_grants').select('id').execute();
      assert.equal(afterRows.length, before.length + DEVICE_START_ADDRESS_BUDGET.maxFailures);
      assert.equal(await grants(fresh), 0, 'the refused start stored nothing');
      clock.advance(DEVICE_START_ADDRESS_BUDGET.windowMs);
      assert.deepEqual(await startWithBoto3(fresh), ['ok']);
    });
  });
}
