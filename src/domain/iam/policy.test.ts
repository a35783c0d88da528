// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${…} inside ordinary policy strings
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextFromKeys } from './context.ts';
import { parsePolicy, parsePolicyText } from './policy.ts';

const ctx = contextFromKeys({ 'aws:username': 'alice' });

describe('parsing identity policies for evaluation', () => {
  it('refuses what the inline-policy grammar refuses, with the same problems', () => {
    const result = parsePolicy('inline', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*:*', Resource: '*' }, { Effect: 'Permit' }],
    });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.problems.map((p) => p.at.join('.')),
      ['Statement.0.Action', 'Statement.1.Effect', 'Statement.1', 'Statement.1'],
    );
    assert.equal(parsePolicy('inline', 'not an object').ok, false);
  });

  it('checks text for size and JSON, like PutInlinePolicyToPermissionSet', () => {
    assert.equal(parsePolicyText('inline', '{').ok, false);
    assert.equal(parsePolicyText('inline', 'x'.repeat(40_000)).ok, false);
    const ok = parsePolicyText(
      'inline',
      '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}',
    );
    assert.equal(ok.ok, true);
  });

  it('numbers statements by position; a single Statement object is statement 0', () => {
    const single = parsePolicy('p', {
      Statement: { Sid: 'Only', Effect: 'Allow', Action: 'sso:*', Resource: '*' },
    });
    assert.ok(single.ok);
    assert.deepEqual(
      single.policy.statements.map((s) => [s.index, s.sid, s.effect]),
      [[0, 'Only', 'Allow']],
    );
    const list = parsePolicy('p', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'sso:*', Resource: '*' },
        { Sid: '', Effect: 'Deny', Action: 'sso:Delete*', Resource: '*' },
      ],
    });
    assert.ok(list.ok);
    assert.deepEqual(
      list.policy.statements.map((s) => [s.index, s.sid, s.effect]),
      [
        [0, undefined, 'Allow'],
        [1, undefined, 'Deny'],
      ],
    );
  });

  it('matches actions without regard to case, services exactly', () => {
    const r = parsePolicy('p', {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: ['SSO:list*', 'identitystore:Describe?ser'], Resource: '*' },
    });
    assert.ok(r.ok);
    const st = r.policy.statements[0]!;
    assert.equal(st.matchesAction('sso:ListInstances'), true);
    assert.equal(st.matchesAction('sso:listinstances'), true);
    assert.equal(st.matchesAction('sso-directory:ListUsers'), false);
    assert.equal(st.matchesAction('identitystore:DescribeUser'), true);
    assert.equal(st.matchesAction('identitystore:DescribeGroup'), false);
    assert.equal(st.matchesAction('ListInstances'), false);
  });

  it('replaces variables in Resource only in Version 2012-10-17', () => {
    const doc = (Version?: '2012-10-17' | '2008-10-17') => ({
      ...(Version ? { Version } : {}),
      Statement: {
        Effect: 'Allow',
        Action: 'iam:*AccessKey*',
        Resource: 'arn:aws:iam::111122223333:user/${aws:username}',
      },
    });
    const arnOfAlice = 'arn:aws:iam::111122223333:user/alice';
    for (const [version, matches] of [
      ['2012-10-17', true],
      ['2008-10-17', false],
      [undefined, false],
    ] as const) {
      const r = parsePolicy('p', doc(version));
      assert.ok(r.ok);
      assert.equal(r.policy.statements[0]!.matchesResource(arnOfAlice, ctx), matches, String(version));
    }
  });

  it('keeps a policy whose conditions IAM would reject, and says why', () => {
    const r = parsePolicy('p', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringLikeButNot: { k: 'v' } } },
      ],
    });
    assert.ok(r.ok);
    assert.deepEqual(r.problems, [
      {
        at: ['Statement', 0, 'Condition', 'StringLikeButNot', 'k'],
        message: '"StringLikeButNot" is not a condition operator this server evaluates',
      },
    ]);
  });

  it('marks the statements whose outcome depends on nothing but the action and the resource', () => {
    const parsed = parsePolicy('inline', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'identitystore:List*', Resource: '*' },
        { Effect: 'Deny', NotAction: 'sso:*', NotResource: 'arn:aws:sso:::instance/*' },
        {
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'true' } },
        },
        { Effect: 'Allow', Action: '*', Resource: 'arn:aws:identitystore:::user/${aws:userid}' },
        {
          Effect: 'Allow',
          Action: '*',
          NotResource: 'arn:aws:identitystore:::group/${aws:PrincipalTag/team}',
        },
      ],
    });
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.policy.statements.map((st) => st.contextFree),
      [true, true, false, false, false],
    );
    // Without Version 2012-10-17 `${…}` is literal text: nothing is read from the request.
    const old = parsePolicy('inline', {
      Statement: { Effect: 'Allow', Action: '*', Resource: 'arn:aws:identitystore:::user/${aws:userid}' },
    });
    assert.ok(old.ok);
    assert.equal(old.policy.statements[0]?.contextFree, true);
  });
});
