/**
 * The credential key file changing under a running server: rotate and prune (atomic, mode 0600,
 * one change at a time, a bad file never replaced or replacing), which keys prune may remove,
 * and the credential service re-reading the file at most once a second, keeping the keys it
 * had when the file became unusable.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { tempStoreUrl } from '../../../test/helpers/stores.ts';
import { ManualClock, systemRandom } from '../../domain/runtime.ts';
import { openStore, type Store } from '../../storage/db.ts';
import { createAppContext } from '../context.ts';
import { ensureInstance } from '../instance.ts';
import {
  CredentialKeyError,
  type KeyFileEntry,
  keyFilePath,
  loadKeyFile,
  planPrune,
  pruneKeyFile,
  readKeyFile,
  rotateKeyFile,
} from './keys.ts';
import { newAccessKeyId, sealCredentials } from './seal.ts';
import { checkRoleCredentials, createCredentialService, KEY_FILE_CHECK_INTERVAL_MS } from './service.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const HOUR = 3600_000;

const entry = (id: string, createdAt?: number): KeyFileEntry => ({
  id,
  secret: Buffer.alloc(32, id.length).toString('base64'),
  ...(createdAt !== undefined ? { createdAt: new Date(createdAt).toISOString() } : {}),
});

describe('planPrune', () => {
  const keys = [entry('k3', T0), entry('k2', T0 - 13 * HOUR), entry('k1', T0 - 20 * HOUR)];

  it('removes a key once the key listed before it is older than the margin, never the first', () => {
    const plan = planPrune(keys, T0, 12 * HOUR);
    assert.deepEqual(
      plan.remove.map((k) => k.id),
      ['k1'],
    );
    assert.equal(plan.remove[0]?.retiredAt, T0 - 13 * HOUR, 'k1 stopped sealing when k2 was created');
    assert.deepEqual(
      plan.keep.map((k) => [k.id, k.retiredAt]),
      [['k2', T0]],
    );
    assert.deepEqual(
      planPrune(keys, T0, 0).remove.map((k) => k.id),
      ['k2', 'k1'],
    );
    assert.deepEqual(planPrune([entry('k3', T0 - 100 * HOUR)], T0, 0), { remove: [], keep: [] });
  });

  it('keeps a key whose retirement time is unknown (the key before it has no createdAt)', () => {
    const plan = planPrune([entry('k2'), entry('k1', T0 - 20 * HOUR)], T0 + 100 * HOUR, 0);
    assert.deepEqual(plan.remove, []);
    assert.deepEqual(plan.keep, [
      { id: 'k1', createdAt: new Date(T0 - 20 * HOUR).toISOString(), retiredAt: null },
    ]);
  });
});

describe('key file changes', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-keyfile-'));
    file = keyFilePath(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const mode = () => fs.statSync(file).mode & 0o777;
  const leftovers = () => fs.readdirSync(dir).filter((n) => n !== 'credential-keys.json');

  it('rotate puts a key first, keeps every other entry and field, stays 0600 and leaves no temp file', () => {
    fs.writeFileSync(file, JSON.stringify({ note: 'kept', keys: [{ ...entry('k1', T0), extra: 1 }] }), {
      mode: 0o600,
    });
    const id = rotateKeyFile(dir, systemRandom, T0 + HOUR);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(doc.note, 'kept');
    assert.deepEqual(
      doc.keys.map((k: KeyFileEntry) => k.id),
      [id, 'k1'],
    );
    assert.equal(doc.keys[0].createdAt, new Date(T0 + HOUR).toISOString());
    assert.equal(doc.keys[1].extra, 1);
    assert.equal(readKeyFile(file).ring.current.id, id);
    assert.equal(mode(), 0o600);
    assert.deepEqual(leftovers(), []);
  });

  it('rotate without a key file writes one with a single key; prune needs a file', () => {
    const id = rotateKeyFile(dir, systemRandom, T0);
    assert.deepEqual(
      readKeyFile(file).entries.map((e) => e.id),
      [id],
    );
    assert.equal(mode(), 0o600);
    fs.rmSync(file);
    assert.throws(
      () => pruneKeyFile(dir, T0, 0),
      (e) => e instanceof CredentialKeyError && e.missing,
    );
  });

  it('prune removes retired keys, keeps the sealing key and mode 0600; nothing to remove writes nothing', () => {
    fs.writeFileSync(
      file,
      JSON.stringify({ keys: [entry('k3', T0), entry('k2', T0 - 13 * HOUR), entry('k1', T0 - 20 * HOUR)] }),
      { mode: 0o600 },
    );
    const plan = pruneKeyFile(dir, T0, 12 * HOUR);
    assert.deepEqual(
      plan.remove.map((k) => k.id),
      ['k1'],
    );
    assert.deepEqual(
      readKeyFile(file).entries.map((e) => e.id),
      ['k3', 'k2'],
    );
    assert.equal(mode(), 0o600);
    const ino = fs.statSync(file).ino;
    assert.deepEqual(pruneKeyFile(dir, T0, 12 * HOUR).remove, []);
    assert.equal(fs.statSync(file).ino, ino, 'not rewritten');
    pruneKeyFile(dir, T0 + 100 * HOUR, 12 * HOUR);
    assert.deepEqual(
      readKeyFile(file).entries.map((e) => e.id),
      ['k3'],
    );
    assert.deepEqual(leftovers(), []);
  });

  it('a corrupt key file is reported and left exactly as it was', () => {
    for (const body of ['{"keys":', '{"keys":[{"id":"k1"}]}', JSON.stringify({ keys: [entry('a b', T0)] })]) {
      fs.writeFileSync(file, body, { mode: 0o600 });
      assert.throws(() => rotateKeyFile(dir, systemRandom, T0), CredentialKeyError);
      assert.throws(() => pruneKeyFile(dir, T0, 0), CredentialKeyError);
      assert.equal(fs.readFileSync(file, 'utf8'), body);
      assert.deepEqual(leftovers(), []);
    }
  });

  it('one change at a time: a fresh temp file refuses, a stale one is replaced', () => {
    loadKeyFile(dir, systemRandom, T0);
    const before = fs.readFileSync(file, 'utf8');
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, 'partial');
    assert.throws(() => rotateKeyFile(dir, systemRandom, T0), /another change/);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    assert.equal(fs.readFileSync(tmp, 'utf8'), 'partial', "the other command's file is not touched");
    const old = new Date(Date.now() - 5 * 60_000);
    fs.utimesSync(tmp, old, old);
    rotateKeyFile(dir, systemRandom, T0);
    assert.equal(readKeyFile(file).entries.length, 2);
    assert.deepEqual(leftovers(), []);
  });

  it('the temp file is created 0600 whatever the umask', () => {
    loadKeyFile(dir, systemRandom, T0);
    const previous = process.umask(0);
    try {
      rotateKeyFile(dir, systemRandom, T0);
    } finally {
      process.umask(previous);
    }
    assert.equal(mode(), 0o600);
  });
});

describe('a running server re-reads a changed key file', () => {
  let dir: string;
  let store: Store;
  const clock = new ManualClock(T0);
  const logs: Array<{ level: string; obj: object; msg: string }> = [];
  const log = {
    info: (obj: object, msg: string) => logs.push({ level: 'info', obj, msg }),
    error: (obj: object, msg: string) => logs.push({ level: 'error', obj, msg }),
  };

  before(async () => {
    const temp = await tempStoreUrl('sqlite');
    dir = temp.dataDir;
    store = await openStore(temp.url);
    await ensureInstance(createAppContext(store, { clock }));
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const seal = (ring: Parameters<typeof sealCredentials>[0]) =>
    sealCredentials(ring, systemRandom, {
      accessKeyId: newAccessKeyId(systemRandom, '111111111111'),
      userId: 'u-1',
      userName: 'alice',
      accountId: '111111111111',
      permissionSetId: 'ps-1',
      roleName: 'ReadOnly',
      roleHash: '0123456789abcdef',
      roleId: 'AROAABCDEFGHIJKLMNOPQ',
      sessionId: null,
      familyId: null,
      issuedAt: clock.now(),
      expiresAt: clock.now() + HOUR,
    });

  it('sees rotate and prune within a second, not sooner; a bad file keeps the keys loaded before', async () => {
    const service = createCredentialService({
      ctx: createAppContext(store, { clock }),
      config: { credentialKeys: '', dataDir: dir },
      log,
    });
    const first = service.ring.current.id;
    const old = seal(service.ring);
    const check = async (c: typeof old) =>
      (await checkRoleCredentials(service, clock.now(), c.accessKeyId, c.sessionToken)).ok;
    assert.equal(await check(old), true);

    const next = rotateKeyFile(dir, systemRandom, clock.now());
    clock.advance(KEY_FILE_CHECK_INTERVAL_MS - 1);
    assert.equal(service.ring.current.id, first, 'not looked at within the interval');
    clock.advance(1);
    assert.equal(service.ring.current.id, next);
    assert.deepEqual(
      logs.map((l) => [l.level, l.msg]),
      [['info', 'credential key file changed; keys reloaded']],
    );
    const fresh = seal(service.ring);
    assert.equal(await check(fresh), true);
    assert.equal(await check(old), true, 'the old key still opens what it sealed');

    // A corrupt file: reported once, the keys loaded before stay.
    const good = fs.readFileSync(keyFilePath(dir), 'utf8');
    fs.writeFileSync(keyFilePath(dir), '{"keys": [');
    clock.advance(KEY_FILE_CHECK_INTERVAL_MS);
    assert.equal(service.ring.current.id, next);
    clock.advance(KEY_FILE_CHECK_INTERVAL_MS);
    assert.equal(await check(old), true);
    const errors = logs.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, 'one report per change');
    assert.match(errors[0]!.msg, /cannot be used; the keys loaded before stay in force/);
    // The secret is base64 (+ and / included): looked for as text, never as a pattern.
    const secretStart: string = JSON.parse(good).keys[0].secret.slice(0, 12);
    assert.equal(JSON.stringify(logs).includes(secretStart), false, 'the key secret reached the log');

    // Gone: reported, keys kept.
    fs.rmSync(keyFilePath(dir));
    clock.advance(KEY_FILE_CHECK_INTERVAL_MS);
    assert.equal(service.ring.current.id, next);
    assert.equal(logs.filter((l) => l.level === 'error').length, 2);

    // Restored, then the old key pruned: its token (opened and cached before) is refused.
    fs.writeFileSync(keyFilePath(dir), good, { mode: 0o600 });
    pruneKeyFile(dir, clock.now(), 0);
    clock.advance(KEY_FILE_CHECK_INTERVAL_MS);
    assert.deepEqual([...service.ring.byId.keys()], [next]);
    assert.equal(await check(old), false);
    assert.equal(await check(fresh), true);
  });
});
