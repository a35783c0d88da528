import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectWhenIdle, IDLE_COLLECT_THRESHOLD, youngFill } from './idle-gc.ts';

/** Young-generation collections asked for by a `gc()` call (V8's own ones are not forced). */
let forced = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const detail = (entry as PerformanceEntry & { detail: { kind: number; flags: number } }).detail;
    if (
      detail.kind === constants.NODE_PERFORMANCE_GC_MINOR &&
      detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED
    ) {
      forced++;
    }
  }
});

/** Short-lived garbage until the young generation is fuller than the collection threshold. */
function fillYoung(): void {
  let keep: object[] = [];
  while (youngFill() <= IDLE_COLLECT_THRESHOLD + 0.1) {
    for (let i = 0; i < 1000; i++) keep.push({ i, s: `x${i}` });
    keep = [];
  }
}

let release: () => void = () => {};
const server = http.createServer((req, res) => {
  fillYoung();
  if (req.url === '/slow') {
    release = () => res.end('late');
    return;
  }
  res.end('ok');
});
let url = '';

before(async () => {
  observer.observe({ entryTypes: ['gc'] });
  collectWhenIdle(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  observer.disconnect();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Let the server's idle check and the observer's callbacks run. */
const settle = () => sleep(50);

test('a server left idle with a young generation over half full collects it', async () => {
  await settle();
  const before = forced;
  assert.equal(await (await fetch(`${url}/`)).text(), 'ok');
  await settle();
  assert.equal(forced, before + 1);
  assert.ok(
    youngFill() < IDLE_COLLECT_THRESHOLD,
    `young generation ${youngFill()} full after the collection`,
  );
});

test('nothing is collected while a request is in flight, and the server collects once it is answered', async () => {
  await settle();
  const before = forced;
  const slow = fetch(`${url}/slow`).then((r) => r.text());
  await settle();
  // The slow request filled the young generation and waits: the server is not idle.
  assert.ok(youngFill() > IDLE_COLLECT_THRESHOLD);
  assert.equal(await (await fetch(`${url}/`)).text(), 'ok');
  await settle();
  assert.equal(forced, before, 'collected while a request was in flight');
  release();
  assert.equal(await slow, 'late');
  await settle();
  assert.equal(forced, before + 1);
});

test('an idle server whose young generation is under half full is left alone', async () => {
  await settle();
  const before = forced;
  const quiet = http.createServer((_req, res) => res.end('small'));
  collectWhenIdle(quiet);
  await new Promise<void>((resolve) => quiet.listen(0, '127.0.0.1', resolve));
  try {
    const port = (quiet.address() as AddressInfo).port;
    assert.ok(youngFill() < IDLE_COLLECT_THRESHOLD);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'small');
    await settle();
    assert.equal(forced, before);
  } finally {
    quiet.closeAllConnections();
    await new Promise((resolve) => quiet.close(resolve));
  }
});
