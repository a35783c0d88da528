/**
 * `/metrics` was public. Now it is served only on a listener of its own
 * (`IDCENTER_METRICS_LISTEN`) or to a scraper with the bearer token (`IDCENTER_METRICS_TOKEN`);
 * with neither, the public listener answers 404 and says which settings serve it.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { freePort, startTestServer } from '../helpers/server.ts';
import { tempStoreUrl } from '../helpers/stores.ts';

const TOKEN = 'metrics-9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c';
const SERIES = /^# TYPE idcenter_http_request_duration_seconds histogram$/m;
/** Whether a body is the metrics exposition (asserted without printing it). */
const isExposition = (text: string) => SERIES.test(text);

const scrape = (base: string, authorization?: string, init: RequestInit = {}) =>
  fetch(`${base}/metrics`, { ...init, headers: authorization ? { authorization } : {} });

describe('who may read /metrics', () => {
  it('is not served on the public listener by default: 404, naming the settings', async () => {
    const server = await startTestServer({ settings: { metricsToken: '' } });
    try {
      for (const auth of [undefined, `Bearer ${TOKEN}`]) {
        const res = await scrape(server.url, auth);
        assert.equal(res.status, 404);
        const body = (await res.json()) as { message: string };
        assert.match(body.message, /IDCENTER_METRICS_LISTEN.*IDCENTER_METRICS_TOKEN/);
      }
    } finally {
      await server.stop();
    }
  });

  it('asks for the bearer token on the public listener: none or wrong is 401, the right one gets the metrics', async () => {
    const server = await startTestServer({ settings: { metricsToken: TOKEN } });
    try {
      for (const auth of [
        undefined,
        'Bearer',
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Bearer ${TOKEN}x`,
        `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
        TOKEN,
      ]) {
        const res = await scrape(server.url, auth);
        assert.equal(res.status, 401, String(auth));
        assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="idcenter metrics"');
        const text = await res.text();
        assert.match(text, /Authorization: Bearer/);
        assert.ok(!isExposition(text), 'no metrics');
      }
      for (const auth of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`]) {
        const res = await scrape(server.url, auth);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
        assert.ok(isExposition(await res.text()), 'the metrics');
      }
    } finally {
      await server.stop();
    }
  });

  it('serves a listener of its own, and then not the public one; it closes with the server', async () => {
    const port = await freePort();
    const server = await startTestServer({
      settings: { metricsToken: '', metricsListen: `127.0.0.1:${port}` },
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      const res = await scrape(base);
      assert.equal(res.status, 200);
      assert.ok(isExposition(await res.text()), 'the metrics');
      assert.equal((await scrape(server.url)).status, 404, 'not on the public listener');
      const other = await fetch(`${base}/healthz`);
      assert.equal(other.status, 404);
      assert.match(await other.text(), /serves only GET \/metrics/);
      const post = await scrape(base, undefined, { method: 'POST', body: 'x' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET');
      assert.ok(server.logs.some((l) => l.includes(`"metrics":"${base}/metrics"`)));
    } finally {
      await server.stop();
    }
    await assert.rejects(fetch(`${base}/metrics`), 'closed with the server');
  });

  it('asks for the token on both listeners when both are set', async () => {
    const port = await freePort();
    const server = await startTestServer({
      settings: { metricsToken: TOKEN, metricsListen: `127.0.0.1:${port}` },
    });
    try {
      for (const base of [`http://127.0.0.1:${port}`, server.url]) {
        assert.equal((await scrape(base)).status, 401, base);
        assert.equal((await scrape(base, 'Bearer wrong-token')).status, 401, base);
        const ok = await scrape(base, `Bearer ${TOKEN}`);
        assert.equal(ok.status, 200, base);
        assert.ok(isExposition(await ok.text()), 'the metrics');
      }
    } finally {
      await server.stop();
    }
  });

  it('does not start when the metrics address is taken, and says which setting', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const temp = await tempStoreUrl('sqlite');
    try {
      const started = await startTestServer({
        reuse: temp,
        settings: { metricsListen: `127.0.0.1:${port}` },
      }).catch((err: unknown) => err as Error);
      if (!(started instanceof Error)) {
        await started.stop();
        assert.fail('the server started');
      }
      assert.match(
        started.message,
        new RegExp(
          `cannot serve metrics on 127\\.0\\.0\\.1:${port} \\(IDCENTER_METRICS_LISTEN\\): .*EADDRINUSE`,
        ),
      );
    } finally {
      taken.close();
      await temp.cleanup();
    }
  });

  it('refuses a bad listen address or a short token, naming the settings', () => {
    try {
      loadConfig({}, { IDCENTER_METRICS_LISTEN: '9464', IDCENTER_METRICS_TOKEN: 'short' });
      assert.fail('expected ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      assert.match(text, /IDCENTER_METRICS_LISTEN \(--metrics-listen\).*"9464" is not host:port/);
      assert.match(text, /IDCENTER_METRICS_TOKEN \(--metrics-token\).*32 to 1024 printable characters/);
      assert.doesNotMatch(text, /short/, 'the token is not echoed');
    }
    assert.deepEqual(loadConfig({ metricsListen: '[::1]:9464' }, {}).metricsListen, {
      host: '::1',
      port: 9464,
    });
    assert.equal(loadConfig({}, {}).metricsListen, null);
    assert.equal(loadConfig({}, {}).metricsToken, '');
  });
});
