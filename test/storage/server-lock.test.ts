/**
 * The one-server lock on a SQLite store says "another server" only when
 * another holds it; a failure to write beside the store is reported as itself (the errno or
 * SQLite's code) with what to do. A full disk, for real, is in `test/e2e/full-disk.test.ts`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StoreError } from '../../src/storage/db.ts';
import { acquireServerLock } from '../../src/storage/server-lock.ts';

describe('server lock', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-lock-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a second holder is told which process holds it', () => {
    const db = path.join(dir, 'held.db');
    const first = acquireServerLock(db, 4242);
    try {
      assert.throws(
        () => acquireServerLock(db),
        (e: unknown) =>
          e instanceof StoreError && /another idcenter server \(pid 4242\) is already using/.test(e.message),
      );
    } finally {
      first.release();
    }
    acquireServerLock(db).release();
  });

  it('a directory that does not exist is reported as such, not as another server', () => {
    const db = path.join(dir, 'missing', 'idcenter.db');
    assert.throws(
      () => acquireServerLock(db),
      (e: unknown) => {
        assert.ok(e instanceof StoreError, String(e));
        assert.match(
          e.message,
          /^cannot take the server lock for .*idcenter\.db: writing .*\.server-lock failed: ENOENT/,
        );
        assert.doesNotMatch(e.message, /another idcenter server/);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
  });

  it('a pid file that cannot be written is named, and the lock is given back', () => {
    const db = path.join(dir, 'pid.db');
    fs.mkdirSync(`${db}.server-pid`);
    assert.throws(
      () => acquireServerLock(db),
      (e: unknown) => {
        assert.ok(e instanceof StoreError, String(e));
        assert.match(e.message, /writing .*pid\.db\.server-pid failed: EISDIR/);
        assert.doesNotMatch(e.message, /another idcenter server/);
        return true;
      },
    );
    fs.rmdirSync(`${db}.server-pid`);
    acquireServerLock(db).release();
  });
});
