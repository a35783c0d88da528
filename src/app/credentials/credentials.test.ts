import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seedOrg } from '../../../test/helpers/seed.ts';
import { serverDepsFor } from '../../../test/helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../../../test/helpers/stores.ts';
import { loadConfig } from '../../config/load.ts';
import { isDomainError } from '../../domain/errors.ts';
import { ManualClock, systemRandom } from '../../domain/runtime.ts';
import { openStore } from '../../storage/db.ts';
import { createAppContext } from '../context.ts';
import { ensureInstance } from '../instance.ts';
import { accessSubject } from '../revocation.ts';
import type { ServerDeps } from '../server-deps.ts';
import {
  CredentialKeyError,
  KEY_FILE_NAME,
  loadKeyFile,
  makeKey,
  makeKeyRing,
  parseKeyList,
  rotateKeyFile,
} from './keys.ts';
import {
  accountOfAccessKeyId,
  assumedRoleArn,
  callerUserId,
  newAccessKeyId,
  openSessionToken,
  type RoleSessionClaims,
  sealCredentials,
  sessionName,
} from './seal.ts';
import { checkRoleCredentials, revokeNow } from './service.ts';
import { vendRoleCredentials } from './vend.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

function claims(overrides: Partial<RoleSessionClaims> = {}): RoleSessionClaims {
  return {
    accessKeyId: newAccessKeyId(systemRandom, '111111111111'),
    userId: 'u-1',
    userName: 'alice',
    accountId: '111111111111',
    permissionSetId: 'ps-0123456789abcdef',
    roleName: 'ReadOnly',
    roleHash: '0123456789abcdef',
    roleId: 'AROAABCDEFGHIJKLMNOPQ',
    sessionId: 's-1',
    familyId: 'f-1',
    issuedAt: T0,
    expiresAt: T0 + 3600_000,
    ...overrides,
  };
}

describe('access key ids', () => {
  it('are ASIA + 16 characters of [A-Z0-9] and carry the account', () => {
    for (const acct of ['111111111111', '000000000001', '999999999999', '123456789012']) {
      const id = newAccessKeyId(systemRandom, acct);
      assert.match(id, /^ASIA[A-Z0-9]{16}$/);
      assert.equal(accountOfAccessKeyId(id), acct);
    }
  });
  it('reject what is not a key id', () => {
    assert.equal(accountOfAccessKeyId('ASIA'), null);
    assert.equal(accountOfAccessKeyId('ASIA0000000000000000'), null); // 0 and 1 are not base32
    assert.equal(accountOfAccessKeyId('XXXXAAAAAAAAAAAAAAAA'), null);
  });
});

describe('sealed session tokens', () => {
  const k1 = makeKey('k1', Buffer.alloc(32, 1));
  const k2 = makeKey('k2', Buffer.alloc(32, 2));

  it('open to the same claims and secret, 40-character secret', () => {
    const ring = makeKeyRing([k1]);
    const c = claims();
    const sealed = sealCredentials(ring, systemRandom, c);
    assert.equal(sealed.secretAccessKey.length, 40);
    assert.match(sealed.sessionToken, /^[A-Za-z0-9_-]+$/);
    const opened = openSessionToken(ring, sealed.sessionToken);
    assert.ok(opened);
    assert.deepEqual(opened.claims, c);
    assert.equal(opened.secretAccessKey, sealed.secretAccessKey);
    assert.equal(opened.keyId, 'k1');
  });

  it('refuse forged, truncated, bit-flipped and re-keyed tokens', () => {
    const ring = makeKeyRing([k1]);
    const { sessionToken } = sealCredentials(ring, systemRandom, claims());
    assert.equal(openSessionToken(ring, sessionToken.slice(0, -4)), null, 'truncated');
    const bytes = Buffer.from(sessionToken, 'base64url');
    for (const pos of [0, 1, 5, 20, bytes.length - 20, bytes.length - 1]) {
      const b = Buffer.from(bytes);
      b[pos] = (b[pos] ?? 0) ^ 0x01;
      assert.equal(openSessionToken(ring, b.toString('base64url')), null, `flip at ${pos}`);
    }
    assert.equal(openSessionToken(ring, 'A'.repeat(200)), null, 'forged');
    assert.equal(openSessionToken(ring, `${sessionToken}==`), null, 'not base64url');
    // The same claims sealed under another key (with the id of ours) do not open.
    const other = makeKeyRing([makeKey('k1', Buffer.alloc(32, 9))]);
    const rekeyed = sealCredentials(other, systemRandom, claims()).sessionToken;
    assert.equal(openSessionToken(ring, rekeyed), null, 're-keyed');
  });

  it('rotation: the new key seals, old tokens keep opening while the old key is listed', () => {
    const old = sealCredentials(makeKeyRing([k1]), systemRandom, claims()).sessionToken;
    const rotated = makeKeyRing([k2, k1]);
    const fresh = sealCredentials(rotated, systemRandom, claims()).sessionToken;
    assert.equal(openSessionToken(rotated, fresh)?.keyId, 'k2');
    assert.equal(openSessionToken(rotated, old)?.keyId, 'k1');
    assert.equal(openSessionToken(makeKeyRing([k2]), old), null, 'retired key no longer opens');
  });
});

describe('credential keys', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-keys-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('generates the key file with mode 0600 once, then reads it back', () => {
    const a = loadKeyFile(dir, systemRandom, T0);
    const stat = fs.statSync(path.join(dir, KEY_FILE_NAME));
    assert.equal(stat.mode & 0o777, 0o600);
    const b = loadKeyFile(dir, systemRandom, T0);
    assert.equal(a.current.id, b.current.id);
    assert.deepEqual(a.current.sealKey, b.current.sealKey);
  });

  it('rotates the key file: the new key first, the old one still there', () => {
    const before = loadKeyFile(dir, systemRandom, T0).current.id;
    const id = rotateKeyFile(dir, systemRandom, T0 + 1000);
    const ring = loadKeyFile(dir, systemRandom, T0);
    assert.equal(ring.current.id, id);
    assert.ok(ring.byId.has(before));
    assert.equal(fs.statSync(path.join(dir, KEY_FILE_NAME)).mode & 0o777, 0o600);
  });

  it('reports a bad key setting or key file as a configuration error', async () => {
    const { loadKeyRing } = await import('./keys.ts');
    const { ConfigError } = await import('../../config/load.ts');
    assert.throws(
      () => loadKeyRing({ credentialKeys: 'k1:short', dataDir: dir }, systemRandom, T0),
      (e) => e instanceof ConfigError && /IDCENTER_CREDENTIAL_KEYS/.test(e.message),
    );
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-badkeys-'));
    fs.writeFileSync(path.join(bad, KEY_FILE_NAME), 'not json');
    assert.throws(
      () => loadKeyRing({ credentialKeys: '', dataDir: bad }, systemRandom, T0),
      (e) => e instanceof ConfigError && /not JSON/.test(e.message),
    );
    fs.rmSync(bad, { recursive: true, force: true });
  });

  it('parses the configured list and names every problem', () => {
    const b64 = Buffer.alloc(32, 7).toString('base64');
    const ring = parseKeyList(`new:${b64}, old:${Buffer.alloc(32, 8).toString('base64')}`);
    assert.equal(ring.current.id, 'new');
    assert.equal(ring.byId.size, 2);
    assert.throws(() => parseKeyList('nocolon'), CredentialKeyError);
    assert.throws(() => parseKeyList(`a:${Buffer.alloc(16).toString('base64')}`), /32 bytes/);
    assert.throws(() => parseKeyList(`a:${b64},a:${b64}`), /twice/);
    assert.throws(() => parseKeyList(`a b:${b64}`), /characters/);
  });
});

describe('role session names', () => {
  it('follow the assumed-role formats', () => {
    const c = claims({ userName: 'alice@example.com' });
    assert.equal(
      assumedRoleArn('aws', c),
      'arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/alice@example.com',
    );
    assert.equal(callerUserId(c), 'AROAABCDEFGHIJKLMNOPQ:alice@example.com');
    assert.equal(sessionName('a b/c'), 'a-b-c');
    assert.equal(sessionName('x'.repeat(80)).length, 64);
  });
});

for (const kind of STORE_KINDS) {
  describe(`vendRoleCredentials (${kind})`, () => {
    let temp: TempStoreUrl;
    let deps: ServerDeps;
    let clock: ManualClock;
    let org: Awaited<ReturnType<typeof seedOrg>>;

    before(async () => {
      temp = await tempStoreUrl(kind);
      const config = loadConfig({ dataDir: temp.dataDir, databaseUrl: temp.url, port: '0' }, {});
      const store = await openStore(temp.url);
      clock = new ManualClock(T0);
      const ctx = createAppContext(store, { clock });
      await ensureInstance(ctx);
      deps = serverDepsFor(ctx, config);
      org = await seedOrg(ctx, {
        groups: [{ name: 'Dev' }],
        users: [{ userName: 'alice', groups: ['Dev'] }, { userName: 'bob' }],
        accounts: [{ id: '111111111111' }, { id: '222222222222' }],
        permissionSets: [{ name: 'ReadOnly', sessionHours: 4 }, { name: 'Admin' }],
        assignments: [
          { group: 'Dev', permissionSet: 'ReadOnly', accounts: ['111111111111'] },
          { user: 'alice', permissionSet: 'Admin', accounts: ['222222222222'] },
        ],
      });
    });
    after(async () => {
      await deps.ctx.store.close();
      await temp.cleanup();
    });

    const input = (over: Partial<Parameters<typeof vendRoleCredentials>[1]> = {}) => ({
      userId: org.users.alice!,
      userName: 'alice',
      accountId: '111111111111',
      roleName: 'ReadOnly',
      sessionId: 'sess-1',
      familyId: null,
      sourceIp: '192.0.2.7',
      channel: 'portal' as const,
      ...over,
    });

    it('mints credentials through a group assignment, expiring after the session duration', async () => {
      const c = await vendRoleCredentials(deps, input());
      assert.match(c.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
      assert.equal(c.secretAccessKey.length, 40);
      assert.equal(c.expiration, T0 + 4 * 3600_000);
      const check = await checkRoleCredentials(deps.credentials, T0, c.accessKeyId, c.sessionToken);
      assert.ok(check.ok);
      assert.equal(check.secretAccessKey, c.secretAccessKey);
      assert.equal(check.claims.roleName, 'ReadOnly');
      const role = await deps.ctx.store.db.selectFrom('provisioned_roles').selectAll().execute();
      assert.equal(role.length, 1);
      assert.equal(check.claims.roleHash, role[0]?.role_hash);
      assert.equal(check.claims.roleId, role[0]?.role_id);
    });

    it('keeps one role per (account, permission set) across mints', async () => {
      const a = await vendRoleCredentials(deps, input());
      const b = await vendRoleCredentials(deps, input());
      const ca = await checkRoleCredentials(deps.credentials, T0, a.accessKeyId, a.sessionToken);
      const cb = await checkRoleCredentials(deps.credentials, T0, b.accessKeyId, b.sessionToken);
      assert.ok(ca.ok && cb.ok);
      assert.equal(ca.claims.roleHash, cb.claims.roleHash);
      assert.notEqual(a.accessKeyId, b.accessKeyId);
    });

    it('audits every issue without secrets', async () => {
      const c = await vendRoleCredentials(deps, input({ accountId: '222222222222', roleName: 'Admin' }));
      const rows = await deps.ctx.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'credentials.issue')
        .execute();
      const row = rows.find((r) => r.detail?.includes(c.accessKeyId));
      assert.ok(row);
      assert.equal(row.actor, `user:${org.users.alice}`);
      assert.equal(row.source_ip, '192.0.2.7');
      const detail = JSON.parse(row.detail!);
      assert.equal(detail.accountId, '222222222222');
      assert.equal(detail.permissionSetId, org.permissionSets.Admin);
      assert.equal(detail.expiration, new Date(T0 + 3600_000).toISOString());
      assert.ok(!row.detail!.includes(c.secretAccessKey));
      assert.ok(!row.detail!.includes(c.sessionToken));
    });

    it('refuses users without access and mints nothing', async () => {
      const count = async () =>
        Number(
          (
            await deps.ctx.store.db
              .selectFrom('audit_events')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('action', '=', 'credentials.issue')
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await count();
      for (const bad of [
        input({ userId: org.users.bob!, userName: 'bob' }),
        input({ roleName: 'Admin' }),
        input({ accountId: '333333333333' }),
        input({ roleName: 'readonly' }),
      ]) {
        await assert.rejects(vendRoleCredentials(deps, bad), (e) => isDomainError(e, 'forbidden'));
      }
      assert.equal(await count(), before);
    });

    it('grants exactly the roles ListAccountRoles lists', async () => {
      const { listAccessibleRoles } = await import('../access.ts');
      for (const [userName, userId] of Object.entries(org.users)) {
        for (const accountId of ['111111111111', '222222222222', '333333333333']) {
          for (const roleName of ['ReadOnly', 'Admin', 'readonly', 'Nope']) {
            const listed = await listAccessibleRoles(deps.ctx.store, userId, accountId);
            const expected = listed.find((r) => r.roleName === roleName);
            const got = await vendRoleCredentials(
              deps,
              input({ userId, userName, accountId, roleName }),
            ).then(
              () => true,
              (e) => {
                assert.ok(isDomainError(e, 'forbidden'));
                return false;
              },
            );
            assert.equal(got, expected !== undefined, `${userName} ${accountId} ${roleName}`);
          }
        }
      }
    });

    it('expired, mismatched and revoked credentials fail the check', async () => {
      const service = deps.credentials;
      const c = await vendRoleCredentials(deps, input());
      assert.deepEqual(
        await checkRoleCredentials(service, T0 + 4 * 3600_000, c.accessKeyId, c.sessionToken),
        {
          ok: false,
          reason: 'expired',
        },
      );
      const other = newAccessKeyId(systemRandom, '111111111111');
      assert.equal((await checkRoleCredentials(service, T0, other, c.sessionToken)).ok, false);
      assert.equal((await checkRoleCredentials(service, T0, c.accessKeyId, undefined)).ok, false);
      await revokeNow(deps, [
        {
          kind: 'access',
          subject: accessSubject(org.users.alice!, '111111111111', org.permissionSets.ReadOnly!),
        },
      ]);
      assert.deepEqual(await checkRoleCredentials(service, T0, c.accessKeyId, c.sessionToken), {
        ok: false,
        reason: 'revoked',
      });
      // Credentials minted after the revocation instant verify again.
      clock.advance(1);
      const later = await vendRoleCredentials(deps, input());
      assert.ok((await checkRoleCredentials(service, clock.now(), later.accessKeyId, later.sessionToken)).ok);
    });
  });
}

describe('revocation view freshness', () => {
  let temp: TempStoreUrl;
  let store: Awaited<ReturnType<typeof openStore>>;
  before(async () => {
    temp = await tempStoreUrl('sqlite');
    store = await openStore(temp.url);
  });
  after(async () => {
    await store.close();
    await temp.cleanup();
  });

  it('sees a revocation written elsewhere within 30 s of the injected clock, and at once after a clock step back', async () => {
    const { RevocationCache } = await import('./revocation-cache.ts');
    const { writeRevocations } = await import('../revocation.ts');
    const clock = new ManualClock(T0);
    const cache = new RevocationCache(store.db, clock);
    const c = claims({ userId: 'u-fresh', issuedAt: T0 });
    await cache.ensureFresh();
    assert.equal(cache.isRevoked(c), false);
    // Another process revokes the user.
    await writeRevocations({ store, clock: new ManualClock(T0 + 1000) }, [
      { kind: 'user', subject: 'u-fresh' },
    ]);
    clock.advance(2000);
    await cache.ensureFresh();
    assert.equal(cache.isRevoked(c), false, 'a view younger than the poll interval is used as is');
    clock.advance(28_000); // 30 s since the last refresh: the next check waits for a refresh
    await cache.ensureFresh();
    assert.equal(cache.isRevoked(c), true);
    // Credentials issued after the revocation instant are not affected.
    assert.equal(cache.isRevoked(claims({ userId: 'u-fresh', issuedAt: T0 + 1001 })), false);

    await writeRevocations({ store, clock: new ManualClock(T0 + 40_000) }, [
      { kind: 'session', subject: 's-back' },
    ]);
    clock.set(T0 + 10_000); // the clock stepped back: freshness cannot be trusted
    await cache.ensureFresh();
    assert.equal(cache.isRevoked(claims({ sessionId: 's-back', issuedAt: T0 })), true);
  });
});
