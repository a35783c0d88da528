import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { ClientIO } from './io.ts';
import { withFileLock } from './lock.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-lock-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function io(): ClientIO {
  return {
    env: {},
    stdout: { write: () => true },
    stderr: { write: () => true },
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    debug: () => {},
    debugEnabled: false,
  };
}

/** A process id that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid as number;
}

describe('cache lock file', () => {
  it('creates the lock beside the file, runs, and removes it', async () => {
    const file = path.join(dir, 'a.json');
    let seen = false;
    const v = await withFileLock(file, io(), async () => {
      seen = fs.existsSync(`${file}.lock`);
      return 42;
    });
    assert.equal(v, 42);
    assert.equal(seen, true);
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });

  it('breaks a lock whose process is gone', async () => {
    const file = path.join(dir, 'b.json');
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: await deadPid(), at: Date.now() }));
    assert.equal(await withFileLock(file, io(), async () => 'ran'), 'ran');
  });

  it('waits for a live holder, and an empty just-created lock is not stale', async () => {
    for (const content of [JSON.stringify({ pid: process.ppid, at: Date.now() }), '']) {
      const file = path.join(dir, `c${content.length}.json`);
      fs.writeFileSync(`${file}.lock`, content);
      await assert.rejects(
        withFileLock(file, io(), async () => 'ran', { timeoutMs: 300, pollMs: 20 }),
        /another idcenter process holds .*c\d+\.json\.lock/,
      );
      assert.equal(fs.readFileSync(`${file}.lock`, 'utf8'), content, 'the holder keeps its lock');
      // Once the holder is done, the waiter runs.
      setTimeout(() => fs.rmSync(`${file}.lock`), 100);
      assert.equal(await withFileLock(file, io(), async () => 'ran', { timeoutMs: 5000, pollMs: 20 }), 'ran');
    }
  });

  it('breaks an old lock even if its process id is alive (reused pid)', async () => {
    const file = path.join(dir, 'd.json');
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, at: 0 }));
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(`${file}.lock`, old, old);
    assert.equal(await withFileLock(file, io(), async () => 'ran', { timeoutMs: 1000 }), 'ran');
  });
});
