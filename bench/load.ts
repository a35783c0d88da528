/**
 * A bounded load run against one URL (autocannon in a worker thread, so the load generator does
 * not share the event loop of an in-process server), summarised as requests per second and
 * latency percentiles; any error or unexpected status fails the run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/** A Lua string literal holding `text` exactly: printable ASCII as is, every other byte as `\ddd`. */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** A wrk latency such as `812.00us`, `1.25ms` or `2.01s`, in milliseconds. */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`unreadable wrk latency ${text}`);
  const scale = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[m[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(m[1]) * scale;
}

/**
 * The same closed loop from wrk (C, one thread, keep-alive connections), for servers that keep
 * connections open: a node load generator spends more CPU per request than a fast server does,
 * so on a 2-core machine it, not the server, sets the pace (fetch workers stop near 2,300
 * requests a second against a bare node:http server, which wrk drives past 20,000), and a server
 * that waits between requests spends more CPU on each (one wake-up per request instead of one
 * per burst). Any socket error or status other than 2xx fails the run; `status` must be 200.
 * `answerBytes`: the length of the expected answer's body, which every answer must reach.
 */
export async function wrkLoad(options: LoadOptions & { answerBytes?: number }): Promise<LoadResult> {
  if ((options.status ?? 200) !== 200) throw new Error('wrkLoad checks for 2xx answers only');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idcenter-wrk-'));
  try {
    const script = path.join(dir, 'request.lua');
    const lines = [`wrk.method = ${luaString(options.method ?? 'GET')}`];
    if (options.body !== undefined) lines.push(`wrk.body = ${luaString(options.body)}`);
    for (const [k, v] of Object.entries(options.headers ?? {}))
      lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
    writeFileSync(script, `${lines.join('\n')}\n`);
    const seconds = options.seconds ?? 5;
    const args = [
      '-t1',
      `-c${options.connections ?? 10}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      script,
      options.url,
    ];
    const { stdout } = await promisify(execFile)('wrk', args, { timeout: (seconds + 30) * 1000 }).catch(
      (err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT'
          ? new Error('wrk is not installed: install it (Debian: apt-get install wrk) to run this benchmark')
          : err;
      },
    );
    if (/Non-2xx|Socket errors/.test(stdout)) throw new Error(`load on ${options.url} failed:\n${stdout}`);
    const requests = /(\d+) requests in/.exec(stdout);
    const p50 = /^\s+50%\s+(\S+)$/m.exec(stdout);
    const p99 = /^\s+99%\s+(\S+)$/m.exec(stdout);
    if (!requests || !p50 || !p99) throw new Error(`unreadable wrk output:\n${stdout}`);
    const total = Number(requests[1]);
    // wrk checks only the status: a request it sent otherwise than meant could get another 2xx
    // answer. Every answer must be at least as long as the expected one's body.
    const read = /in [\d.]+\w+, ([\d.]+)([KMG]?B) read/.exec(stdout);
    if (!read) throw new Error(`unreadable wrk output:\n${stdout}`);
    const bytes = Number(read[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[read[2] as 'B'];
    if (options.answerBytes !== undefined && bytes < total * options.answerBytes * 0.99)
      throw new Error(
        `load on ${options.url}: answers shorter than the expected ${options.answerBytes} bytes`,
      );
    return { rps: total / seconds, p50: wrkMs(p50[1] ?? ''), p99: wrkMs(p99[1] ?? ''), requests: total };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
