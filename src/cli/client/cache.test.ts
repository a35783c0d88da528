import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  credentialCacheKey,
  formatIsoOffset,
  formatTimestamp,
  parseTimestamp,
  registrationCacheKey,
  tokenCacheKey,
} from './cache.ts';
import { pyDumps } from './pyjson.ts';

// Vectors from docs/client-files.md, "Token cache file name", "Client registration cache",
// "Role credential cache".
describe('cache keys', () => {
  it('token key: session name, or start URL exactly as configured', () => {
    assert.equal(
      tokenCacheKey({ sessionName: 'my-sso', startUrl: 'https://x/start' }),
      '0ad374308c5a4e22f723adf10145eafad7c4031c',
    );
    assert.equal(
      tokenCacheKey({ startUrl: 'https://my-sso-portal.awsapps.com/start' }),
      'c7aaaf71fcc8777ae2475525ed049d39fe16c484',
    );
    assert.equal(
      tokenCacheKey({ startUrl: 'https://my-sso-portal.awsapps.com/start/' }),
      '281a1863574b3787533891e49521f808d4fc0d51',
    );
  });

  it('registration key: sorted Python JSON of the registration arguments', () => {
    const base = { region: 'us-east-1', startUrl: 'https://my-sso-portal.awsapps.com/start' };
    assert.equal(
      registrationCacheKey({ ...base, scopes: ['sso:account:access'], sessionName: 'my-sso' }),
      'c5cfae6e3e4f067423a532368c8b514b6a4b0ace',
    );
    assert.equal(
      registrationCacheKey({ ...base, scopes: undefined, sessionName: 'my-sso' }),
      '5d2ad48f7ce068c072924f44a42fb81ca0fd6b99',
    );
  });

  it('credential key: compact sorted JSON with the session name or the start URL', () => {
    assert.equal(
      credentialCacheKey({
        accountId: '111111111111',
        roleName: 'Admin',
        sessionName: 'my-sso',
        startUrl: 'x',
      }),
      '4d591a7ab0da2e15379d89377621ae9cda619cc3',
    );
    assert.equal(
      credentialCacheKey({
        accountId: '111111111111',
        roleName: 'Admin',
        startUrl: 'https://my-sso-portal.awsapps.com/start',
      }),
      'ba438d0f46a8bb129e6bf1022db0d2237a5fe039',
    );
  });
});

describe('python json text', () => {
  it('matches json.dumps separators, key order and ASCII escaping', () => {
    assert.equal(pyDumps({ b: 1, a: ['x', null] }, { sortKeys: true }), '{"a": ["x", null], "b": 1}');
    assert.equal(pyDumps({ b: 1, a: 'é\n"' }, { compact: true }), '{"b":1,"a":"\\u00e9\\n\\""}');
    assert.equal(pyDumps('😀\u007f'), '"\\ud83d\\ude00\\u007f"');
  });
});

describe('timestamps', () => {
  it('writes botocore form and reads every form AWS tools write', () => {
    const ms = Date.UTC(2026, 10, 28, 7, 27, 2, 907);
    assert.equal(formatTimestamp(ms), '2026-11-28T07:27:02Z');
    assert.equal(formatIsoOffset(ms), '2026-11-28T07:27:02+00:00');
    const whole = Date.UTC(2026, 10, 28, 7, 27, 2);
    assert.equal(parseTimestamp('2026-11-28T07:27:02Z'), whole);
    assert.equal(parseTimestamp('2026-11-28T07:27:02.907Z'), ms);
    assert.equal(parseTimestamp('2026-11-28T07:27:02UTC'), whole);
    assert.equal(parseTimestamp('2026-11-28T07:27:02+00:00'), whole);
    assert.equal(parseTimestamp('tomorrow'), undefined);
    assert.equal(parseTimestamp(12), undefined);
  });
});
