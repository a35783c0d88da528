// A steady open-loop load, run as its own process by `pacedLoad` (bench/load.ts): requests leave
// at evenly spaced times (every millisecond at 1,000 a second, checked every millisecond), over
// at most `connections` keep-alive sockets, whether or not earlier ones were answered (open
// loop: a slow server meets the same arrivals). Each latency runs from when the request was
// handed to its socket pool, so a request that waits for a free socket counts that wait.
// autocannon's `overallRate` instead sends each connection's budget for a second in one burst at
// the start of the second, and back-fills its histogram for a 1 ms expected interval, which
// measures its own bursts rather than the server.
// Usage: node bench/paced-load.mjs '<json options>' → one JSON line on stdout.
import http from 'node:http';

const { url, headers = {}, rate, seconds, connections = 10, status = 200 } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const target = new URL(url);
const latencies = [];
let bad = 0;
let inFlight = 0;

function send() {
  const sentAt = performance.now();
  inFlight++;
  const req = http.request(
    { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers, agent },
    (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - sentAt);
        if (res.statusCode !== status) bad++;
        inFlight--;
      });
    },
  );
  req.on('error', () => {
    bad++;
    inFlight--;
  });
  req.end();
}

const TICK_MS = 1;
const total = Math.round(rate * seconds);
const start = performance.now() + 50;
let sent = 0;
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const now = performance.now();
    while (sent < total && start + (sent * 1000) / rate <= now) {
      send();
      sent++;
    }
    if (sent >= total) {
      clearInterval(timer);
      resolve();
    }
  }, TICK_MS);
});
while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ rps: latencies.length / seconds, p50: at(50), p99: at(99), requests: latencies.length, bad })}\n`,
);
