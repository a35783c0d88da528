/**
 * `idcenter apply` against a store a server is using (SQLite file and PostgreSQL): the server's
 * next read sees the change. And a large apply killed with SIGKILL in the middle of its writes
 * leaves the store fully before (never half-applied); running it again completes it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listAllAccess } from '../../src/app/access.ts';
import { currentGeneration } from '../../src/app/instance.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { count, idcenter, SMALL_ORG } from '../helpers/apply.ts';
import { type BigOrgSize, expectedAssignments, generateBigOrg } from '../helpers/big-org.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/idcenter.js');

/** Big enough that writing takes seconds: 10,000 users, 36,935 assignment rows. */
const KILL_SIZE: BigOrgSize = {
  accounts: 1000,
  users: 10_000,
  groups: 400,
  permissionSets: 50,
  accountsPerGroup: 25,
  directUsers: 2000,
  directPerUser: 5,
  units: 10,
  teamsPerUnit: 5,
};

for (const kind of STORE_KINDS) {
  describe(`apply while a server runs on ${kind}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ store: kind });
    });
    after(async () => {
      await server.stop();
    });

    it('is seen by the server on its next read', async () => {
      const db = server.deps.ctx.store.db;
      const generation = await currentGeneration(db);
      const file = path.join(server.config.dataDir, 'org.yaml');
      fs.writeFileSync(file, SMALL_ORG);
      const r = await idcenter(['apply', '-f', file, '--database-url', server.config.databaseUrl]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Applied: /m);
      const alice = await db
        .selectFrom('users')
        .select('id')
        .where('user_name_lower', '=', 'alice')
        .executeTakeFirstOrThrow();
      assert.deepEqual(await listAllAccess({ db }, alice.id), [
        {
          accountId: '111111111111',
          accountName: 'Production',
          emailAddress: 'prod@example.com',
          roles: ['ReadOnly'],
          console: false,
        },
      ]);
      assert.ok((await currentGeneration(db)) > generation);
      // The server keeps answering.
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
    });
  });

  describe(`SIGKILL in the middle of a large apply on ${kind}`, () => {
    let temp: TempStoreUrl;
    let file: string;
    before(async () => {
      temp = await tempStoreUrl(kind);
      file = path.join(temp.dataDir, 'big.yaml');
      fs.writeFileSync(file, generateBigOrg(KILL_SIZE));
    });
    after(async () => {
      await temp.cleanup();
    });

    it('leaves the store either fully before or fully after, and a second run completes it', async () => {
      const child = spawn(process.execPath, [BIN, 'apply', '-f', file, '--database-url', temp.url], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let killed = false;
      const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          // Users are written before memberships and assignments: the transaction is mid-way.
          if (!killed && /^ {2}users: /m.test(stderr)) {
            killed = true;
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('close', () => resolve());
      });
      const code = await done;
      assert.ok(killed, `the apply finished before it could be killed:\n${stderr}`);
      assert.equal(code, null, 'killed by the signal');

      let store: Store | undefined;
      try {
        store = await openStore(temp.url);
        const counts = {
          accounts: await count(store, 'accounts'),
          users: await count(store, 'users'),
          groups: await count(store, 'groups'),
          assignments: await count(store, 'account_assignments'),
          audit: await count(store, 'audit_events'),
        };
        const none = { accounts: 0, users: 0, groups: 0, assignments: 0, audit: 0 };
        const all = {
          accounts: KILL_SIZE.accounts,
          users: KILL_SIZE.users,
          groups: KILL_SIZE.groups,
          assignments: expectedAssignments(KILL_SIZE),
          audit: counts.audit,
        };
        assert.ok(
          JSON.stringify(counts) === JSON.stringify(none) || JSON.stringify(counts) === JSON.stringify(all),
          `store is half-applied: ${JSON.stringify(counts)}`,
        );
      } finally {
        await store?.close();
      }

      const again = await idcenter(['apply', '-f', file, '--database-url', temp.url], { timeoutMs: 300_000 });
      assert.equal(again.code, 0, again.stderr);
      store = await openStore(temp.url);
      try {
        assert.equal(await count(store, 'users'), KILL_SIZE.users);
        assert.equal(await count(store, 'account_assignments'), expectedAssignments(KILL_SIZE));
      } finally {
        await store.close();
      }
    });
  });
}

describe('the generated organization used by the kill test', () => {
  it('expands to the number of rows the test expects', async () => {
    const { parseOrgFile } = await import('../../src/app/org-file/index.ts');
    const parsed = parseOrgFile(generateBigOrg(KILL_SIZE));
    assert.ok(parsed.ok);
    if (parsed.ok) assert.equal(parsed.org.assignments.length, expectedAssignments(KILL_SIZE));
  });
});
