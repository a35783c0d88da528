import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csrfTokenFor, safeReturnPath } from './session.ts';
import { displayText } from './text.ts';

describe('safeReturnPath', () => {
  it('keeps same-origin relative paths with their query', () => {
    assert.equal(safeReturnPath('/device?user_code=ABCD-EFGH'), '/device?user_code=ABCD-EFGH');
    assert.equal(safeReturnPath('/authorize?a=1&b=%2F'), '/authorize?a=1&b=%2F');
    assert.equal(safeReturnPath('/start'), '/start');
  });

  it('turns everything that could leave the origin into /start', () => {
    for (const bad of [
      '//evil.example/x',
      '/\\evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      'start',
      '',
      '/x\r\nSet-Cookie: a=b',
      '/x\u0000',
      `/${'a'.repeat(3000)}`,
      undefined,
      42,
    ]) {
      assert.equal(safeReturnPath(bad), '/start', String(bad));
    }
  });

  it('normalises dot segments without leaving the origin', () => {
    assert.equal(safeReturnPath('/a/../../b'), '/b');
  });

  it('judges the value left after every normalisation, not the input', () => {
    const hostile = [
      '/.//evil.example/x',
      '/./\\evil.example',
      '/.\\/evil.example',
      '/%2F%2Fevil.example',
      '/%2f/evil.example',
      '/%5Cevil.example',
      '/%5C%5Cevil.example',
      '/a/../..//evil.example',
      '/%2e%2e//evil.example',
      '/%2E%2E//evil.example',
      '/.%2e//evil.example',
      '/%2e//evil.example',
      '/x/..//evil.example',
      '/%252F%252Fevil.example',
      '/%25252F%25252Fevil.example',
      '/x%2F..%2F..%2F%2Fevil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/\r//evil.example',
      '/%09/evil.example',
      '/%0a/evil.example',
      '/.//evil.example/x?next=/start',
      '/.//evil.example#/start',
      '/\u0000//evil.example',
      '/%00//evil.example',
      '/%zz',
    ];
    for (const bad of hostile) {
      assert.equal(safeReturnPath(bad), '/start', JSON.stringify(bad));
      assert.equal(safeReturnPath(bad, '/idc'), '/start', `${JSON.stringify(bad)} under /idc`);
    }
  });

  it('keeps plain paths whose encoded characters decode to plain paths', () => {
    assert.equal(safeReturnPath('/a%2Fb'), '/a%2Fb');
    assert.equal(safeReturnPath('/device/'), '/device/');
    assert.equal(safeReturnPath('/start?return=//evil.example'), '/start?return=//evil.example');
    assert.equal(safeReturnPath('/x/./y/../z#frag'), '/x/z');
  });

  it('under a path prefix, accepts app paths and prefixed paths, and returns the app path', () => {
    assert.equal(safeReturnPath('/device?user_code=ABCD-EFGH', '/idc'), '/device?user_code=ABCD-EFGH');
    assert.equal(safeReturnPath('/idc/device?user_code=ABCD-EFGH', '/idc'), '/device?user_code=ABCD-EFGH');
    assert.equal(safeReturnPath('/idc', '/idc'), '/');
    assert.equal(safeReturnPath('/idcx/profile', '/idc'), '/idcx/profile');
    for (const bad of [
      '/idc//evil.example/x',
      '/idc/\\evil.example',
      'https://evil.example/idc/x',
      '/idc/..//evil.example',
      '/idc/.//evil.example',
      '/idc/%2e%2e//evil.example',
      '/idc/%2F%2Fevil.example',
      '/idc/%5Cevil.example',
      '/idc%2F%2Fevil.example',
    ]) {
      assert.equal(safeReturnPath(bad, '/idc'), '/start', bad);
    }
  });
});

describe('session helpers', () => {
  it('derives a CSRF token that differs per session and never equals the session token', () => {
    const a = csrfTokenFor('session-token-aaaaaaaaaaaaaaaa');
    const b = csrfTokenFor('session-token-bbbbbbbbbbbbbbbb');
    assert.notEqual(a, b);
    assert.notEqual(a, 'session-token-aaaaaaaaaaaaaaaa');
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  });

  it('shows outside text with invisible characters neutralised and long text cut', () => {
    assert.equal(displayText('a\u202Eb\u0007c\u200Bd'), 'a\uFFFDb\uFFFDc\uFFFDd');
    assert.equal(displayText('x'.repeat(10), 4), 'xxxx…');
    assert.equal(displayText('Zoë 👩\u200D💻'), 'Zoë 👩\u200D💻', 'joiners in emoji and scripts stay');
  });
});
