/**
 * The data directory holds password hashes and the keys that seal TOTP
 * secrets and role credentials, so nobody but the server's user may read it. A server started
 * on a fresh data directory (SQLite: the store, its -wal and -shm, the server lock with its
 * journal and pid file; both stores: the credential key file) makes the directory 0700 and every
 * file 0600 under the usual umask 022; `idcenter apply` into a fresh data directory does the
 * same; a server that finds looser modes tightens them and names each one in a warning.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { idcenter, SMALL_ORG } from '../helpers/apply.ts';
import { createTempDatabase, type TempDatabase } from '../helpers/pg.ts';
import { startTestServer } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl } from '../helpers/stores.ts';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** Every entry under `dir` (itself included) with its mode, as `path 0600`. */
function modes(dir: string): string[] {
  const out = [`${dir} 0${mode(dir).toString(8)}`];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...modes(p));
    else out.push(`${p} 0${mode(p).toString(8)}`);
  }
  return out.sort();
}

/** What `modes` should say when everything is private. */
function privateModes(dir: string): string[] {
  return modes(dir).map((line) => {
    const p = line.slice(0, line.lastIndexOf(' '));
    return `${p} ${fs.statSync(p).isDirectory() ? '0700' : '0600'}`;
  });
}

let savedUmask: number;
before(() => {
  // What a shell usually has; the modes must not depend on it.
  savedUmask = process.umask(0o022);
});
after(() => {
  process.umask(savedUmask);
});

for (const kind of STORE_KINDS) {
  describe(`data directory modes (${kind})`, () => {
    let outer: string;
    let dataDir: string;
    let pg: TempDatabase | undefined;
    let store: TempStoreUrl;

    before(async () => {
      outer = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-modes-'));
      dataDir = path.join(outer, 'data');
      pg = kind === 'postgres' ? await createTempDatabase() : undefined;
      store = {
        url: pg ? pg.url : `sqlite:${path.join(dataDir, 'idcenter.db')}`,
        dataDir,
        async cleanup() {},
      };
    });
    after(async () => {
      await pg?.drop();
      fs.rmSync(outer, { recursive: true, force: true });
    });

    it('a server started on a fresh data directory makes it 0700 and every file in it 0600', async () => {
      const server = await startTestServer({ reuse: store });
      try {
        // A write, so SQLite has its -wal and -shm.
        assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
        const names = fs.readdirSync(dataDir).sort();
        const expected =
          kind === 'sqlite'
            ? [
                'credential-keys.json',
                'idcenter.db',
                'idcenter.db-shm',
                'idcenter.db-wal',
                'idcenter.db.server-lock',
                'idcenter.db.server-lock-journal',
                'idcenter.db.server-pid',
              ]
            : ['credential-keys.json'];
        assert.deepEqual(names, expected);
        assert.deepEqual(modes(dataDir), privateModes(dataDir));
        assert.equal(mode(dataDir), 0o700);
        assert.equal(mode(path.join(dataDir, 'credential-keys.json')), 0o600);
      } finally {
        await server.stop();
      }
    });

    it('loose modes found at start are made private, each named in a warning; other files are left alone', async () => {
      const tls = path.join(dataDir, 'tls');
      fs.mkdirSync(tls, { recursive: true });
      fs.writeFileSync(path.join(tls, 'server-key.pem'), 'not a real key\n');
      fs.writeFileSync(path.join(outer, 'unrelated'), 'x');
      const loosened: string[] = [];
      for (const name of fs.readdirSync(dataDir)) {
        const p = path.join(dataDir, name);
        fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
        loosened.push(p);
      }
      fs.chmodSync(path.join(tls, 'server-key.pem'), 0o644);
      loosened.push(path.join(tls, 'server-key.pem'));
      fs.chmodSync(dataDir, 0o755);
      loosened.push(dataDir);
      // Not idcenter's: never touched, even inside the data directory.
      const notes = path.join(dataDir, 'operator-notes.txt');
      fs.writeFileSync(notes, 'hello', { mode: 0o644 });

      const server = await startTestServer({ reuse: store });
      try {
        assert.deepEqual(
          modes(dataDir).filter((l) => !l.startsWith(notes)),
          privateModes(dataDir).filter((l) => !l.startsWith(notes)),
        );
        assert.equal(mode(notes), 0o644);
        const warning = server.logs.map((l) => JSON.parse(l)).find((l) => Array.isArray(l.files));
        assert.ok(warning, 'a warning about the loose modes');
        assert.equal(warning.level, 40);
        assert.deepEqual(warning.files.map((f: { path: string }) => f.path).sort(), [...loosened].sort());
        for (const f of warning.files as Array<{ path: string; was: string }>) {
          assert.equal(f.was, f.path === dataDir || f.path === tls ? '0755' : '0644');
          assert.ok(warning.msg.includes(f.path), `the message names ${f.path}`);
        }
      } finally {
        await server.stop();
      }
      fs.rmSync(notes);
      fs.rmSync(tls, { recursive: true });
    });
  });
}

describe('idcenter apply into a fresh data directory (SQLite)', () => {
  // On PostgreSQL, apply writes no file.
  let outer: string;
  before(() => {
    outer = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-modes-apply-'));
  });
  after(() => fs.rmSync(outer, { recursive: true, force: true }));

  it('creates the directory 0700 and the store files 0600', async () => {
    const file = path.join(outer, 'org.yaml');
    fs.writeFileSync(file, SMALL_ORG);
    const dataDir = path.join(outer, 'nested', 'data');
    const r = await idcenter(['apply', '-f', file, '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(dataDir, 'idcenter.db')));
    assert.deepEqual(modes(dataDir), privateModes(dataDir));
    assert.equal(mode(path.join(outer, 'nested')), 0o700, 'a parent it made too');
  });
});
