import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRegistrableRedirectUri, matchRedirectUri } from './redirect-uri.ts';

const REGISTERED = ['http://127.0.0.1/oauth/callback'];

describe('loopback redirect URIs (RFC 8252 §7.3)', () => {
  it('registers loopback http URIs only', () => {
    assert.deepEqual(checkRegistrableRedirectUri('http://127.0.0.1/oauth/callback'), {
      ok: true,
      canonical: 'http://127.0.0.1/oauth/callback',
    });
    assert.equal(checkRegistrableRedirectUri('http://[::1]:8080/cb').ok, true);
    for (const bad of [
      'https://example.com/cb',
      'http://example.com/cb',
      'http://localhost/cb',
      'http://127.0.0.2/cb',
      'http://user:pw@127.0.0.1/cb',
      'http://127.0.0.1/cb#frag',
      'javascript:alert(1)',
      'custom-scheme:/cb',
      '/relative',
      '',
      `http://127.0.0.1/${'a'.repeat(3000)}`,
      42,
    ]) {
      assert.equal(checkRegistrableRedirectUri(bad).ok, false, String(bad));
    }
  });

  it('accepts the CLI callback on any port', () => {
    assert.equal(matchRedirectUri(REGISTERED, 'http://127.0.0.1:43103/oauth/callback'), true);
    assert.equal(matchRedirectUri(REGISTERED, 'http://127.0.0.1/oauth/callback'), true);
    assert.equal(matchRedirectUri(['http://[::1]/oauth/callback'], 'http://[::1]:5000/oauth/callback'), true);
  });

  it('refuses other hosts, paths, queries and open-redirect payloads', () => {
    for (const bad of [
      'http://[::1]:43103/oauth/callback',
      'http://127.0.0.1:43103/oauth/callback2',
      'http://127.0.0.1:43103/oauth/callback?x=1',
      'http://127.0.0.1:43103/oauth/callback#x',
      'https://127.0.0.1:43103/oauth/callback',
      'http://evil.example/oauth/callback',
      'http://127.0.0.1:80@evil.example/oauth/callback',
      'http://127.0.0.1.evil.example/oauth/callback',
      'http://127.0.0.1:43103/oauth/../oauth/callback',
      'http://127.0.0.1:43103\\@evil.example/oauth/callback',
      'HTTP://127.0.0.1:43103/oauth/callback',
      'http://127.0.0.1:43103/oauth/callback/',
      '//evil.example/oauth/callback',
      'http://0x7f.0.0.1:43103/oauth/callback',
      undefined,
    ]) {
      assert.equal(matchRedirectUri(REGISTERED, bad), false, String(bad));
    }
  });
});
