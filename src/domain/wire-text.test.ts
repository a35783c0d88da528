import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUtf8, faultMessage, plainName, replaceFaults, textFault } from './wire-text.ts';

describe('text from the wire', () => {
  it('refuses every control character and lone surrogate, nothing else', () => {
    for (let c = 0; c < 0x20; c++)
      assert.equal(textFault(`a${String.fromCharCode(c)}b`), 'control', `U+${c}`);
    for (let c = 0x7f; c <= 0x9f; c++) assert.equal(textFault(`a${String.fromCharCode(c)}`), 'control');
    assert.equal(textFault('a\ud800'), 'encoding');
    assert.equal(textFault('\udc00a'), 'encoding');
    assert.equal(textFault('\ud800\ud800\udc00'), 'encoding');
    for (const ok of ['', 'alice', 'Ünïcødé €', '😀 emoji', '\ufffd typed as such', '\u00a0nbsp', 'a b']) {
      assert.equal(textFault(ok), undefined, ok);
    }
  });

  it('decodes UTF-8 strictly, keeping a byte-order mark', () => {
    assert.equal(decodeUtf8(Buffer.from('héllo €')), 'héllo €');
    assert.equal(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x61])), '\ufeffa');
    for (const bad of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xc0, 0xaf]]) {
      assert.equal(decodeUtf8(Buffer.from(bad)), undefined, JSON.stringify(bad));
    }
  });

  it('says what is wrong without quoting the value', () => {
    assert.equal(faultMessage('user_name', 'control'), 'user_name must not contain control characters');
    assert.equal(faultMessage('user_name', 'encoding'), 'user_name is not valid UTF-8 text');
    assert.equal(plainName('account_id'), 'account_id');
    assert.equal(plainName('a\u0000'), undefined);
    assert.equal(plainName('x'.repeat(65)), undefined);
    assert.equal(replaceFaults('AK\u0000ID\u001b[31m\ud800'), 'AK\ufffdID\ufffd[31m\ufffd');
    assert.equal(replaceFaults('plain'), 'plain');
  });
});
