/**
 * SQLite file store: the WAL is checkpointed by a thread of its own (`storage/sqlite-checkpointer.ts`),
 * not inside the commits of the audit worker. Audit rows committed a moment ago are in the
 * database file itself, read without its WAL, long before the WAL reaches the 1,000 pages at which
 * a commit would checkpoint it; the store still closes cleanly and every row stays readable.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { openStore } from '../../src/storage/db.ts';
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

describe('SQLite WAL checkpoints', () => {
  it('audit rows reach the database file in the background, before the WAL grows to 1,000 pages', async () => {
    const temp = await tempStoreUrl('sqlite');
    const file = path.join(temp.dataDir, 'idcenter.db');
    const store = await openStore(temp.url);
    try {
      // Twenty commits of five rows: a few dozen WAL pages, far from an automatic checkpoint.
      for (let batch = 0; batch < 20; batch++) {
        await store.appendAudit(
          Array.from({ length: 5 }, (_, i) => ({
            at: Date.now(),
            actor: 'user:test',
            action: 'credentials.issue',
            target_type: 'ROLE',
            target_id: `r-${batch}-${i}`,
            detail: '{}',
            source_ip: '127.0.0.1',
            request_id: null,
          })),
        );
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
