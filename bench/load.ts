/**
 * A bounded load run against one URL (autocannon in a worker thread, so the load generator does
 * not share the event loop of an in-process server), summarised as requests per second and
 * latency percentiles; any error or unexpected status fails the run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
  /** Requests per second over all connections (autocannon's `overallRate`); default: as fast as answered. */
  rate?: number;
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
    ...(options.rate !== undefined ? { overallRate: options.rate } : {}),
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
 * Latency at a steady rate: requests evenly spaced by `bench/paced-load.mjs` in a process of its
 * own, each timed from when it was due (see that file for why not autocannon's `overallRate`).
 */
export async function pacedLoad(options: LoadOptions & { rate: number }): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./paced-load.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script, JSON.stringify(options)], {
    timeout: ((options.seconds ?? 5) + 30) * 1000,
  });
  const r = JSON.parse(stdout) as LoadResult & { bad: number };
  if (r.bad > 0) throw new Error(`paced load on ${options.url}: ${r.bad} failed or unexpected answers`);
  return { rps: r.rps, p50: r.p50, p99: r.p99, requests: r.requests };
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

/**
 * The most a server answers one request repeated by `connections` clients, measured from a
 * process of its own (`bench/fetch-load.mjs`), so an in-process server and a separate one (moto)
 * meet the same load generator.
 */
export async function loadInChild(options: LoadOptions): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./fetch-load.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script, JSON.stringify(options)], {
    timeout: ((options.seconds ?? 5) + 30) * 1000,
  });
  const r = JSON.parse(stdout) as LoadResult & { bad: number };
  if (r.bad > 0) throw new Error(`load on ${options.url}: ${r.bad} failed or unexpected answers`);
  return { rps: r.rps, p50: r.p50, p99: r.p99, requests: r.requests };
}

let ticksPerSecond: number | undefined;

/**
 * CPU time a process has used so far, user and system, in milliseconds (all its threads), or
 * null where /proc does not tell (not Linux). Read before and after a load run, it gives the
 * server's CPU per request: a steadier figure than requests per second on a shared machine.
 */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}

/** A load run (`run`) that also measures the CPU the server process `pid` spent per request, in µs. */
export async function withServerCpu(
  pid: number | undefined,
  run: () => Promise<LoadResult>,
): Promise<LoadResult & { cpuPerRequestUs: number | null }> {
  const before = pid === undefined ? null : processCpuMs(pid);
  const r = await run();
  const after = pid === undefined ? null : processCpuMs(pid);
  const cpuPerRequestUs =
    before === null || after === null || r.requests === 0 ? null : ((after - before) * 1000) / r.requests;
  return { ...r, cpuPerRequestUs };
}
