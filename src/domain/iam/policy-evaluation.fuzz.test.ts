// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${…} inside ordinary policy strings
/**
 * Random policies built from the grammar that identity/policy-document.ts accepts (with awkward
 * pieces: unknown operators, unreadable values, variables with and without defaults, unterminated
 * `${`, case variants), evaluated against random requests. Whatever the validator accepts must
 * parse and evaluate without throwing, and the results must keep the rules of evaluation.
 * The generator is seeded, so a failure names the seed that reproduces it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPolicyValue } from '../identity/policy-document.ts';
import { type ContextInput, contextFromKeys } from './context.ts';
import { awsManagedPolicy } from './managed-policies.ts';
import { type Policy, parsePolicy, type Statement } from './policy.ts';
import { evaluate } from './policy-evaluation.ts';

/** mulberry32: a small deterministic generator, good enough to pick test inputs. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  const some = <T>(list: readonly T[], max: number): T[] =>
    Array.from({ length: 1 + int(max) }, () => pick(list));
  return { next, int, pick, some };
}

const ACTIONS = [
  '*',
  'sso:*',
  'sso:List*',
  'sso:Describe?nstance',
  'SSO:listinstances',
  'sso:*Permission*',
  'identitystore:*',
  'identitystore:Describe*',
  'organizations:Create*',
  'organizations:ListAccounts',
  'iam:*',
  'sso:??????????',
];
const RESOURCES = [
  '*',
  'arn:aws:sso:::instance/*',
  'arn:aws:sso:::permissionSet/*/ps-*',
  'arn:*:sso:*:*:*',
  'arn:aws:sso:::account/0111111111??',
  'arn:aws:identitystore:::user/${aws:username}',
  "arn:aws:identitystore:::group/${aws:PrincipalTag/GroupId, 'none'}",
  'arn:aws:identitystore:::group/${aws:PrincipalTag/GroupId',
  'arn:aws:identitystore:::user/${*}${?}${$}',
  'arn:aws:organizations::*:ou/o-*/ou-ab12-*',
  'arn:aws:organizations::111122223333:account/o-exampleorg1/*',
  'arn:aws:s3:::bucket/*/test/*',
  'arn:aws:iam::${aws:username}:user/x',
];
const OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateGreaterThan',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
  'stringlike',
  'StringFoo',
  'NullIfExists',
];
const KEYS = [
  'aws:username',
  'AWS:UserName',
  'aws:userid',
  'aws:PrincipalArn',
  'aws:PrincipalTag/Team',
  'aws:RequestedRegion',
  'aws:SourceIp',
  'aws:SecureTransport',
  'aws:CurrentTime',
  'aws:EpochTime',
  'aws:MultiFactorAuthPresent',
  'aws:TagKeys',
  'aws:RequestTag/owner',
  'aws:ResourceTag/env',
  'sso:PrimaryRegion',
];
const VALUES: ReadonlyArray<string | number | boolean> = [
  'alice',
  'platform',
  '*',
  'a*b?',
  '',
  '${aws:username}',
  "${aws:PrincipalTag/Team, 'x'}",
  '${',
  'eu-west-1',
  '203.0.113.0/24',
  '2001:DB8::/32',
  '10.0.0.1',
  '999.1.1.1',
  'fe80::1%eth0/64',
  '10.0.0.0/33',
  '2020-04-01T00:00:00Z',
  '1700000000',
  'yesterday',
  'true',
  'false',
  'TRUE',
  'QUJD',
  '10',
  '-1.5',
  'arn:aws:iam::*:role/*',
  'arn:aws:sso:::instance/${aws:username}',
  10,
  0,
  true,
  false,
];
const REQUEST_ACTIONS = [
  'sso:ListInstances',
  'sso:DescribeInstance',
  'sso:CreatePermissionSet',
  'identitystore:DescribeUser',
  'identitystore:CreateGroupMembership',
  'organizations:ListAccounts',
  'organizations:CreateOrganizationalUnit',
  'iam:ListRoles',
];
const REQUEST_RESOURCES = [
  '*',
  'arn:aws:sso:::instance/ssoins-72230000aaaabbbb',
  'arn:aws:sso:::permissionSet/ssoins-72230000aaaabbbb/ps-0123456789abcdef',
  'arn:aws:sso:::account/011111111111',
  'arn:aws:identitystore:::user/alice',
  'arn:aws:identitystore:::group/none',
  'arn:aws:identitystore:::user/*?$',
  'arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-teamaaaa',
  'not an arn',
];
const CONTEXT_VALUES: ContextInput[] = [
  'alice',
  'Alice',
  'platform',
  'eu-west-1',
  '203.0.113.9',
  '2001:db8::1',
  '::ffff:10.0.0.1',
  'fe80::1%eth0',
  '2020-05-01T00:00:00.000Z',
  '1700000000',
  'true',
  'false',
  true,
  false,
  7,
  'QUJD',
  'arn:aws:iam::1:role/x',
  ['owner'],
  ['owner', 'secret'],
  [],
  undefined,
];

type Rng = ReturnType<typeof generator>;

function randomDocument(r: Rng): unknown {
  const statement = (i: number) => {
    const st: Record<string, unknown> = { Effect: r.pick(['Allow', 'Deny']) };
    if (r.next() < 0.5) st.Sid = `S${i}`;
    const actions = r.next() < 0.5 ? r.pick(ACTIONS) : r.some(ACTIONS, 3);
    st[r.next() < 0.75 ? 'Action' : 'NotAction'] = actions;
    const resources = r.next() < 0.5 ? r.pick(RESOURCES) : r.some(RESOURCES, 3);
    st[r.next() < 0.8 ? 'Resource' : 'NotResource'] = resources;
    if (r.next() < 0.7) {
      const condition: Record<string, Record<string, unknown>> = {};
      for (let c = r.int(3); c >= 0; c--) {
        const base = r.pick(OPERATORS);
        const qualifier = r.pick(['', '', 'ForAllValues:', 'ForAnyValue:']);
        const operator = `${base === 'Null' || base === 'NullIfExists' ? '' : qualifier}${base}${r.next() < 0.2 ? 'IfExists' : ''}`;
        const entries: Record<string, unknown> = {};
        for (let k = r.int(2); k >= 0; k--) {
          entries[r.pick(KEYS)] = r.next() < 0.5 ? r.pick(VALUES) : r.some(VALUES, 3);
        }
        condition[operator] = entries;
      }
      st.Condition = condition;
    }
    return st;
  };
  const count = 1 + r.int(4);
  const doc: Record<string, unknown> = {
    Statement: r.next() < 0.2 ? statement(0) : Array.from({ length: count }, (_, i) => statement(i)),
  };
  const version = r.pick(['2012-10-17', '2012-10-17', '2008-10-17', undefined]);
  if (version) doc.Version = version;
  return doc;
}

function randomContext(r: Rng) {
  const keys: Record<string, ContextInput> = {};
  for (let i = r.int(8); i >= 0; i--) keys[r.pick(KEYS)] = r.pick(CONTEXT_VALUES);
  return contextFromKeys(keys);
}

const DENY_ALL = parsePolicy('deny-all', {
  Version: '2012-10-17',
  Statement: { Effect: 'Deny', Action: '*', Resource: '*' },
});

describe('random policies from the grammar', () => {
  for (const seed of [1, 2, 3, 20240501, 0xdecafbad]) {
    it(`never throw and keep the rules of evaluation (seed ${seed})`, () => {
      assert.ok(DENY_ALL.ok);
      const admin = awsManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess')!;
      const r = generator(seed);
      let allowed = 0;
      let denied = 0;
      for (let n = 0; n < 200; n++) {
        const doc = randomDocument(r);
        assert.deepEqual(checkPolicyValue(doc), [], JSON.stringify(doc));
        const parsed = parsePolicy('random', doc);
        assert.ok(parsed.ok, JSON.stringify(doc));
        const policies: Policy[] = [parsed.policy];
        for (let q = 0; q < 10; q++) {
          const request = {
            action: r.pick(REQUEST_ACTIONS),
            resource: r.pick(REQUEST_RESOURCES),
            context: randomContext(r),
          };
          const where = `seed ${seed}, policy ${n}: ${JSON.stringify(doc)} request ${JSON.stringify({ ...request, context: request.context.keys() })}`;
          const result = evaluate(request, policies);
          assert.deepEqual(evaluate(request, policies), result, where);
          if (result.matched) {
            const st: Statement | undefined = parsed.policy.statements[result.matched.statementIndex];
            assert.equal(st?.effect, result.decision === 'allow' ? 'Allow' : 'Deny', where);
          }
          if (result.decision === 'allow') allowed++;
          else denied++;
          // An explicit Deny of everything wins; an allow-everything boundary changes nothing.
          assert.equal(evaluate(request, [...policies, DENY_ALL.policy]).decision, 'explicit-deny', where);
          assert.deepEqual(evaluate(request, policies, { permissionsBoundary: admin }), result, where);
          // As the boundary of AdministratorAccess, the policy allows exactly what it allows alone.
          const bounded = evaluate(request, [admin], { permissionsBoundary: parsed.policy });
          assert.equal(bounded.decision === 'allow', result.decision === 'allow', where);
        }
      }
      // The generator must reach both outcomes, or the properties above prove little.
      assert.ok(allowed > 50 && denied > 50, `allowed ${allowed}, denied ${denied}`);
    });
  }
});
