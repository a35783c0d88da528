import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issueNextToken, NEXT_TOKEN_LIFETIME_MS, queryDigest, readNextToken } from './pagination.ts';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const NOW = 1_800_000_000_000;

describe('admin NextTokens', () => {
  const q = queryDigest(['d-0123456789', null]);
  const token = issueNextToken(KEY, 'ListUsers', q, 'user-42', NOW);

  it('fit every model pattern and give back where the page starts', () => {
    assert.match(token, /^[-a-zA-Z0-9+=/_]+$/);
    assert.equal(readNextToken(KEY, token, 'ListUsers', q, NOW + 1000), 'user-42');
    assert.equal(readNextToken(KEY, undefined, 'ListUsers', q, NOW), undefined);
  });

  it('are refused when stale, forged, signed by another key, or for another operation or query', () => {
    assert.equal(readNextToken(KEY, token, 'ListUsers', q, NOW + NEXT_TOKEN_LIFETIME_MS + 1), null);
    assert.equal(readNextToken(OTHER_KEY, token, 'ListUsers', q, NOW), null);
    assert.equal(readNextToken(KEY, token, 'ListGroups', q, NOW), null);
    assert.equal(readNextToken(KEY, token, 'ListUsers', queryDigest(['d-0123456789', 'alice']), NOW), null);
    const body = Buffer.from(
      JSON.stringify({ v: 1, o: 'ListUsers', q, a: 'user-00', t: NOW }),
      'utf8',
    ).toString('base64url');
    assert.equal(readNextToken(KEY, `${body}${token.slice(-43)}`, 'ListUsers', q, NOW), null);
    assert.equal(readNextToken(KEY, 'short', 'ListUsers', q, NOW), null);
    assert.equal(readNextToken(KEY, '', 'ListUsers', q, NOW), null);
  });
});
