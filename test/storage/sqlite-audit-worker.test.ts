/**
 * SQLite file store, the audit worker (`storage/audit-worker.ts`) and the WAL checkpoints beside
 * it (`storage/sqlite-checkpointer.ts`):
 * - batches handed over while others are being committed all commit (several to a transaction),
 *   while transactions of the main connection that read and then write run in between and never
 *   fail (the worker never commits inside one);
 * - the WAL is checkpointed by a thread of its own, not inside the audit commits: rows committed
 *   a moment ago are in the database file itself, read without its WAL, long before the WAL
 *   reaches the 1,000 pages at which a commit would checkpoint it; the store still closes cleanly
 *   and every row stays readable.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { type AuditRow, openStore } from '../../src/storage/db.ts';
import { CHECKPOINT_INTERVAL_MS } from '../../src/storage/sqlite-checkpointer.ts';
import { tempStoreUrl } from '../helpers/stores.ts';

/** How many audit rows the database file holds on its own: a copy of it opened without the WAL. */
function rowsInDatabaseFile(file: string): number {
  const copy = `${file}.copy`;
  fs.copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    const table = db.prepare("select 1 from sqlite_master where name = 'audit_events'").get();
    return table ? (db.prepare('select count(*) as n from audit_events').get() as { n: number }).n : 0;
  } finally {
    db.close();
    fs.rmSync(copy, { force: true });
  }
}

const row = (targetId: string): AuditRow => ({
  at: Date.now(),
  actor: 'user:test',
  action: 'credentials.issue',
  target_type: 'ROLE',
  target_id: targetId,
  detail: '{}',
  source_ip: '127.0.0.1',
  request_id: null,
});

describe('SQLite audit worker', () => {
  it('commits batches handed over during other commits, beside read-then-write transactions', async () => {
    const temp = await tempStoreUrl('sqlite');
    const store = await openStore(temp.url);
    try {
      const appends: Array<Promise<void>> = [];
      const transactions: Array<Promise<void>> = [];
      for (let round = 0; round < 40; round++) {
        appends.push(store.appendAudit([row(`a-${round}-0`), row(`a-${round}-1`)]));
        // A deferred transaction that reads, then writes: it would fail (SQLITE_BUSY_SNAPSHOT)
        // had the worker committed between its read and its write.
        transactions.push(
          store.db.transaction().execute(async (trx) => {
            const n = await trx
              .selectFrom('audit_events')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow();
            await trx
              .insertInto('audit_events')
              .values(row(`t-${round}-${Number(n.n) >= 0}`))
              .execute();
          }),
        );
        if (round % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all([...appends, ...transactions]);
      const rows = await store.db.selectFrom('audit_events').select('target_id').execute();
      const ids = new Set(rows.map((r) => r.target_id));
      for (let round = 0; round < 40; round++) {
        assert.ok(ids.has(`a-${round}-0`) && ids.has(`a-${round}-1`), `batch ${round} committed`);
        assert.ok(ids.has(`t-${round}-true`), `transaction ${round} committed`);
      }
      assert.equal(rows.length, 120);
    } finally {
      await store.close();
      await temp.cleanup();
    }
  });
});

describe('SQLite WAL checkpoints', () => {
  it('audit rows reach the database file in the background, before the WAL grows to 1,000 pages', async () => {
    const temp = await tempStoreUrl('sqlite');
    const file = path.join(temp.dataDir, 'idcenter.db');
    const store = await openStore(temp.url);
    try {
      // Twenty commits of five rows: a few dozen WAL pages, far from an automatic checkpoint.
      for (let batch = 0; batch < 20; batch++) {
        await store.appendAudit(Array.from({ length: 5 }, (_, i) => row(`r-${batch}-${i}`)));
      }
      assert.ok(fs.statSync(`${file}-wal`).size < 1000 * 4096, 'the WAL is still small');
      let inFile = 0;
      for (let i = 0; i < 40 && inFile < 100; i++) {
        await sleep(CHECKPOINT_INTERVAL_MS / 2);
        inFile = rowsInDatabaseFile(file);
      }
      assert.equal(inFile, 100, 'every committed row was checkpointed into the database file');
    } finally {
      await store.close();
    }
    assert.equal(fs.existsSync(`${file}-wal`), false, 'closing the store leaves no WAL behind');
    const reopened = await openStore(temp.url);
    const n = await reopened.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 100);
    await reopened.close();
    await temp.cleanup();
  });
});
