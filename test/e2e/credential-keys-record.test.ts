/**
 * A server refuses to start on a store whose credential keys are missing —
 * the key file gone (a database restored without it), a key file or IDCENTER_CREDENTIAL_KEYS
 * with none of the keys the store recorded — instead of making new keys that every credential
 * issued before fails against. `idcenter credential-keys adopt` is the explicit way to start
 * with new keys. Keys a running server reloads are recorded, so pruning the old ones later does
 * not lock the store out. On both stores, credentials checked with the AWS SDK's STS client.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordedKeyIds } from '../../src/app/credentials/key-record.ts';
import { keyFilePath, pruneKeyFile, readKeyFile, rotateKeyFile } from '../../src/app/credentials/keys.ts';
import { KEY_FILE_CHECK_INTERVAL_MS } from '../../src/app/credentials/service.ts';
import { ConfigError } from '../../src/config/load.ts';
import { systemRandom } from '../../src/domain/runtime.ts';
import type { RunningServer } from '../../src/http/server.ts';
import { idcenter } from '../helpers/apply.ts';
import { type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { mintRoleCredentials, withServer as withStore } from '../helpers/servers-in-turn.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';
import { type RoleCredentials, whoAmI } from '../helpers/sts.ts';

const ACCOUNT = '111111111111';
const K1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const K2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of STORE_KINDS) {
  describe(`credential keys the store knows (${kind})`, () => {
    let temp: TempStoreUrl;
    let file: string;
    let org: SeededOrg;
    let first: RoleCredentials;

    before(async () => {
      temp = await tempStoreUrl(kind);
      file = keyFilePath(temp.dataDir);
    });
    after(async () => temp?.cleanup());

    const withServer = <T>(credentialKeys: string, run: (s: RunningServer) => Promise<T>) =>
      withStore(temp, credentialKeys, run);
    const mint = (s: RunningServer) =>
      mintRoleCredentials(s, { userId: org.users.alice!, userName: 'alice' }, ACCOUNT, 'ReadOnly');

    /** Starting must fail with a configuration error whose message matches every pattern. */
    async function refused(credentialKeys: string, ...patterns: RegExp[]): Promise<string> {
      let message = '';
      await assert.rejects(
        withServer(credentialKeys, async () => undefined),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, String(e));
          message = e.message;
          for (const p of patterns) assert.match(message, p);
          return true;
        },
      );
      return message;
    }

    const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    it('a store whose key file is gone, or replaced by another, refuses to start and makes no key file', async () => {
      const keyId = await withServer('', async (s) => {
        org = await seedOrg(s.deps.ctx, {
          users: [{ userName: 'alice' }],
          accounts: [{ id: ACCOUNT }],
          permissionSets: [{ name: 'ReadOnly' }],
          assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
        });
        first = await mint(s);
        assert.equal(await whoAmI(s.url, first), ACCOUNT);
        return readKeyFile(file).ring.current.id;
      });
      const saved = fs.readFileSync(file);

      fs.rmSync(file);
      await refused(
        '',
        new RegExp(`${literal(file)} does not exist`),
        new RegExp(`used with the credential keys ${literal(keyId)}`),
        /idcenter restore/,
        /idcenter credential-keys adopt/,
      );
      assert.equal(fs.existsSync(file), false, 'no new key file was made');

      const foreign = JSON.stringify({
        keys: [{ id: 'other', secret: Buffer.alloc(32, 9).toString('base64') }],
      });
      fs.writeFileSync(file, foreign, { mode: 0o600 });
      await refused(
        '',
        new RegExp(`${literal(file)} holds other, none of the keys this store knows`),
        /adopt/,
      );
      assert.equal(fs.readFileSync(file, 'utf8'), foreign);

      fs.writeFileSync(file, saved, { mode: 0o600 });
      await withServer('', async (s) => {
        assert.equal(await whoAmI(s.url, first), ACCOUNT, 'the right key file back: credentials verify');
      });
    });

    it('IDCENTER_CREDENTIAL_KEYS with none of the recorded keys refuses to start; with one of them it starts', async () => {
      const { id, secret } = readKeyFile(file).entries[0]!;
      await refused(
        K1,
        /IDCENTER_CREDENTIAL_KEYS \(--credential-keys\) holds k1, none of the keys this store knows/,
      );
      await withServer(`${K1},${id}:${secret}`, async (s) => {
        assert.equal(await whoAmI(s.url, first), ACCOUNT);
      });
      // k1 is recorded now: it alone is enough.
      await withServer(K1, async (s) => {
        assert.deepEqual((await recordedKeyIds(s.deps.ctx.store.db)).sort(), ['k1', id].sort());
        assert.equal(await whoAmI(s.url, first), 'InvalidClientTokenId');
      });
      await refused(K2, /holds k2, none of the keys this store knows/);
    });

    it('credential-keys adopt lets a server start with new keys; credentials sealed under the old ones stop verifying', async () => {
      fs.rmSync(file);
      await refused('', /does not exist/);
      const r = await idcenter([
        'credential-keys',
        'adopt',
        '--data-dir',
        temp.dataDir,
        '--database-url',
        temp.url,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const adopted = readKeyFile(file).ring.current.id;
      assert.match(r.stdout, new RegExp(`Created ${literal(file)} with the sealing key ${literal(adopted)}`));
      assert.match(r.stdout, new RegExp(`now knows the credential keys ${literal(adopted)}`));
      assert.match(r.stderr, /warning: credentials sealed under .*k1.* stop verifying/);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      await withServer('', async (s) => {
        assert.deepEqual(await recordedKeyIds(s.deps.ctx.store.db), [adopted]);
        assert.equal(await whoAmI(s.url, first), 'InvalidClientTokenId');
        const fresh = await mint(s);
        assert.equal(await whoAmI(s.url, fresh), ACCOUNT);
      });
    });

    it('a key rotated under a running server is recorded, so a restart after pruning the old key starts', async () => {
      const before = readKeyFile(file).ring.current.id;
      const rotated = await withServer('', async (s) => {
        const id = rotateKeyFile(temp.dataDir, systemRandom, Date.now());
        await sleep(KEY_FILE_CHECK_INTERVAL_MS + 100);
        const c = await mint(s);
        assert.equal(await whoAmI(s.url, c), ACCOUNT);
        for (let i = 0; i < 50 && !(await recordedKeyIds(s.deps.ctx.store.db)).includes(id); i++)
          await sleep(100);
        assert.deepEqual((await recordedKeyIds(s.deps.ctx.store.db)).sort(), [before, id].sort());
        return id;
      });
      pruneKeyFile(temp.dataDir, Date.now(), 0);
      assert.deepEqual(
        readKeyFile(file).entries.map((e) => e.id),
        [rotated],
      );
      await withServer('', async (s) => {
        assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
      });
    });
  });
}

describe('credential-keys adopt without a store', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-adopt-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses with exit code 253 and writes nothing', async () => {
    const r = await idcenter(['credential-keys', 'adopt', '--data-dir', dir]);
    assert.equal(r.code, 253);
    assert.match(r.stderr, /there is no store at .*idcenter\.db/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
