import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isInvisible, readable } from './static/display-text.js';
import { displayText } from './text.ts';

describe('display text, one rule for the pages and the portal script', () => {
  it('invisible characters become U+FFFD; joiners stay', () => {
    assert.equal(readable('invoice\u202Egpj.exe'), 'invoice\uFFFDgpj.exe');
    assert.equal(readable('a\u200Bb\u2066c\uFEFFd\u0085e'), 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe');
    assert.equal(readable('Zoë 👩\u200D💻 \u200C'), 'Zoë 👩\u200D💻 \u200C');
    assert.equal(isInvisible(0x200d), false);
    assert.equal(isInvisible(0x200e), true);
  });

  it('the server cuts long text after the same rule', () => {
    assert.equal(displayText(`${'\u202E'.repeat(3)}${'x'.repeat(10)}`, 5), '\uFFFD\uFFFD\uFFFDxx…');
  });
});
