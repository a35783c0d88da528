/**
 * Credential key rotation across servers sharing one PostgreSQL store: a new key put first
 * seals new session tokens while the old key, still listed, keeps verifying what it sealed;
 * once the old key is dropped its tokens are refused. A bad key setting stops the server at
 * start with a configuration error.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/load.ts';
import type { RunningServer } from '../../src/http/server.ts';
import { createTempDatabase, type TempDatabase } from '../helpers/pg.ts';
import { type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { mintRoleCredentials, withServer as withStore } from '../helpers/servers-in-turn.ts';
import { type RoleCredentials, whoAmI as stsWhoAmI } from '../helpers/sts.ts';

const K1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const K2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;

describe('credential key rotation (PostgreSQL, servers in turn)', () => {
  let db: TempDatabase;
  let dir: string;
  let org: SeededOrg;

  before(async () => {
    db = await createTempDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-keys-e2e-'));
  });
  after(async () => {
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const withServer = <T>(credentialKeys: string, run: (s: RunningServer) => Promise<T>) =>
    withStore({ url: db.url, dataDir: dir }, credentialKeys, run);
  const mint = (s: RunningServer) =>
    mintRoleCredentials(s, { userId: org.users.alice!, userName: 'alice' }, '111111111111', 'ReadOnly');
  const whoAmI = (s: RunningServer, c: RoleCredentials) => stsWhoAmI(s.url, c);

  it('a new first key seals, the old key verifies until it is dropped', async () => {
    const old = await withServer(K1, async (s) => {
      org = await seedOrg(s.deps.ctx, {
        users: [{ userName: 'alice' }],
        accounts: [{ id: '111111111111' }],
        permissionSets: [{ name: 'ReadOnly' }],
        assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts: ['111111111111'] }],
      });
      const c = await mint(s);
      assert.equal(await whoAmI(s, c), '111111111111');
      return c;
    });
    const fresh = await withServer(`${K2},${K1}`, async (s) => {
      assert.equal(await whoAmI(s, old), '111111111111', 'the old key still verifies');
      const c = await mint(s);
      assert.equal(await whoAmI(s, c), '111111111111');
      return c;
    });
    await withServer(K2, async (s) => {
      assert.equal(await whoAmI(s, fresh), '111111111111', 'sealed under the new key');
      assert.equal(await whoAmI(s, old), 'InvalidClientTokenId', 'the dropped key no longer verifies');
    });
    await withServer(K1, async (s) => {
      assert.equal(await whoAmI(s, fresh), 'InvalidClientTokenId', 'a server without the new key refuses it');
    });
  });

  it('refuses to start with a malformed key setting', async () => {
    await assert.rejects(
      withServer('k1:not-32-bytes', async () => undefined),
      (e) => e instanceof ConfigError && /IDCENTER_CREDENTIAL_KEYS/.test(e.message),
    );
  });
});
