// setupRequest hook for bench/oidc.bench.ts, loaded by autocannon's worker thread (workers take
// file paths, not functions). OIDC_BENCH_FILE names a JSON file the benchmark wrote:
// { mode: 'poll' | 'refresh', clientId, clientSecret, values: [...] }.
// - poll: each request polls the next pending device code in turn.
// - refresh: each request exchanges the next unused refresh token (each is used exactly once, so
//   reuse detection never fires); the run stops being valid if the pool runs dry.
const fs = require('node:fs');

const spec = JSON.parse(fs.readFileSync(process.env.OIDC_BENCH_FILE, 'utf8'));
let next = 0;

module.exports = function setupRequest(request) {
  let body;
  if (spec.mode === 'poll') {
    body = {
      clientId: spec.clientId,
      clientSecret: spec.clientSecret,
      grantType: 'urn:ietf:params:oauth:grant-type:device_code',
      deviceCode: spec.values[next++ % spec.values.length],
    };
  } else {
    const refreshToken = spec.values[next++];
    if (!refreshToken) throw new Error('refresh token pool ran dry: raise REFRESH_POOL');
    body = {
      clientId: spec.clientId,
      clientSecret: spec.clientSecret,
      grantType: 'refresh_token',
      refreshToken,
    };
  }
  request.method = 'POST';
  request.headers = { ...request.headers, 'content-type': 'application/json' };
  request.body = JSON.stringify(body);
  return request;
};
