/**
 * `idcenter user set-password|disable|enable` through the real binary, on both stores: the
 * password is stored as argon2id and clears a lockout; disabling ends every session, token,
 * code and pending device grant of the user (and only theirs) and records a user revocation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verify } from '@node-rs/argon2';
import { currentGeneration } from '../../src/app/instance.ts';
import type { Store } from '../../src/storage/db.ts';
import { type AppliedStore, count, idcenter, openAppliedStore, snapshot } from '../helpers/apply.ts';
import { STORE_KINDS, type TempStoreUrl } from '../helpers/stores.ts';

const ORG = `
groups: [ { name: Staff } ]
users:
  - { userName: Alice, displayName: Alice, givenName: Alice, familyName: Doe, password: initial-pass-1, groups: [Staff] }
  - { userName: bob, displayName: Bob, givenName: Bob, familyName: Roe }
`;

async function seedSessions(store: Store, userId: string, tag: string): Promise<void> {
  const now = Date.now();
  const later = now + 3_600_000;
  await store.db
    .insertInto('portal_sessions')
    .values({
      id: `s-${tag}`,
      token_hash: `th-${tag}`,
      user_id: userId,
      mfa_done: 1,
      created_at: now,
      expires_at: later,
      last_seen_at: now,
      revoked_at: null,
      source_ip: null,
      user_agent: null,
    })
    .execute();
  await store.db
    .insertInto('token_families')
    .values({
      id: `f-${tag}`,
      user_id: userId,
      client_id: 'c',
      session_id: `s-${tag}`,
      scopes: '[]',
      created_at: now,
      expires_at: later,
      revoked_at: null,
      revoke_reason: null,
    })
    .execute();
  await store.db
    .insertInto('access_tokens')
    .values({
      token_hash: `a-${tag}`,
      family_id: `f-${tag}`,
      user_id: userId,
      created_at: now,
      expires_at: later,
      revoked_at: null,
    })
    .execute();
  await store.db
    .insertInto('refresh_tokens')
    .values({
      token_hash: `r-${tag}`,
      family_id: `f-${tag}`,
      user_id: userId,
      created_at: now,
      expires_at: later,
      used_at: null,
      revoked_at: null,
    })
    .execute();
  await store.db
    .insertInto('auth_codes')
    .values({
      code_hash: `c-${tag}`,
      client_id: 'c',
      user_id: userId,
      session_id: `s-${tag}`,
      redirect_uri: 'http://127.0.0.1/cb',
      code_challenge: 'x',
      scopes: '[]',
      created_at: now,
      expires_at: later,
      redeemed_at: null,
    })
    .execute();
  for (const status of ['pending', 'approved', 'redeemed']) {
    await store.db
      .insertInto('device_grants')
      .values({
        id: `d-${tag}-${status}`,
        device_code_hash: `dc-${tag}-${status}`,
        user_code: `UC-${tag}-${status}`,
        client_id: 'c',
        scopes: '[]',
        status,
        user_id: userId,
        session_id: null,
        interval_s: 5,
        last_poll_at: null,
        created_at: now,
        expires_at: later,
      })
      .execute();
  }
}

for (const kind of STORE_KINDS) {
  describe(`idcenter user … on ${kind}`, () => {
    let applied: AppliedStore;
    let temp: TempStoreUrl;
    let store: Store;
    let alice: string;
    let bob: string;
    before(async () => {
      applied = await openAppliedStore(kind, ORG);
      ({ temp, store } = applied);
      alice = (
        await store.db
          .selectFrom('users')
          .select('id')
          .where('user_name', '=', 'Alice')
          .executeTakeFirstOrThrow()
      ).id;
      bob = (
        await store.db
          .selectFrom('users')
          .select('id')
          .where('user_name', '=', 'bob')
          .executeTakeFirstOrThrow()
      ).id;
    });
    after(async () => {
      await applied.close();
    });

    it('sets a password from stdin (user names match without case) and clears the lockout', async () => {
      await store.db
        .insertInto('throttles')
        .values({
          key: `pw:${alice}`,
          failures: 10,
          window_start: 0,
          last_failure_at: 0,
          locked_until: Date.now() + 3_600_000,
        })
        .execute();
      const r = await idcenter(['user', 'set-password', 'alice', '--stdin', '--database-url', temp.url], {
        input: 'a new passphrase 2\n',
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Password set for user Alice.\n');
      const row = await store.db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', alice)
        .executeTakeFirstOrThrow();
      assert.match(row.password_hash ?? '', /^\$argon2id\$/);
      assert.equal(await verify(row.password_hash ?? '', 'a new passphrase 2'), true);
      assert.equal(await verify(row.password_hash ?? '', 'initial-pass-1'), false);
      assert.equal(
        await store.db
          .selectFrom('throttles')
          .selectAll()
          .where('key', '=', `pw:${alice}`)
          .executeTakeFirst(),
        undefined,
      );
      const audit = await store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'user.password.set')
        .execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]?.target_id, alice);
      assert.doesNotMatch(JSON.stringify(audit), /passphrase/, 'the password never reaches the audit log');
    });

    it('refuses a weak password, a missing user and a non-terminal without --stdin, changing nothing', async () => {
      const before = await snapshot(store);
      const weak = await idcenter(['user', 'set-password', 'bob', '--stdin', '--database-url', temp.url], {
        input: 'short\n',
      });
      assert.notEqual(weak.code, 0);
      assert.equal(weak.stderr, 'idcenter: password must be at least 8 characters; nothing was changed\n');
      const missing = await idcenter(['user', 'disable', 'nobody', '--database-url', temp.url]);
      assert.equal(missing.code, 254);
      assert.equal(missing.stderr, 'idcenter: no user named "nobody"\n');
      const tty = await idcenter(['user', 'set-password', 'bob', '--database-url', temp.url], {
        input: 'whatever-123\n',
      });
      assert.equal(tty.code, 252);
      assert.match(tty.stderr, /not a terminal: pass --stdin/);
      assert.deepEqual(await snapshot(store), before);
    });

    it('disables a user: revokes their sessions, tokens, codes and pending grants, and nobody else’s', async () => {
      await seedSessions(store, alice, 'alice');
      await seedSessions(store, bob, 'bob');
      const generation = await currentGeneration(store.db);
      const revocations = await count(store, 'revocations');
      const r = await idcenter(['user', 'disable', 'ALICE', '--database-url', temp.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Disabled user Alice: /);
      const user = await store.db
        .selectFrom('users')
        .select(['status', 'updated_by'])
        .where('id', '=', alice)
        .executeTakeFirstOrThrow();
      assert.deepEqual(user, { status: 'DISABLED', updated_by: 'cli:user' });
      for (const tag of ['alice', 'bob']) {
        const revoked = tag === 'alice';
        const s = await store.db
          .selectFrom('portal_sessions')
          .select('revoked_at')
          .where('id', '=', `s-${tag}`)
          .executeTakeFirstOrThrow();
        const f = await store.db
          .selectFrom('token_families')
          .select(['revoked_at', 'revoke_reason'])
          .where('id', '=', `f-${tag}`)
          .executeTakeFirstOrThrow();
        const a = await store.db
          .selectFrom('access_tokens')
          .select('revoked_at')
          .where('token_hash', '=', `a-${tag}`)
          .executeTakeFirstOrThrow();
        const rt = await store.db
          .selectFrom('refresh_tokens')
          .select('revoked_at')
          .where('token_hash', '=', `r-${tag}`)
          .executeTakeFirstOrThrow();
        const c = await store.db
          .selectFrom('auth_codes')
          .select('expires_at')
          .where('code_hash', '=', `c-${tag}`)
          .executeTakeFirstOrThrow();
        for (const v of [s.revoked_at, f.revoked_at, a.revoked_at, rt.revoked_at])
          assert.equal(v !== null, revoked, tag);
        if (revoked) assert.equal(f.revoke_reason, 'user_disabled');
        assert.equal(c.expires_at <= Date.now(), revoked, `auth code of ${tag}`);
        const grants = await store.db
          .selectFrom('device_grants')
          .select(['id', 'status'])
          .where('user_id', '=', tag === 'alice' ? alice : bob)
          .orderBy('id')
          .execute();
        assert.deepEqual(
          grants.map((g) => g.status),
          revoked ? ['denied', 'denied', 'redeemed'] : ['approved', 'pending', 'redeemed'],
        );
      }
      const rows = await store.db
        .selectFrom('revocations')
        .select(['kind', 'subject'])
        .orderBy('id')
        .offset(revocations)
        .limit(10)
        .execute();
      assert.deepEqual(rows, [{ kind: 'user', subject: alice }]);
      assert.ok((await currentGeneration(store.db)) > generation);

      const before = await snapshot(store);
      const again = await idcenter(['user', 'disable', 'alice', '--database-url', temp.url]);
      assert.equal(again.code, 0);
      assert.equal(again.stdout, 'User Alice was already disabled.\n');
      assert.deepEqual(await snapshot(store), before);
    });

    it('enables a disabled user', async () => {
      const r = await idcenter(['user', 'enable', 'alice', '--database-url', temp.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Enabled user Alice.\n');
      const user = await store.db
        .selectFrom('users')
        .select('status')
        .where('id', '=', alice)
        .executeTakeFirstOrThrow();
      assert.equal(user.status, 'ENABLED');
      const audit = await store.db
        .selectFrom('audit_events')
        .select('action')
        .where('target_id', '=', alice)
        .orderBy('id')
        .execute();
      assert.deepEqual(
        audit.map((a) => a.action).filter((a) => a !== 'user.create'),
        ['user.password.set', 'user.disable', 'user.enable'],
      );
    });
  });
}
