/**
 * `idcenter audit prune --older-than D [--dry-run]` (the built binary, a separate process) on
 * SQLite and PostgreSQL: a dry run counts and deletes nothing; a run deletes exactly the events
 * older than the cutoff, in chunks with progress on stderr, and records the deletion as an
 * `audit.prune` event that `audit tail` shows; bad input exits with the syntax code and changes
 * nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AuditEvent, PRUNE_CHUNK, writeAuditBatch } from '../../src/app/audit.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { run } from '../helpers/python.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const BIN = path.resolve('bin/idcenter.js');
const DAY = 86_400_000;
const OLD = 2 * PRUNE_CHUNK + 123;
const RECENT = 3;

for (const kind of STORE_KINDS) {
  describe(`idcenter audit prune (${kind})`, () => {
    let temp: TempStoreUrl;
    let store: Store;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      temp = await tempStoreUrl(kind);
      store = await openStore(temp.url);
      const now = Date.now();
      const event = (at: number, i: number): AuditEvent => ({
        at,
        actor: 'user:u-1',
        action: 'credentials.issue',
        targetType: 'ROLE',
        targetId: `111111111111/ReadOnly-${i}`,
        detail: { n: i },
      });
      await writeAuditBatch(
        store.db,
        Array.from({ length: OLD }, (_, i) => event(now - 400 * DAY - i * 1000, i)),
      );
      await writeAuditBatch(
        store.db,
        Array.from({ length: RECENT }, (_, i) => event(now - 10 * DAY, i)),
      );
      env = {
        ...process.env,
        IDCENTER_DATABASE_URL: temp.url,
        IDCENTER_DATA_DIR: temp.dataDir,
        NO_COLOR: '1',
      };
    });
    after(async () => {
      await store?.close();
      await temp?.cleanup();
    });

    const count = async () => {
      const rows = await store.db
        .selectFrom('audit_events')
        .select(['action', 'detail', 'actor'])
        .orderBy('id')
        .execute();
      return rows;
    };

    it('refuses a missing or unreadable duration with the syntax exit code and deletes nothing', async () => {
      const missing = await run(process.execPath, [BIN, 'audit', 'prune'], { env });
      assert.equal(missing.code, 252, missing.stderr);
      assert.match(missing.stderr, /--older-than/);
      const bad = await run(process.execPath, [BIN, 'audit', 'prune', '--older-than', 'soon'], { env });
      assert.equal(bad.code, 252, bad.stderr);
      assert.match(bad.stderr, /"soon" is not a duration; write e\.g\. 400d/);
      assert.equal((await count()).length, OLD + RECENT);
    });

    it('--dry-run counts what would go and deletes nothing', async () => {
      const r = await run(process.execPath, [BIN, 'audit', 'prune', '--older-than', '90d', '--dry-run'], {
        env,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^Would delete ${OLD} audit events older than \\d{4}-\\d\\d-\\d\\dT`),
      );
      assert.match(r.stdout, /Dry run: nothing was deleted\./);
      assert.equal((await count()).length, OLD + RECENT);
    });

    it('deletes exactly the older events in chunks, says so, and records the deletion', async () => {
      const r = await run(process.execPath, [BIN, 'audit', 'prune', '--older-than', '90d'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Deleted ${OLD} audit events older than `));
      assert.match(r.stderr, new RegExp(`deleted ${PRUNE_CHUNK} so far`), 'progress on a long run');
      assert.match(r.stderr, new RegExp(`deleted ${2 * PRUNE_CHUNK} so far`));
      const rows = await count();
      assert.equal(rows.length, RECENT + 1);
      assert.deepEqual(
        rows.slice(0, RECENT).map((e) => e.action),
        Array(RECENT).fill('credentials.issue'),
        'the recent events stay',
      );
      const pruned = rows[RECENT]!;
      assert.equal(pruned.action, 'audit.prune');
      assert.equal(pruned.actor, 'cli:audit');
      const detail = JSON.parse(pruned.detail ?? '{}') as { deleted: number; before: string };
      assert.equal(detail.deleted, OLD);
      assert.ok(Date.now() - Date.parse(detail.before) >= 90 * DAY - 60_000);

      const tail = await run(process.execPath, [BIN, 'audit', 'tail', '-n', '1', '--json'], { env });
      assert.equal(tail.code, 0, tail.stderr);
      const record = JSON.parse(tail.stdout.trim()) as Record<string, unknown>;
      assert.equal(record.idcenterAction, 'audit.prune');
      assert.deepEqual(record.requestParameters, detail);

      const again = await run(process.execPath, [BIN, 'audit', 'prune', '--older-than', '90d'], { env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^Deleted 0 audit events older than /);
      assert.equal(again.stderr, '');
    });
  });
}
