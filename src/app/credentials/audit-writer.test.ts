import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRow, Store } from '../../storage/db.ts';
import type { AuditEvent } from '../audit.ts';
import { AuditWriter } from './audit-writer.ts';

/** A store whose audit commits are recorded, and fail while `failing` is set. */
function recordingStore() {
  const commits: AuditRow[][] = [];
  const state = { failing: false };
  const store = {
    async appendAudit(rows: readonly AuditRow[]) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (state.failing) throw new Error('disk full');
      commits.push([...rows]);
    },
  } as unknown as Store;
  return { store, commits, state };
}

const event = (i: number): AuditEvent => ({
  at: i,
  actor: 'user:u1',
  action: 'credentials.issue',
  targetId: `t${i}`,
});

describe('AuditWriter', () => {
  it('commits the events of one turn together, settles each write after its commit, and reports it', async () => {
    const { store, commits } = recordingStore();
    const seen: Array<{ seconds: number; events: number; committed: boolean }> = [];
    const writer = new AuditWriter(store, (seconds, events, committed) =>
      seen.push({ seconds, events, committed }),
    );
    const settled: number[] = [];
    await Promise.all(
      [1, 2, 3].map((i) =>
        writer.write(event(i)).then(() => {
          // Committed by then: its row is in a commit already made.
          assert.ok(commits.flat().some((r) => r.target_id === `t${i}`));
          settled.push(i);
        }),
      ),
    );
    assert.deepEqual(settled, [1, 2, 3]);
    assert.equal(commits.length, 1);
    assert.deepEqual(
      commits[0]!.map((r) => r.target_id),
      ['t1', 't2', 't3'],
    );
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.events, 3);
    assert.equal(seen[0]!.committed, true);
    // In seconds: a 2 ms commit is well under half a second (in milliseconds it would be about 2).
    const { seconds } = seen[0]!;
    assert.ok(seconds > 0 && seconds < 0.5, `a 2 ms commit reported as ${seconds} s`);
  });

  it('events written during a commit go out together in the next one; long queues are split', async () => {
    const { store, commits } = recordingStore();
    const sizes: number[] = [];
    const writer = new AuditWriter(store, (_s, events) => sizes.push(events));
    const first = writer.write(event(0));
    // Let the first batch start its commit, then queue 2,500 more while it runs.
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 2500 }, (_, i) => writer.write(event(i + 1)));
    await Promise.all([first, ...rest]);
    assert.deepEqual(
      commits.map((c) => c.length),
      [1, 2000, 500],
    );
    assert.deepEqual(sizes, [1, 2000, 500]);
    assert.deepEqual(
      commits.flat().map((r) => r.at),
      Array.from({ length: 2501 }, (_, i) => i),
    );
  });

  it('a failed commit fails every write it carried, is reported as failed, and the next commit still runs', async () => {
    const { store, commits, state } = recordingStore();
    const seen: Array<{ events: number; committed: boolean }> = [];
    const writer = new AuditWriter(store, (_s, events, committed) => seen.push({ events, committed }));
    state.failing = true;
    const results = await Promise.allSettled([writer.write(event(1)), writer.write(event(2))]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.match(String((results[0] as PromiseRejectedResult).reason), /disk full/);
    state.failing = false;
    await writer.write(event(3));
    assert.deepEqual(
      commits.map((c) => c.map((r) => r.target_id)),
      [['t3']],
    );
    assert.deepEqual(seen, [
      { events: 2, committed: false },
      { events: 1, committed: true },
    ]);
  });

  it('hands a new batch to the store while the one before is still being committed', async () => {
    const calls: number[] = [];
    const gates: Array<() => void> = [];
    const store = {
      appendAudit(rows: readonly AuditRow[]) {
        calls.push(rows.length);
        return new Promise<void>((resolve) => gates.push(resolve));
      },
    } as unknown as Store;
    const writer = new AuditWriter(store);
    const first = writer.write(event(1));
    await new Promise((resolve) => setImmediate(resolve));
    const second = [writer.write(event(2)), writer.write(event(3))];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, [1, 2], 'the second batch did not wait for the first commit');
    // Its commit settles its writes, whatever the first one is still doing.
    gates[1]!();
    await Promise.all(second);
    gates[0]!();
    await first;
  });
});
