// setupRequest hook for bench/oidc.bench.ts, loaded by autocannon's worker thread (workers take
// file paths, not functions). OIDC_BENCH_FILE names a JSON file the benchmark wrote:
// { mode: 'poll' | 'refresh', clientId, clientSecret, values: [...] }. Each request uses the next
// value exactly once: a pending device code polled for the first time (so the answer comes from
// the store), or an unused refresh token (so reuse detection never fires). The run is invalid if
// the pool runs dry. Bodies are built up front so the load generator does no work per request.
const fs = require('node:fs');

const spec = JSON.parse(fs.readFileSync(process.env.OIDC_BENCH_FILE, 'utf8'));
const client = { clientId: spec.clientId, clientSecret: spec.clientSecret };
const bodies = spec.values.map((value) =>
  JSON.stringify(
    spec.mode === 'poll'
      ? { ...client, grantType: 'urn:ietf:params:oauth:grant-type:device_code', deviceCode: value }
      : { ...client, grantType: 'refresh_token', refreshToken: value },
  ),
);
let next = 0;

module.exports = function setupRequest(request) {
  if (next >= bodies.length) throw new Error(`${spec.mode} pool ran dry: make it larger`);
  request.method = 'POST';
  request.headers = { ...request.headers, 'content-type': 'application/json' };
  request.body = bodies[next++];
  return request;
};
