import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeForm, formFaultMessage, queryFault } from './form.ts';

describe('form and query decoding', () => {
  it('decodes what URLSearchParams decodes when the text is clean', () => {
    for (const text of ['a=1&b=x+y', 'a&&b=%zz%4&c=', 'n%C3%A9=%E2%82%AC&n%C3%A9=2', 'x=%EF%BF%BD', '']) {
      const d = decodeForm(text);
      assert.ok(d.ok, text);
      assert.deepEqual(d.pairs, [...new URLSearchParams(text)], text);
    }
    const bytes = decodeForm(Buffer.from('a=é&b=%41'));
    assert.ok(bytes.ok);
    assert.deepEqual(bytes.pairs, [
      ['a', 'é'],
      ['b', 'A'],
    ]);
  });

  it('refuses control characters and bytes that are not UTF-8, encoded or raw, in names and values', () => {
    const cases: Array<[string | Buffer, 'control' | 'encoding', string | undefined]> = [
      ['a=%00', 'control', 'a'],
      ['a=1&b=x%0Ay', 'control', 'b'],
      ['a=%7F', 'control', 'a'],
      ['a=%C2%85', 'control', 'a'],
      ['a=%C3%28', 'encoding', 'a'],
      ['a=%FF', 'encoding', 'a'],
      ['a=%ED%A0%80', 'encoding', 'a'],
      ['x%00y=1', 'control', undefined],
      ['%FF=1', 'encoding', undefined],
      [Buffer.from([0x61, 0x3d, 0x00]), 'control', 'a'],
      [Buffer.from([0x61, 0x3d, 0x09]), 'control', 'a'],
      [Buffer.from([0x61, 0x3d, 0xff]), 'encoding', 'a'],
      [Buffer.from([0x61, 0x3d, 0xed, 0xa0, 0x80]), 'encoding', 'a'],
    ];
    for (const [input, fault, name] of cases) {
      assert.deepEqual(decodeForm(input), { ok: false, fault: { fault, name } }, String(input));
    }
  });

  it('lets the fields named multiline hold tabs and line breaks, and nothing else more', () => {
    const multiline = new Set(['policy']);
    const lines = decodeForm('policy=%7B%0D%0A%09%22a%22%3A1%0A%7D&b=1', multiline);
    assert.ok(lines.ok);
    assert.deepEqual(lines.pairs, [
      ['policy', '{\r\n\t"a":1\n}'],
      ['b', '1'],
    ]);
    for (const input of ['policy=a%00b', 'policy=a%0Bb', 'policy=%C2%85', 'b=x%0Ay']) {
      assert.equal(decodeForm(input, multiline).ok, false, input);
    }
  });

  it('checks a request target and words the refusal', () => {
    assert.equal(queryFault('/start'), undefined);
    assert.equal(queryFault('/start?'), undefined);
    assert.equal(queryFault('/x?a=1&b=%41'), undefined);
    assert.deepEqual(queryFault('/x?a=1&b=%00'), { fault: 'control', name: 'b' });
    assert.equal(
      formFaultMessage({ fault: 'encoding', name: 'user_code' }, 'form field'),
      'Form field user_code is not valid UTF-8 text',
    );
    assert.equal(
      formFaultMessage({ fault: 'control', name: undefined }, 'parameter'),
      'A parameter must not contain control characters',
    );
  });
});
