/**
 * The expiry sweep on SQLite and PostgreSQL: it deletes exactly the rows that can never be used
 * again, more than the grace period past their expiry, of every kind, in batches; it keeps live
 * rows, rows still within the grace period, and expired rows something live still names (a
 * session or client registration of a live token family); a sweep with nothing to do writes
 * nothing; on PostgreSQL a sweep running elsewhere makes another skip its turn.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type AppContext, createAppContext } from '../../src/app/context.ts';
import { SWEEP_GRACE_MS, type SweepCounts, sweepExpired } from '../../src/app/expiry-sweep.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import type { Database } from '../../src/storage/schema.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
/** Expiries: long gone (swept), within the grace period (kept), still ahead (kept). */
const GONE = NOW - SWEEP_GRACE_MS - HOUR;
const RECENT = NOW - HOUR;
const LIVE = NOW + DAY;

const NOTHING: SweepCounts = {
  deviceAuthorizations: 0,
  authorizationCodes: 0,
  accessTokens: 0,
  refreshTokens: 0,
  tokenFamilies: 0,
  portalSessions: 0,
  clientRegistrations: 0,
  throttles: 0,
  revocations: 0,
  consoleLinks: 0,
};

async function seed(db: Store['db']): Promise<void> {
  const grant = (id: string, status: string, expiresAt: number) => ({
    id,
    device_code_hash: `hash-${id}`,
    user_code: `UC-${id}`,
    client_id: 'client-live',
    scopes: '[]',
    status,
    user_id: null,
    session_id: null,
    interval_s: 5,
    last_poll_at: null,
    created_at: expiresAt - 600_000,
    expires_at: expiresAt,
  });
  await db
    .insertInto('device_grants')
    .values([
      ...Array.from({ length: 5 }, (_, i) =>
        grant(`g-gone-${i}`, i === 0 ? 'redeemed' : 'pending', GONE - i),
      ),
      grant('g-recent', 'pending', RECENT),
      grant('g-live', 'pending', LIVE),
    ])
    .execute();

  const code = (hash: string, expiresAt: number, redeemedAt: number | null) => ({
    code_hash: hash,
    client_id: 'client-live',
    user_id: 'u-1',
    session_id: 's-live',
    redirect_uri: 'http://127.0.0.1:9/cb',
    code_challenge: 'x',
    scopes: '[]',
    created_at: expiresAt - 60_000,
    expires_at: expiresAt,
    redeemed_at: redeemedAt,
  });
  await db
    .insertInto('auth_codes')
    .values([
      code('c-gone', GONE, null),
      code('c-gone-redeemed', GONE, GONE - 30_000),
      code('c-recent', RECENT, null),
      code('c-live', LIVE, null),
    ])
    .execute();

  const session = (id: string, expiresAt: number) => ({
    id,
    token_hash: `hash-${id}`,
    user_id: 'u-1',
    origin: 'http://127.0.0.1:1',
    mfa_done: 1,
    created_at: expiresAt - 8 * HOUR,
    expires_at: expiresAt,
    last_seen_at: expiresAt - HOUR,
    revoked_at: null,
    source_ip: null,
    user_agent: null,
  });
  await db
    .insertInto('portal_sessions')
    .values([
      session('s-gone', GONE),
      // Ended long ago (a disabled user's sessions end at once) but named by a live family.
      session('s-gone-named', GONE),
      session('s-recent', RECENT),
      session('s-live', LIVE),
    ])
    .execute();

  const client = (id: string, expiresAt: number) => ({
    id,
    secret_hash: `hash-${id}`,
    name: id,
    client_type: 'public',
    scopes: '[]',
    grant_types: '[]',
    redirect_uris: '[]',
    issuer_url: null,
    issued_at: expiresAt - 90 * DAY,
    expires_at: expiresAt,
  });
  await db
    .insertInto('oidc_clients')
    .values([
      client('client-gone', GONE),
      client('client-gone-named', GONE),
      client('client-recent', RECENT),
      client('client-live', LIVE),
    ])
    .execute();

  const family = (id: string, clientId: string, sessionId: string, expiresAt: number) => ({
    id,
    user_id: 'u-1',
    client_id: clientId,
    session_id: sessionId,
    scopes: '[]',
    created_at: expiresAt - 8 * HOUR,
    expires_at: expiresAt,
    revoked_at: null,
    revoke_reason: null,
  });
  await db
    .insertInto('token_families')
    .values([
      family('f-gone', 'client-gone', 's-gone', GONE),
      family('f-recent', 'client-recent', 's-recent', RECENT),
      family('f-live', 'client-gone-named', 's-gone-named', LIVE),
    ])
    .execute();
  const token = (hash: string, familyId: string, expiresAt: number) => ({
    token_hash: hash,
    family_id: familyId,
    user_id: 'u-1',
    created_at: expiresAt - HOUR,
    expires_at: expiresAt,
    revoked_at: null,
  });
  await db
    .insertInto('access_tokens')
    .values([
      token('a-gone', 'f-gone', GONE),
      token('a-recent', 'f-recent', RECENT),
      // A live family's spent access token, long expired.
      token('a-live-old', 'f-live', GONE),
      token('a-live', 'f-live', LIVE),
    ])
    .execute();
  await db
    .insertInto('refresh_tokens')
    .values([
      { ...token('r-gone', 'f-gone', GONE), used_at: GONE - HOUR },
      { ...token('r-recent', 'f-recent', RECENT), used_at: null },
      // A spent refresh token of a live family: kept for reuse detection while it lives.
      { ...token('r-live-used', 'f-live', LIVE), used_at: NOW - HOUR },
      { ...token('r-live', 'f-live', LIVE), used_at: null },
    ])
    .execute();

  const throttle = (key: string, lastFailureAt: number, lockedUntil: number) => ({
    key,
    failures: 3,
    window_start: lastFailureAt - 60_000,
    last_failure_at: lastFailureAt,
    locked_until: lockedUntil,
  });
  await db
    .insertInto('throttles')
    .values([
      throttle('pw:gone', NOW - 3 * DAY, NOW - 3 * DAY + 60_000),
      // Past the 12 h a lockout remembers, but within the grace period after it.
      throttle('pw:recent', NOW - 13 * HOUR, 0),
      throttle('pw:live', NOW - 60_000, NOW + 60_000),
    ])
    .execute();

  const revocation = (subject: string, expiresAt: number) => ({
    kind: 'session',
    subject,
    not_before: expiresAt - 12 * HOUR,
    created_at: expiresAt - 12 * HOUR,
    expires_at: expiresAt,
  });
  await db
    .insertInto('revocations')
    .values([revocation('gone', GONE), revocation('recent', RECENT), revocation('live', LIVE)])
    .execute();
  const link = (code: string, expiresAt: number, redeemedAt: number | null) => ({
    code_hash: code,
    user_id: 'u-1',
    account_id: '111111111111',
    role_name: 'ReadOnly',
    destination: null,
    session_id: null,
    family_id: 'f-live',
    created_at: expiresAt - 60_000,
    expires_at: expiresAt,
    redeemed_at: redeemedAt,
  });
  await db
    .insertInto('console_links')
    .values([link('l-gone', GONE, GONE - 1000), link('l-recent', RECENT, null), link('l-live', LIVE, null)])
    .execute();
}

async function keys(db: Store['db'], table: keyof Database, column: string): Promise<string[]> {
  const r = await sql<{ k: string }>`select ${sql.ref(column)} as k from ${sql.table(table)}`.execute(db);
  return r.rows.map((row) => String(row.k)).sort();
}

for (const kind of STORE_KINDS) {
  describe(`expiry sweep (${kind})`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    let ctx: AppContext;

    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
      ctx = createAppContext(store, { clock: new ManualClock(NOW) });
      await seed(store.db);
    });
    after(async () => {
      await store?.close();
      await temp?.cleanup();
    });

    it('deletes exactly the rows a day past their expiry that nothing live names, in batches', async () => {
      const result = await sweepExpired(ctx, { batchSize: 2 });
      assert.deepEqual(result, {
        skipped: false,
        counts: {
          deviceAuthorizations: 5,
          authorizationCodes: 2,
          accessTokens: 2,
          refreshTokens: 1,
          tokenFamilies: 1,
          portalSessions: 1,
          clientRegistrations: 1,
          throttles: 1,
          revocations: 1,
          consoleLinks: 1,
        },
      });
      const db = store.db;
      assert.deepEqual(await keys(db, 'device_grants', 'id'), ['g-live', 'g-recent']);
      assert.deepEqual(await keys(db, 'auth_codes', 'code_hash'), ['c-live', 'c-recent']);
      assert.deepEqual(await keys(db, 'access_tokens', 'token_hash'), ['a-live', 'a-recent']);
      assert.deepEqual(await keys(db, 'refresh_tokens', 'token_hash'), ['r-live', 'r-live-used', 'r-recent']);
      assert.deepEqual(await keys(db, 'token_families', 'id'), ['f-live', 'f-recent']);
      assert.deepEqual(
        await keys(db, 'portal_sessions', 'id'),
        ['s-gone-named', 's-live', 's-recent'],
        'a session a live token family names stays: its tokens check it',
      );
      assert.deepEqual(
        await keys(db, 'oidc_clients', 'id'),
        ['client-gone-named', 'client-live', 'client-recent'],
        'a registration a live token family names stays',
      );
      assert.deepEqual(await keys(db, 'throttles', 'key'), ['pw:live', 'pw:recent']);
      assert.deepEqual(await keys(db, 'revocations', 'subject'), ['live', 'recent']);
      assert.deepEqual(await keys(db, 'console_links', 'code_hash'), ['l-live', 'l-recent']);
    });

    it('a sweep with nothing to do deletes and writes nothing', async () => {
      const generation = await store.generation();
      assert.deepEqual(await sweepExpired(ctx), { skipped: false, counts: NOTHING });
      assert.equal(await store.generation(), generation, 'the store generation did not move');
    });

    it('what stayed goes once it is a day past its expiry and nothing names it', async () => {
      const clock = ctx.clock as ManualClock;
      clock.advance(DAY);
      assert.equal((await sweepExpired(ctx)).skipped, false);
      const db = store.db;
      assert.deepEqual(await keys(db, 'device_grants', 'id'), ['g-live']);
      assert.deepEqual(await keys(db, 'auth_codes', 'code_hash'), ['c-live']);
      assert.deepEqual(await keys(db, 'access_tokens', 'token_hash'), ['a-live']);
      assert.deepEqual(await keys(db, 'refresh_tokens', 'token_hash'), ['r-live', 'r-live-used']);
      assert.deepEqual(await keys(db, 'token_families', 'id'), ['f-live']);
      assert.deepEqual(await keys(db, 'portal_sessions', 'id'), ['s-gone-named', 's-live']);
      assert.deepEqual(await keys(db, 'oidc_clients', 'id'), ['client-gone-named', 'client-live']);
      assert.deepEqual(await keys(db, 'throttles', 'key'), ['pw:live']);
      assert.deepEqual(await keys(db, 'revocations', 'subject'), ['live']);

      clock.advance(2 * DAY);
      assert.equal((await sweepExpired(ctx)).skipped, false);
      for (const [table, column] of [
        ['device_grants', 'id'],
        ['auth_codes', 'code_hash'],
        ['access_tokens', 'token_hash'],
        ['refresh_tokens', 'token_hash'],
        ['token_families', 'id'],
        ['portal_sessions', 'id'],
        ['oidc_clients', 'id'],
        ['throttles', 'key'],
        ['revocations', 'id'],
      ] as const) {
        assert.deepEqual(await keys(db, table, column), [], table);
      }
    });

    if (kind === 'postgres') {
      it('skips its turn while another process sweeps', async () => {
        const other = await openStore(temp.url, { migrate: false, poolSize: 1 });
        try {
          await other.db.connection().execute(async (conn) => {
            await sql`select pg_advisory_lock(${0x6964_6373_7770}::bigint)`.execute(conn);
            try {
              assert.deepEqual(await sweepExpired(ctx), { skipped: true });
            } finally {
              await sql`select pg_advisory_unlock(${0x6964_6373_7770}::bigint)`.execute(conn);
            }
          });
          assert.equal((await sweepExpired(ctx)).skipped, false, 'the lock is free again');
        } finally {
          await other.close();
        }
      });
    }
  });
}
