import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createPrompter, filterItems, PromptCancelled, type PromptInput } from './prompt.ts';

function piped(lines: string) {
  const input = new PassThrough();
  let out = '';
  const output = { write: (s: string) => (out += s) };
  input.end(lines);
  return { prompter: createPrompter(input, output), output: () => out };
}

/** A pretend terminal: keys typed with `type`, the screen without escape sequences in `screen`. */
function terminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} }) as PromptInput &
    PassThrough;
  let out = '';
  const output = { write: (s: string | Uint8Array) => (out += String(s)), isTTY: true, rows: 24 };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing escape sequences is the point.
  const screen = () => out.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  /** Wait until the screen shows `text` after what was seen before, then type `keys`. */
  let seen = 0;
  async function after(text: string, keys: string): Promise<void> {
    for (;;) {
      const at = screen().indexOf(text, seen);
      if (at !== -1) {
        seen = at + text.length;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    input.write(keys);
  }
  return { prompter: createPrompter(input, output), screen, after };
}

describe('prompts on a terminal', () => {
  it('shows the question as written, refuses an answer, clears it and asks again', async () => {
    const { prompter, screen, after } = terminal();
    const answer = prompter.ask('Name [None]: ', (a) => (a === 'bad' ? 'Not good' : undefined));
    await after('Name [None]: ', 'bad\r');
    await after('Not good', '  good  \r');
    assert.equal(await answer, 'good');
    assert.match(screen(), /^Name \[None\]: /);
    assert.match(screen(), /Name \[None\]: good\n$/);
  });

  it('the menu moves with the arrow keys and narrows as you type', async () => {
    const items = ['Dev, dev@example.com (1)', 'prod, prod@example.com (2)', 'Production-EU (3)'];
    const t = terminal();
    const first = t.prompter.select(items, (s) => s);
    await t.after('> Dev, dev@example.com (1)', '\u001b[B\r');
    assert.equal(await first, items[1]);
    assert.match(t.screen(), /> prod, prod@example\.com \(2\)\n$/);
    const second = t.prompter.select(items, (s) => s);
    await t.after('search:', 'prod eu');
    await t.after('> Production-EU (3)', '\r');
    assert.equal(await second, items[2]);
  });

  for (const [name, key] of [
    ['Ctrl-C', '\u0003'],
    ['Ctrl-D on an empty line', '\u0004'],
  ] as const) {
    it(`${name} cancels a question and a menu`, async () => {
      const t = terminal();
      const asked = t.prompter.ask('Name: ');
      await t.after('Name: ', key);
      await assert.rejects(asked, PromptCancelled);
      const menu = t.prompter.select(['a', 'b'], (s) => s);
      await t.after('> a', key);
      await assert.rejects(menu, PromptCancelled);
    });
  }
});

describe('prompts on a pipe', () => {
  it('asks, validates and asks again', async () => {
    const { prompter, output } = piped('bad\n  good  \n');
    const answer = await prompter.ask('Name [None]: ', (a) => (a === 'bad' ? 'Not good' : undefined));
    assert.equal(answer, 'good');
    assert.equal(output(), 'Name [None]: \nNot good\nName [None]: \n');
  });

  it('selects by number, by default, and by search', async () => {
    const items = ['Dev, dev@example.com (1)', 'prod, prod@example.com (2)', 'Production-EU (3)'];
    const { prompter } = piped('2\n\nprod eu\n');
    assert.equal(await prompter.select(items, (s) => s), items[1]);
    assert.equal(await prompter.select(items, (s) => s), items[0]);
    assert.equal(await prompter.select(items, (s) => s), items[2]);
  });

  it('a search with several matches narrows the list, then a number picks', async () => {
    const items = ['alpha', 'prod-a', 'prod-b'];
    const { prompter, output } = piped('prod\n2\n');
    assert.equal(await prompter.select(items, (s) => s), 'prod-b');
    assert.match(output(), /> 1\) prod-a\n {2}2\) prod-b\n/);
  });

  it('end of input cancels', async () => {
    const { prompter } = piped('');
    await assert.rejects(prompter.ask('Name: '), PromptCancelled);
  });

  it('search needs every word, case-insensitively', () => {
    assert.deepEqual(
      filterItems(['Prod EU', 'prod US', 'dev'], (s) => s, 'PROD eu'),
      ['Prod EU'],
    );
    assert.deepEqual(
      filterItems(['a', 'b'], (s) => s, '  '),
      ['a', 'b'],
    );
  });
});
