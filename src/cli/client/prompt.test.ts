import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createPrompter, filterItems, PromptCancelled } from './prompt.ts';

function piped(lines: string) {
  const input = new PassThrough();
  let out = '';
  const output = { write: (s: string) => (out += s) };
  input.end(lines);
  return { prompter: createPrompter(input, output), output: () => out };
}

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
