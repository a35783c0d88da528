import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANY_ONE, ANY_RUN, matchesPattern, patternFromParts, wildcardPattern } from './wildcard.ts';

describe('IAM wildcard patterns', () => {
  const cases: Array<[pattern: string, text: string, matches: boolean]> = [
    ['*', '', true],
    ['*', 'anything at all', true],
    ['List*', 'ListInstances', true],
    ['List*', 'List', true],
    ['List*', 'DescribeList', false],
    ['Describe?nstance', 'DescribeInstance', true],
    ['Describe?nstance', 'Describenstance', false],
    ['Describe?nstance', 'DescribeXXnstance', false],
    ['*Permission*', 'PutInlinePolicyToPermissionSet', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['bucket/*/test/*', 'bucket/1/2/test/3/object.jpg', true],
    ['bucket/*/test/*', 'bucket//test/object.jpg', true],
    ['bucket/*/test/*', 'bucket/test/object.jpg', false],
    ['bucket/*/test/*', 'bucket/1-test/object.jpg', false],
    ['exact', 'exact', true],
    ['exact', 'Exact', false],
    ['???', 'abc', true],
    ['???', 'ab', false],
    ['', '', true],
    ['', 'a', false],
  ];
  for (const [pattern, text, matches] of cases) {
    it(`${JSON.stringify(pattern)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      assert.equal(matchesPattern(wildcardPattern(pattern), text), matches);
    });
  }

  it('compares in lower case when asked', () => {
    assert.equal(matchesPattern(wildcardPattern('list*', true), 'ListInstances'), true);
    assert.equal(matchesPattern(wildcardPattern('LIST*'), 'ListInstances'), false);
  });

  it('keeps literal parts literal: an escaped star is a star, not a wildcard', () => {
    const pattern = patternFromParts(['a', '*', 'b', ANY_RUN]);
    assert.equal(matchesPattern(pattern, 'a*b-and-more'), true);
    assert.equal(matchesPattern(pattern, 'aXb'), false);
    assert.equal(matchesPattern(patternFromParts(['x', ANY_ONE]), 'xy'), true);
  });

  it('stays fast on patterns that make backtracking regular expressions explode', () => {
    const pattern = wildcardPattern(`${'*a'.repeat(30)}*b`);
    const text = 'a'.repeat(5000);
    const started = process.hrtime.bigint();
    assert.equal(matchesPattern(pattern, text), false);
    // A generous bound: the point is "does not hang", not speed.
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n);
  });
});
