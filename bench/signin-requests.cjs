// setupRequest hook for bench/signin.bench.ts, loaded by autocannon's worker thread (workers take
// file paths, not functions). SIGNIN_BENCH_FILE names a JSON file the benchmark wrote:
// { cookie, csrf, addresses: [...] }. Each request is a password sign-in for a made-up user name
// (a different one every time), from the next address of the list, as a trusted proxy forwards it.
const fs = require('node:fs');

const spec = JSON.parse(fs.readFileSync(process.env.SIGNIN_BENCH_FILE, 'utf8'));
let next = 0;

module.exports = function setupRequest(request) {
  const n = next++;
  request.method = 'POST';
  request.headers = {
    ...request.headers,
    'content-type': 'application/x-www-form-urlencoded',
    cookie: spec.cookie,
    'x-forwarded-for': spec.addresses[n % spec.addresses.length],
  };
  request.body = `_csrf=${encodeURIComponent(spec.csrf)}&step=password&user_name=ghost-${n}&password=guess-${n}`;
  return request;
};
