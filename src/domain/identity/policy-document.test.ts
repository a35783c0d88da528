import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPolicyDocument } from './policy-document.ts';

const ok = (doc: unknown) => JSON.stringify(doc);

describe('inline policy documents', () => {
  it('accepts statement objects and arrays, both versions, conditions', () => {
    assert.deepEqual(
      checkPolicyDocument(
        ok({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:Get*', Resource: '*' } }),
      ),
      [],
    );
    assert.deepEqual(
      checkPolicyDocument(
        ok({
          Version: '2008-10-17',
          Id: 'p1',
          Statement: [
            {
              Sid: 'One',
              Effect: 'Deny',
              NotAction: ['iam:*', 'organizations:*'],
              Resource: 'arn:aws:s3:::b/*',
            },
            {
              Sid: 'Two',
              Effect: 'Allow',
              Action: '*',
              NotResource: [`arn:aws:iam::*:role/\${aws:username}`],
              Condition: {
                Bool: { 'aws:MultiFactorAuthPresent': true },
                'ForAnyValue:StringLike': { 'aws:TagKeys': ['a*'] },
              },
            },
          ],
        }),
      ),
      [],
    );
  });

  it('reports every problem with its path', () => {
    const problems = checkPolicyDocument(
      ok({
        Version: '2020-01-01',
        Extra: 1,
        Statement: [
          { Effect: 'allow', Action: 'GetObject', Resource: 'bucket' },
          { Effect: 'Allow', Action: [], NotAction: 's3:*' },
          { Sid: 'A', Effect: 'Allow', Action: 's3:*', Resource: '*', Principal: '*' },
          { Sid: 'A', Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { 'Bad Op': {} } },
          'not an object',
        ],
      }),
    );
    const byPath = problems.map((p) => `${p.at.join('.')}: ${p.message}`);
    const expect = [
      /^Extra: unknown policy element/,
      /^Version: Version must be/,
      /^Statement\.0\.Effect: Effect must be "Allow" or "Deny"/,
      /^Statement\.0\.Action: "GetObject" is not an action/,
      /^Statement\.0\.Resource: "bucket" is not an ARN/,
      /^Statement\.1: statement has both Action and NotAction/,
      /^Statement\.1: statement has no Resource/,
      /^Statement\.2\.Principal: Principal is not allowed/,
      /^Statement\.3\.Sid: Sid "A" is used by more than one statement/,
      /^Statement\.3\.Condition\.Bad Op: "Bad Op" is not a condition operator/,
      /^Statement\.4: a statement must be an object/,
    ];
    for (const re of expect)
      assert.ok(
        byPath.some((l) => re.test(l)),
        `${re} in\n${byPath.join('\n')}`,
      );
    assert.equal(byPath.length, expect.length, byPath.join('\n'));
  });

  it('rejects non-JSON, non-objects, missing or empty Statement', () => {
    assert.match(checkPolicyDocument('{"Version":')[0]?.message ?? '', /not valid JSON/);
    assert.match(checkPolicyDocument('[1]')[0]?.message ?? '', /must be a JSON object, not a list/);
    assert.match(checkPolicyDocument('{"Version":"2012-10-17"}')[0]?.message ?? '', /no Statement/);
    assert.match(checkPolicyDocument('{"Statement":[]}')[0]?.message ?? '', /must not be empty/);
    assert.match(checkPolicyDocument('  ')[0]?.message ?? '', /must not be empty/);
  });

  it('enforces 32,768 bytes and 10,240 non-whitespace bytes', () => {
    const statement = {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${'b'.repeat(100)}`,
    };
    const big = ok({ Version: '2012-10-17', Statement: Array.from({ length: 120 }, () => statement) });
    assert.ok(big.length > 10_240 && big.length < 32_768);
    assert.match(checkPolicyDocument(big)[0]?.message ?? '', /not whitespace; at most 10240/);
    const padded = `${' '.repeat(33_000)}${ok({ Statement: statement })}`;
    assert.match(checkPolicyDocument(padded)[0]?.message ?? '', /bytes; at most 32768/);
    const small = ok({ Statement: statement });
    const spaced = small.replace(/,/g, `,${' '.repeat(8000)}`);
    assert.ok(spaced.length > 16_000, 'whitespace does not count toward the 10,240 limit');
    assert.deepEqual(checkPolicyDocument(spaced), []);
    assert.match(
      checkPolicyDocument(ok({ Statement: { ...statement, Sid: 'X' }, Id: '🚀' }))[0]?.message ?? '',
      /U\+0020 to U\+00FF/,
    );
  });
});
