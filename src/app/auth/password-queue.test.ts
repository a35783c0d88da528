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

  /** A queue whose checks wait until released, recording the order they ran in. */
  const heldQueue = (options: { concurrency: number; maxWaiting: number }) => {
    const order: string[] = [];
    const gates: Array<() => void> = [];
    const queue = new PasswordQueue({
      ...options,
      verify: async (_hash, password) => {
        order.push(password);
        await new Promise<void>((resolve) => gates.push(resolve));
        return true;
      },
    });
    /** Let the running check finish and the next one start. */
    const step = async () => {
      gates.shift()?.();
      await sleep(1);
    };
    return { queue, order, step };
  };

  it('gives a known device a place when anonymous sign-ins fill their lane, and a check of its own', async () => {
    const { queue, order, step } = heldQueue({ concurrency: 1, maxWaiting: 2 });
    const anonymous = Array.from({ length: 4 }, (_, i) => queue.enter(`192.0.2.${i}`));
    assert.equal(anonymous[3], null, 'the anonymous lane is full: the fourth is busy');
    const checks = anonymous.slice(0, 3).map((p, i) => p!.verify('h', `anon-${i}`));
    await sleep(1);
    const known = queue.enter('198.51.100.7', 'user-alice');
    assert.ok(known, 'a known device still gets a place');
    const knownCheck = known.verify('h', 'known');
    await sleep(1);
    assert.deepEqual(order, ['anon-0', 'known'], 'the known check runs at once, beside the running one');
    const bob = queue.enter(undefined, 'user-bob');
    const bobCheck = bob!.verify('h', 'known-bob');
    await step(); // anon-0 ends: the shared turn goes to the waiting known sign-in first
    assert.deepEqual(order, ['anon-0', 'known', 'known-bob']);
    for (let i = 0; i < 4; i++) await step();
    assert.deepEqual(order, ['anon-0', 'known', 'known-bob', 'anon-1', 'anon-2']);
    assert.deepEqual(await Promise.all([...checks, knownCheck, bobCheck]), [true, true, true, true, true]);
    assert.equal(queue.size, 5, 'places are held until left');
    bob!.leave();
    for (const p of [...anonymous, known]) p?.leave();
    assert.equal(queue.size, 0);
  });

  it('counts known places per user, not per address, in a lane of their own size', () => {
    const queue = new PasswordQueue({ concurrency: 1, maxWaiting: 3, maxPerAddress: 2 });
    assert.ok(queue.enter('192.0.2.1') && queue.enter('192.0.2.1'), "an address's share taken");
    assert.ok(queue.enter('192.0.2.1', 'user-alice'), 'a known device at that address still enters');
    assert.ok(queue.enter('192.0.2.1', 'user-alice'));
    assert.equal(queue.enter('192.0.2.9', 'user-alice'), null, "the user's share is two, from any address");
    assert.ok(queue.enter('192.0.2.1', 'user-bob'));
    assert.ok(queue.enter('192.0.2.2', 'user-carol'));
    assert.equal(queue.enter('192.0.2.3', 'user-dave'), null, 'the known lane has its own bound (4)');
  });

  it('still gives anonymous sign-ins every fourth shared turn while known ones keep coming', async () => {
    const { queue, order, step } = heldQueue({ concurrency: 1, maxWaiting: 20 });
    const first = queue.enter('192.0.2.1');
    void first!.verify('h', 'anon-0');
    await sleep(1);
    const anon = [1, 2].map((i) => queue.enter(`192.0.2.${10 + i}`)!.verify('h', `anon-${i}`));
    const known = [0, 1, 2, 3, 4, 5, 6].map((i) =>
      queue.enter(undefined, `user-${i}`)!.verify('h', `known-${i}`),
    );
    for (let i = 0; i < 10; i++) await step();
    // known-0 runs at once in the known lane's own slot; of the shared turns the known lane
    // takes three in a row, then one goes to a waiting anonymous sign-in.
    assert.deepEqual(order, [
      'anon-0',
      'known-0',
      'known-1',
      'known-2',
      'known-3',
      'anon-1',
      'known-4',
      'known-5',
      'known-6',
      'anon-2',
    ]);
    await Promise.all([...anon, ...known]);
  });
});
