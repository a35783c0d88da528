import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PasswordQueue } from './password-queue.ts';

describe('PasswordQueue', () => {
  it('runs at most `concurrency` checks, queues `maxWaiting` more, and refuses the rest', async () => {
    let running = 0;
    let most = 0;
    const queue = new PasswordQueue({
      concurrency: 2,
      maxWaiting: 3,
      verify: async (_hash, password) => {
        running++;
        most = Math.max(most, running);
        await sleep(5);
        running--;
        return password === 'right';
      },
    });
    const places = Array.from({ length: 6 }, () => queue.enter());
    assert.equal(places.filter((p) => p === null).length, 1, 'the sixth finds the queue full');
    const results = await Promise.all(
      places.map(async (p, i) => {
        if (!p) return null;
        try {
          return await p.verify('h', i === 0 ? 'right' : 'wrong');
        } finally {
          p.leave();
          p.leave(); // harmless twice
        }
      }),
    );
    assert.deepEqual(results, [true, false, false, false, false, null]);
    assert.equal(most, 2);
    assert.equal(queue.size, 0);
    assert.ok(queue.enter(), 'places are free again');
  });

  it('answers false when the check throws (an unreadable hash)', async () => {
    const queue = new PasswordQueue({
      verify: async () => {
        throw new Error('bad hash');
      },
    });
    const place = queue.enter();
    assert.equal(await place?.verify('not a hash', 'x'), false);
    place?.leave();
    assert.equal(await new PasswordQueue().enter()?.verify('not a hash', 'x'), false);
  });

  it('gives one address at most `maxPerAddress` places at once, whatever room is left', () => {
    const queue = new PasswordQueue({ concurrency: 1, maxWaiting: 10, maxPerAddress: 2 });
    const a1 = queue.enter('192.0.2.1');
    const a2 = queue.enter('192.0.2.1');
    assert.ok(a1 && a2);
    assert.equal(queue.enter('192.0.2.1'), null, 'a third from the same address is busy');
    assert.ok(queue.enter('192.0.2.2'), 'another address still gets a place');
    assert.ok(queue.enter(), 'a sign-in without a known address too');
    a1.leave();
    a1.leave(); // harmless twice: frees one place only
    const a3 = queue.enter('192.0.2.1');
    assert.ok(a3, 'a freed place can be taken again');
    assert.equal(queue.enter('192.0.2.1'), null);
  });
});
