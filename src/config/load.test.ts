import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../domain/duration.ts';
import { ConfigError, loadConfig } from './load.ts';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({}, {}, '/srv');
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 7400);
    assert.equal(c.publicUrl, 'http://127.0.0.1:7400');
    assert.equal(c.startUrl, 'http://127.0.0.1:7400/start');
    assert.equal(c.region, 'us-east-1');
    assert.equal(c.dataDir, '/srv/data');
    assert.equal(c.databaseUrl, 'sqlite:/srv/data/idcenter.db');
    assert.equal(c.portalSessionDuration, 8 * 3600);
    assert.equal(c.accessTokenTtl, 3600);
    assert.ok(Object.isFrozen(c));
  });

  it('limits connections per address by default, except behind a trusted proxy unless asked', () => {
    const direct = loadConfig({}, {});
    assert.equal(direct.maxConnectionsPerAddress, 128);
    assert.equal(direct.bodyTimeout, 30);
    assert.equal(direct.shutdownGrace, 5);
    assert.equal(direct.shutdownTimeout, 20);
    assert.equal(loadConfig({}, { IDCENTER_TRUST_PROXY: 'true' }).maxConnectionsPerAddress, 0);
    const asked = loadConfig(
      {},
      { IDCENTER_TRUST_PROXY: 'true', IDCENTER_MAX_CONNECTIONS_PER_ADDRESS: '500' },
    );
    assert.equal(asked.maxConnectionsPerAddress, 500);
    assert.throws(
      () => loadConfig({}, { IDCENTER_MAX_CONNECTIONS_PER_ADDRESS: '-1', IDCENTER_BODY_TIMEOUT: '0s' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.length === 2 &&
        /IDCENTER_MAX_CONNECTIONS_PER_ADDRESS .*whole number/.test(err.problems.join('\n')) &&
        /IDCENTER_BODY_TIMEOUT .*outside the allowed range 1s to 10m/.test(err.problems.join('\n')),
    );
  });

  it('lets flags win over environment', () => {
    const c = loadConfig({ port: '9000' }, { IDCENTER_PORT: '8000', IDCENTER_REGION: 'eu-west-1' });
    assert.equal(c.port, 9000);
    assert.equal(c.region, 'eu-west-1');
  });

  it('reports every problem at once, naming variable and flag', () => {
    try {
      loadConfig(
        {},
        {
          IDCENTER_PORT: 'eighty',
          IDCENTER_REGION: 'mars',
          IDCENTER_NOPE: '1',
          IDCENTER_ACCESS_TOKEN_TTL: '5m',
          IDCENTER_PORTAL_SESSION_DURATION: 'forever',
        },
      );
      assert.fail('expected ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      assert.equal(err.problems.length, 5, text);
      assert.match(text, /IDCENTER_NOPE is not a setting/);
      assert.match(text, /IDCENTER_PORT \(--port\).*whole number/);
      assert.match(text, /IDCENTER_REGION/);
      assert.match(text, /IDCENTER_ACCESS_TOKEN_TTL.*outside the allowed range 15m to 1d/);
      assert.match(text, /IDCENTER_PORTAL_SESSION_DURATION.*not a duration/);
    }
  });

  it('derives https URLs with --tls and keeps an explicit public URL', () => {
    assert.equal(loadConfig({ tls: 'true' }, {}).publicUrl, 'https://127.0.0.1:7400');
    assert.equal(
      loadConfig({ publicUrl: 'https://idc.example.com/' }, {}).startUrl,
      'https://idc.example.com/start',
    );
  });
});

describe('parseDuration', () => {
  it('reads short and ISO-8601 forms', () => {
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('8h'), 28800);
    assert.equal(parseDuration('90d'), 90 * 86400);
    assert.equal(parseDuration('PT1H'), 3600);
    assert.equal(parseDuration('PT2H30M'), 9000);
    assert.equal(parseDuration('P1D'), 86400);
    assert.equal(parseDuration('PT'), undefined);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(parseDuration(''), undefined);
  });
});
