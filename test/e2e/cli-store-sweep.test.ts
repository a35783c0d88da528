/**
 * `idcenter store sweep` (the built binary, a separate process) on SQLite and PostgreSQL: it
 * deletes what the server's sweep deletes — here a device authorization and a throttle counter
 * long past their expiry — keeps live rows, and prints how many of each kind went.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore, type Store } from '../../src/storage/db.ts';
import { run } from '../helpers/python.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const BIN = path.resolve('bin/idcenter.js');
const DAY = 86_400_000;

for (const kind of STORE_KINDS) {
  describe(`idcenter store sweep (${kind})`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
      const now = Date.now();
      const grant = (id: string, expiresAt: number) => ({
        id,
        device_code_hash: `hash-${id}`,
        user_code: `UC-${id}`,
        client_id: 'c-1',
        scopes: '[]',
        status: 'pending',
        user_id: null,
        session_id: null,
        interval_s: 5,
        last_poll_at: null,
        created_at: expiresAt - 600_000,
        expires_at: expiresAt,
      });
      await store.db
        .insertInto('device_grants')
        .values([grant('old', now - 2 * DAY), grant('live', now + 600_000)])
        .execute();
      await store.db
        .insertInto('throttles')
        .values({
          key: 'pw:u-1',
          failures: 2,
          window_start: now - 3 * DAY,
          last_failure_at: now - 3 * DAY,
          locked_until: 0,
        })
        .execute();
      env = {
        ...process.env,
        IDCENTER_DATABASE_URL: temp.url,
        IDCENTER_DATA_DIR: temp.dataDir,
        NO_COLOR: '1',
      };
    });
    after(async () => {
      await store?.close();
      await temp?.cleanup();
    });

    it('--help says what goes and that the audit log does not', async () => {
      const r = await run(process.execPath, [BIN, 'store', 'sweep', '--help'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: idcenter store sweep/);
      assert.match(r.stdout, /Never the audit log/);
    });

    it('deletes the expired rows, keeps the live ones and prints the counts', async () => {
      const r = await run(process.execPath, [BIN, 'store', 'sweep'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^device authorizations\s+1$/m);
      assert.match(r.stdout, /^throttle counters\s+1$/m);
      assert.match(r.stdout, /^access tokens\s+0$/m);
      assert.match(r.stdout, /Deleted 2 rows that can never be used again/);
      const grants = await store.db.selectFrom('device_grants').select('id').execute();
      assert.deepEqual(grants, [{ id: 'live' }]);
      assert.deepEqual(await store.db.selectFrom('throttles').select('key').execute(), []);
    });
  });
}
