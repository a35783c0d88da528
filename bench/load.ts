/**
 * A bounded load run against one URL (autocannon in a worker thread, so the load generator does
 * not share the event loop of an in-process server), summarised as requests per second and
 * latency percentiles; any error or unexpected status fails the run.
 */
import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
}

export interface LoadOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  seconds?: number;
  connections?: number;
  /** Status every response must have (default 200). */
  status?: number;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const r = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    connections: options.connections ?? 10,
    duration: options.seconds ?? 5,
    workers: 1,
    timeout: 10,
  });
  const expected = String(options.status ?? 200);
  const unexpected = Object.entries(r.statusCodeStats).filter(([code]) => code !== expected);
  if (r.errors > 0 || unexpected.length > 0) {
    throw new Error(
      `load on ${options.url}: ${r.errors} errors, statuses ${JSON.stringify(r.statusCodeStats)} (expected ${expected})`,
    );
  }
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total };
}

/**
 * The same measurement with `fetch` workers, for servers that close every connection
 * (`Connection: close`, as moto's Werkzeug server does), which autocannon does not re-open.
 */
export async function loadWithFetch(options: LoadOptions): Promise<LoadResult> {
  const end = performance.now() + (options.seconds ?? 5) * 1000;
  const latencies: number[] = [];
  let bad = 0;
  await Promise.all(
    Array.from({ length: options.connections ?? 10 }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const res = await fetch(options.url, {
          method: options.method ?? 'GET',
          ...(options.headers ? { headers: options.headers } : {}),
          ...(options.body !== undefined ? { body: options.body } : {}),
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        if (res.status !== (options.status ?? 200)) bad++;
      }
    }),
  );
  if (bad > 0) throw new Error(`load on ${options.url}: ${bad} unexpected statuses`);
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    rps: latencies.length / (options.seconds ?? 5),
    p50: at(50),
    p99: at(99),
    requests: latencies.length,
  };
}
