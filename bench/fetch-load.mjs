// A closed-loop load as its own process, run by `loadInChild` (bench/load.ts): `connections`
// loops each send the same request (any method, headers and body) and send the next when the
// answer is in, for `seconds`. `fetch` re-opens connections a server closes after each answer
// (moto's Werkzeug server does), and its own process keeps the load generator off the event loop
// of an in-process server.
// Usage: node bench/fetch-load.mjs '<json options>' → one JSON line on stdout.
const {
  url,
  method = 'GET',
  headers,
  body,
  seconds = 5,
  connections = 10,
  status = 200,
} = JSON.parse(process.argv[2]);
const end = performance.now() + seconds * 1000;
const latencies = [];
let bad = 0;
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const res = await fetch(url, { method, headers, body });
        await res.arrayBuffer();
        if (res.status !== status) bad++;
      } catch {
        bad++;
      }
      latencies.push(performance.now() - t);
    }
  }),
);
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ rps: latencies.length / seconds, p50: at(50), p99: at(99), requests: latencies.length, bad })}\n`,
);
