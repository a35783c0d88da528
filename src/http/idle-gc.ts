/**
 * Young-generation collections in the server's idle moments instead of in the middle of a
 * request.
 *
 * V8 empties its young generation (a scavenge) when it fills up, whatever the event loop is
 * doing: the request that happens to be running waits for it. A federated GetRoleCredentials
 * allocates about 200 KB (most of it inside the AWS SDK's request pipeline), so at a few hundred
 * requests a second a scavenge lands inside one request in every sixty or seventy and adds one to
 * two milliseconds to it: the server's p99 is then the scavenge's pause.
 *
 * So when the last request in flight has been answered and the young generation is more than
 * half full, the server empties it at once. Nothing is waiting then, and little survives (only
 * what outlives a request), so the scavenge is also at its cheapest. A busy server that is never
 * idle gets no extra collections: V8's own take over as before.
 *
 * The collection is V8's `gc` function. A process gets it with `--expose-gc`; setting that flag
 * at run time makes it available to contexts created afterwards, which is how one is fetched
 * here, so that the server needs no command-line flag.
 */
import type { Server } from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';

type Collect = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

/** How full (0–1) the young generation must be before an idle moment is used to empty it. */
export const IDLE_COLLECT_THRESHOLD = 0.5;

let collect: Collect | undefined;

/** V8's collector, or undefined where the runtime does not offer it. */
function collector(): Collect | undefined {
  if (collect) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') collect = gc as Collect;
  } catch {
    collect = undefined;
  }
  return collect;
}

/** The young generation's fill, 0–1. */
export function youngFill(): number {
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space') {
      // space_size counts both semi-spaces; what can fill before a scavenge is used + available.
      const capacity = space.space_used_size + space.space_available_size;
      return capacity > 0 ? space.space_used_size / capacity : 0;
    }
  }
  return 0;
}

/** Count the server's requests in flight and collect the young generation when none is. */
export function collectWhenIdle(server: Server): void {
  const gc = collector();
  if (!gc) return;
  let inFlight = 0;
  let checking = false;
  const check = () => {
    checking = false;
    if (inFlight === 0 && youngFill() > IDLE_COLLECT_THRESHOLD) gc({ type: 'minor' });
  };
  const done = () => {
    inFlight--;
    // After this turn's other callbacks (answers written together, the next request's data):
    // only a server still idle then collects.
    if (inFlight === 0 && !checking) {
      checking = true;
      setImmediate(check);
    }
  };
  server.prependListener('request', (_req, res) => {
    inFlight++;
    res.once('close', done);
  });
}
