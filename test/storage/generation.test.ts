/**
 * The store generation and the answers kept under it: a change made through another connection
 * (another process or replica, the `idcenter` commands) is seen by the very next request, for
 * bearer tokens and for access to roles alike, on both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { resolveAccessToken } from '../../src/app/auth/tokens.ts';
import { type AppContext, createAppContext } from '../../src/app/context.ts';
import { vendRoleCredentials } from '../../src/app/credentials/vend.ts';
import { ensureInstance, readInstance } from '../../src/app/instance.ts';
import type { ServerDeps } from '../../src/app/server-deps.ts';
import { loadConfig } from '../../src/config/load.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { GenerationCache } from '../../src/storage/generation-cache.ts';
import { WATCHED } from '../../src/storage/migrations/004-generation.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { serverDepsFor } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

describe('GenerationCache', () => {
  it('gives back what was kept at the same generation only', () => {
    const cache = new GenerationCache<string>();
    assert.equal(cache.get(1, 'k'), undefined);
    cache.set(1, 'k', 'v');
    assert.equal(cache.get(1, 'k'), 'v');
    assert.equal(cache.get(2, 'k'), undefined, 'a newer generation empties it');
    assert.equal(cache.get(2, 'k'), undefined);
    cache.set(1, 'k', 'stale');
    assert.equal(cache.get(2, 'k'), undefined, 'an answer read at an older generation is not kept');
    cache.set(2, 'k', 'v2');
    assert.equal(cache.get(1, 'k'), undefined, 'a generation that went back (a restore) empties it too');
    assert.equal(cache.get(2, 'k'), undefined);
  });

  it('stays within its limit', () => {
    const cache = new GenerationCache<number>(3);
    cache.get(7, 'x');
    for (let i = 0; i < 10; i++) cache.set(7, `k${i}`, i);
    const kept = Array.from({ length: 10 }, (_, i) => cache.get(7, `k${i}`)).filter((v) => v !== undefined);
    assert.ok(kept.length <= 3 && kept.includes(9));
  });
});

for (const kind of STORE_KINDS) {
  describe(`store generation (${kind})`, () => {
    let temp: TempStoreUrl;
    /** The server's store. */
    let store: Store;
    /** Another connection to the same database, as another process or replica has. */
    let other: Store;
    let ctx: AppContext;
    let deps: ServerDeps;
    let org: SeededOrg;
    const account = '111111111111';

    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
      other = await openStore(temp.url);
      ctx = createAppContext(store);
      await ensureInstance(ctx);
      org = await seedOrg(ctx, {
        groups: [{ name: 'Team' }],
        users: [
          { userName: 'alice', groups: ['Team'] },
          { userName: 'bob', groups: ['Team'] },
          { userName: 'carol' },
        ],
        accounts: [{ id: account }],
        permissionSets: [{ name: 'ReadOnly' }, { name: 'Admin' }],
        assignments: [
          { group: 'Team', permissionSet: 'ReadOnly', accounts: [account] },
          { user: 'carol', permissionSet: 'Admin', accounts: [account] },
        ],
      });
      const config = loadConfig({ dataDir: temp.dataDir, databaseUrl: temp.url, port: '0' }, {});
      deps = serverDepsFor(ctx, config);
    });
    after(async () => {
      await other?.close();
      await store?.close();
      await temp?.cleanup();
    });

    const vend = (userName: string, roleName: string) =>
      vendRoleCredentials(deps, {
        userId: org.users[userName]!,
        userName,
        accountId: account,
        roleName,
        sessionId: null,
        familyId: null,
        sourceIp: '127.0.0.1',
        channel: 'portal',
      });
    const forbidden = (e: unknown) => isDomainError(e, 'forbidden');

    it('rises with every update of a watched table, made by another connection, and has delete triggers', async () => {
      // Rows in every watched table: a token family, its access token and a provisioned role too.
      await issueBearerToken(ctx, { userId: org.users.bob! });
      await vend('alice', 'ReadOnly');
      for (const { table, columns } of WATCHED) {
        const column = columns?.[0] ?? 'created_at';
        const before = await store.generation();
        await sql.raw(`update ${table} set ${column} = ${column}`).execute(other.db);
        assert.ok((await store.generation()) > before, `update of ${table}.${column}`);
      }
      // Many changes in one transaction raise it (PostgreSQL: once, remembered in a setting
      // local to the transaction), and the next transaction on the same connection raises it
      // again.
      await other.db.connection().execute(async (conn) => {
        for (let round = 0; round < 2; round++) {
          const before = await store.generation();
          await conn.transaction().execute(async (trx) => {
            for (const status of ['DISABLED', 'ENABLED']) {
              await trx.updateTable('users').set({ status }).where('id', '=', org.users.bob!).execute();
            }
            await sql`update account_assignments set created_at = created_at`.execute(trx);
          });
          assert.ok((await store.generation()) > before, `transaction ${round + 1}`);
        }
      });
      const triggers =
        kind === 'sqlite'
          ? await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'`.execute(
              store.db,
            )
          : await sql<{ name: string }>`select trigger_name || '_' || lower(event_manipulation) as name
              from information_schema.triggers`.execute(store.db);
      const names = new Set(triggers.rows.map((r) => r.name));
      for (const { table } of WATCHED) {
        const deletes = kind === 'sqlite' ? `${table}_generation_d` : `${table}_generation_delete`;
        assert.ok(names.has(deletes), `delete trigger on ${table}`);
      }
    });

    it('does not rise for inserts or for writes to unwatched tables', async () => {
      const g0 = await store.generation();
      await issueBearerToken({ ...ctx, store: other }, { userId: org.users.bob! });
      await other.appendAudit([
        {
          at: Date.now(),
          actor: 'test',
          action: 'test',
          target_type: 'TEST',
          target_id: 'x',
          detail: '{}',
          source_ip: null,
          request_id: null,
        },
      ]);
      assert.equal(await store.generation(), g0);
    });

    it('rises when the management account changes, so the kept instance row follows', async () => {
      const g0 = await store.generation();
      await other.db.updateTable('instance').set({ management_account_id: '999999999999' }).execute();
      const g1 = await store.generation();
      assert.ok(g1 > g0, 'a new management account');
      assert.equal((await readInstance(ctx, g1)).management_account_id, '999999999999');
      await other.db.updateTable('instance').set({ management_account_id: null }).execute();
      const g2 = await store.generation();
      assert.ok(g2 > g1, 'none any more');
      assert.equal(
        (await readInstance(ctx, g2)).management_account_id,
        null,
        'the row kept at g1 is not used at g2',
      );
      await other.db.updateTable('instance').set({ created_at: 1 }).execute();
      assert.equal(await store.generation(), g2, 'a column written only when the instance is made');
    });

    it('a request that arrived before a read may reuse it; one that arrived after reads again', async () => {
      const arrivedEarly = performance.now();
      const g0 = await store.generation();
      await other.db
        .updateTable('users')
        .set({ status: 'ENABLED' })
        .where('id', '=', org.users.bob!)
        .execute();
      assert.equal(await store.generation(arrivedEarly), g0, 'arrived before the read: as current as it');
      assert.ok((await store.generation(performance.now())) > g0, 'arrived after: reads again');
      assert.ok((await store.generation()) > g0);
    });

    it('a kept bearer token stops at once when another process revokes it or disables its user', async () => {
      const t1 = await issueBearerToken(ctx, { userId: org.users.alice! });
      const t2 = await issueBearerToken(ctx, { userId: org.users.alice! });
      for (let i = 0; i < 3; i++) assert.ok(await resolveAccessToken(ctx, t1.accessToken));
      assert.ok(await resolveAccessToken(ctx, t2.accessToken));
      await other.db
        .updateTable('token_families')
        .set({ revoked_at: Date.now(), revoke_reason: 'test' })
        .where('id', '=', t1.familyId)
        .execute();
      assert.equal(await resolveAccessToken(ctx, t1.accessToken), null, 'family revoked elsewhere');
      assert.ok(await resolveAccessToken(ctx, t2.accessToken), 'the other login is untouched');
      await other.db
        .updateTable('portal_sessions')
        .set({ revoked_at: Date.now() })
        .where('id', '=', t2.sessionId)
        .execute();
      assert.equal(await resolveAccessToken(ctx, t2.accessToken), null, 'portal session revoked elsewhere');

      const t3 = await issueBearerToken(ctx, { userId: org.users.alice! });
      assert.ok(await resolveAccessToken(ctx, t3.accessToken));
      await other.db
        .updateTable('users')
        .set({ status: 'DISABLED' })
        .where('id', '=', org.users.alice!)
        .execute();
      assert.equal(await resolveAccessToken(ctx, t3.accessToken), null, 'user disabled elsewhere');
      await other.db
        .updateTable('users')
        .set({ status: 'ENABLED' })
        .where('id', '=', org.users.alice!)
        .execute();
      assert.ok(await resolveAccessToken(ctx, t3.accessToken));
      await other.db.deleteFrom('access_tokens').where('family_id', '=', t3.familyId).execute();
      assert.equal(await resolveAccessToken(ctx, t3.accessToken), null, 'token row deleted elsewhere');
    });

    it('kept access to a role ends at once when another process takes it away', async () => {
      // Through a group: the membership goes.
      for (let i = 0; i < 3; i++) await vend('bob', 'ReadOnly');
      await other.db
        .deleteFrom('group_memberships')
        .where('user_id', '=', org.users.bob!)
        .where('group_id', '=', org.groups.Team!)
        .execute();
      await assert.rejects(vend('bob', 'ReadOnly'), forbidden);

      // Directly: the assignment goes.
      for (let i = 0; i < 3; i++) await vend('carol', 'Admin');
      await other.db
        .deleteFrom('account_assignments')
        .where('principal_id', '=', org.users.carol!)
        .where('permission_set_id', '=', org.permissionSets.Admin!)
        .execute();
      await assert.rejects(vend('carol', 'Admin'), forbidden);
    });

    it('a changed session duration applies to the next credentials at once', async () => {
      const first = await vend('alice', 'ReadOnly');
      const before = Date.now();
      assert.ok(first.expiration - before <= 3600_000 + 1000);
      await other.db
        .updateTable('permission_sets')
        .set({ session_seconds: 7200 })
        .where('id', '=', org.permissionSets.ReadOnly!)
        .execute();
      const next = await vend('alice', 'ReadOnly');
      assert.ok(next.expiration - Date.now() > 3600_000 + 60_000, 'the new duration, not the kept one');
    });
  });
}
