import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAppContext } from '../../src/app/context.ts';
import { ensureInstance } from '../../src/app/instance.ts';
import { openStore, type Store, StoreError } from '../../src/storage/db.ts';
import { preparedRead, preparedReadArrays } from '../../src/storage/prepared.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`store on ${kind}`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
    });
    after(async () => {
      await store.close();
      await temp.cleanup();
    });

    it('runs the migrations and is idempotent on reopen', async () => {
      const again = await openStore(temp.url);
      await again.ping();
      await again.close();
      const tables = [
        'users',
        'accounts',
        'account_assignments',
        'audit_events',
        'oidc_clients',
        'revocations',
      ];
      for (const t of tables) {
        const rows = await store.db
          .selectFrom(t as 'users')
          .select((eb) => eb.fn.countAll().as('n'))
          .execute();
        assert.equal(Number(rows[0]?.n), 0, t);
      }
    });

    it('creates the instance once with AWS-format identifiers', async () => {
      const ctx = createAppContext(store);
      const a = await ensureInstance(ctx);
      const b = await ensureInstance(ctx);
      assert.deepEqual(a, b);
      assert.match(a.instance_id, /^ssoins-[0-9a-f]{16}$/);
      assert.match(a.identity_store_id, /^d-[0-9a-f]{10}$/);
      assert.match(a.organization_id, /^o-[a-z0-9]{10}$/);
      assert.match(a.root_id, /^r-[a-z0-9]{4}$/);
      assert.equal(typeof a.created_at, 'number');
    });
  });
}

describe('prepared reads', () => {
  // Each store kind, and SQLite in memory (no read connection: through Kysely).
  for (const kind of [...STORE_KINDS, 'memory'] as const) {
    it(`give the same rows as objects and as arrays in select order (${kind})`, async () => {
      const temp = kind === 'memory' ? undefined : await tempStoreUrl(kind);
      const store = await openStore(temp?.url ?? 'sqlite::memory:');
      try {
        const ctx = createAppContext(store);
        const instance = await ensureInstance(ctx);
        const build = (db: Store['db'], p: Record<'id', string>) =>
          db.selectFrom('instance').select(['root_id', 'id', 'created_at']).where('id', '=', p.id);
        const objects = await preparedRead(['id'] as const, build)(store, { id: 'default' });
        const arrays = await preparedReadArrays(['id'] as const, build)(store, { id: 'default' });
        assert.deepEqual(objects, [
          { root_id: instance.root_id, id: 'default', created_at: instance.created_at },
        ]);
        assert.deepEqual(arrays, [[instance.root_id, 'default', instance.created_at]]);
        // The same SQL text read both ways, again: each keeps its own form.
        assert.deepEqual(await preparedRead(['id'] as const, build)(store, { id: 'default' }), objects);
        assert.deepEqual(await preparedReadArrays(['id'] as const, build)(store, { id: 'none' }), []);
      } finally {
        await store.close();
        await temp?.cleanup();
      }
    });
  }
});

describe('store errors', () => {
  it('says in one line that PostgreSQL is unreachable', async () => {
    await assert.rejects(openStore('postgres://nobody@127.0.0.1:1/none'), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.match(err.message, /^cannot connect to PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/none/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });

  it('says in one line that a SQLite file cannot be opened', async () => {
    await assert.rejects(openStore('sqlite:/etc/hostname/idcenter.db'), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });
});
