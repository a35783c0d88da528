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

  it('under a path prefix, accepts app paths and prefixed paths, and returns the app path', () => {
    assert.equal(safeReturnPath('/device?user_code=ABCD-EFGH', '/idc'), '/device?user_code=ABCD-EFGH');
    assert.equal(safeReturnPath('/idc/device?user_code=ABCD-EFGH', '/idc'), '/device?user_code=ABCD-EFGH');
    assert.equal(safeReturnPath('/idc', '/idc'), '/');
    assert.equal(safeReturnPath('/idcx/profile', '/idc'), '/idcx/profile');
    for (const bad of ['/idc//evil.example/x', '/idc/\\evil.example', 'https://evil.example/idc/x']) {
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
