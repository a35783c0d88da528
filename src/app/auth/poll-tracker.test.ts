import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore, type Store } from '../../storage/db.ts';
import { PollTracker } from './poll-tracker.ts';

describe('PollTracker', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
  });
  after(async () => store.close());

  it('answers "too soon" only for the same code and client within the interval', () => {
    const t = new PollTracker(store);
    const now = 1_000_000;
    assert.equal(t.tooSoon('h1', 'c1', now, 500), undefined, 'unknown code: read the store');
    t.record('g1', 'h1', 'c1', now, 5);
    assert.deepEqual(t.tooSoon('h1', 'c1', now + 1000, 500), { grantId: 'g1', intervalS: 5 });
    assert.equal(
      t.tooSoon('h1', 'other-client', now + 1000, 500),
      undefined,
      'another client reads the store',
    );
    assert.equal(t.tooSoon('h1', 'c1', now + 4500, 500), undefined, 'the interval has passed');
    t.record('g1', 'h1', 'c1', now + 1000, 10);
    assert.deepEqual(
      t.tooSoon('h1', 'c1', now + 9000, 500),
      { grantId: 'g1', intervalS: 10 },
      'grown interval',
    );
    t.forget('g1');
    assert.equal(t.tooSoon('h1', 'c1', now + 1001, 500), undefined, 'forgotten after approval');
    assert.equal(t.get('g1'), undefined);
  });

  it('never moves a recorded poll or interval backwards, and sweeps codes that cannot be alive', () => {
    const t = new PollTracker(store);
    t.record('g1', 'h1', 'c1', 5000, 10);
    t.record('g1', 'h1', 'c1', 4000, 5);
    assert.deepEqual(t.get('g1')?.lastPollAt, 5000);
    assert.deepEqual(t.get('g1')?.intervalS, 10);
    const later = 5000 + 12 * 60_000;
    for (let i = 0; i < 1000; i++) t.record(`n${i}`, `hn${i}`, 'c1', later, 5);
    assert.equal(t.get('g1'), undefined, 'an 11-minute-old entry is gone');
    assert.ok(t.get('n999'));
  });
});
