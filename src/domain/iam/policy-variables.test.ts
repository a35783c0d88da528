// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${…} inside ordinary policy strings
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextFromKeys } from './context.ts';
import { expandPolicyString, expandPolicyText } from './policy-variables.ts';
import { matchesPattern, patternFromParts } from './wildcard.ts';

const ctx = contextFromKeys({
  'aws:username': 'alice',
  'aws:PrincipalTag/team': 'platform',
  'aws:userid': 'AROAEXAMPLE:alice*',
  'aws:TagKeys': ['a', 'b'],
});

function matches(policyText: string, text: string): boolean | undefined {
  const parts = expandPolicyString(policyText, ctx, { variables: true, wildcards: true });
  return parts === undefined ? undefined : matchesPattern(patternFromParts(parts), text);
}

describe('policy variables', () => {
  it('replaces keys of the request context, whatever their case', () => {
    assert.equal(expandPolicyText('home/${aws:username}/', ctx, true), 'home/alice/');
    assert.equal(expandPolicyText('${AWS:PrincipalTag/Team}-admins', ctx, true), 'platform-admins');
  });

  it('keeps replaced values literal: a * in a value is no wildcard', () => {
    assert.equal(matches('user/${aws:userid}', 'user/AROAEXAMPLE:alice*'), true);
    assert.equal(matches('user/${aws:userid}', 'user/AROAEXAMPLE:alice-and-more'), false);
  });

  it('reads ${*}, ${?} and ${$} as literal characters', () => {
    assert.equal(expandPolicyText('a${*}b${?}c${$}', ctx, true), 'a*b?c$');
    assert.equal(matches('file${*}', 'file*'), true);
    assert.equal(matches('file${*}', 'fileXYZ'), false);
    assert.equal(matches('file*', 'fileXYZ'), true);
  });

  it('uses a default when the key is missing, and gives up without one', () => {
    assert.equal(expandPolicyText("${aws:PrincipalTag/dept, 'none'}", ctx, true), 'none');
    assert.equal(expandPolicyText("${aws:username, 'anonymous'}", ctx, true), 'alice');
    assert.equal(expandPolicyText('${aws:PrincipalTag/dept}', ctx, true), undefined);
    assert.equal(matches('x/${aws:PrincipalTag/dept}/*', 'x//y'), undefined);
  });

  it('does not replace a multivalued key', () => {
    assert.equal(expandPolicyText('${aws:TagKeys}', ctx, true), undefined);
  });

  it('leaves everything literal when variables are off (Version 2008-10-17)', () => {
    assert.equal(expandPolicyText('home/${aws:username}', ctx, false), 'home/${aws:username}');
  });

  it('treats an unterminated ${ as text', () => {
    assert.equal(expandPolicyText('a${aws:username', ctx, true), 'a${aws:username');
  });
});
