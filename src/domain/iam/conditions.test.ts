// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${…} inside ordinary policy strings
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONDITION_OPERATORS, type ConditionResult, compileConditions, parseIamDate } from './conditions.ts';
import { type ContextInput, contextFromKeys } from './context.ts';

type Block = Parameters<typeof compileConditions>[0];

/** Evaluates a Condition block: every condition must hold; any invalid one makes it invalid. */
function check(block: Block, keys: Record<string, ContextInput>, variables = true): ConditionResult {
  const { conditions } = compileConditions(block, ['Condition'], variables);
  const ctx = contextFromKeys(keys);
  const results = conditions.map((c) => c.evaluate(ctx));
  if (results.includes('invalid')) return 'invalid';
  return results.every((r) => r === true);
}

function problems(block: Block): string[] {
  return compileConditions(block, ['Statement', 0, 'Condition'], true).problems.map(
    (p) => `${p.at.join('.')}: ${p.message}`,
  );
}

describe('condition operators: strings', () => {
  it('StringEquals is case-sensitive on values and not on key names', () => {
    const block = { StringEquals: { 'aws:username': 'johndoe' } };
    assert.equal(check(block, { 'AWS:UserName': 'johndoe' }), true);
    assert.equal(check(block, { 'aws:username': 'JohnDoe' }), false);
  });

  it('StringEqualsIgnoreCase matches johndoe and JohnDoe', () => {
    const block = { StringEqualsIgnoreCase: { 'aws:username': 'johndoe' } };
    assert.equal(check(block, { 'aws:username': 'JohnDoe' }), true);
    assert.equal(
      check({ StringNotEqualsIgnoreCase: { 'aws:username': 'johndoe' } }, { 'aws:username': 'JOHNDOE' }),
      false,
    );
  });

  it('several values for one key: any may match; for a negated operator none may (NOR)', () => {
    const regions = ['eu-central-1', 'eu-west-1'];
    assert.equal(
      check({ StringEquals: { 'aws:RequestedRegion': regions } }, { 'aws:RequestedRegion': 'eu-west-1' }),
      true,
    );
    assert.equal(
      check({ StringEquals: { 'aws:RequestedRegion': regions } }, { 'aws:RequestedRegion': 'us-east-1' }),
      false,
    );
    assert.equal(
      check({ StringNotEquals: { 'aws:RequestedRegion': regions } }, { 'aws:RequestedRegion': 'eu-west-1' }),
      false,
    );
    assert.equal(
      check({ StringNotEquals: { 'aws:RequestedRegion': regions } }, { 'aws:RequestedRegion': 'us-east-1' }),
      true,
    );
  });

  it('StringLike takes * and ?; StringEquals takes them literally', () => {
    assert.equal(check({ StringLike: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'home/alice/' }), true);
    assert.equal(check({ StringLike: { 's3:prefix': 'home/?' } }, { 's3:prefix': 'home/ab' }), false);
    assert.equal(check({ StringEquals: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'home/alice/' }), false);
    assert.equal(check({ StringEquals: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'home/*' }), true);
    assert.equal(check({ StringNotLike: { 's3:prefix': ['a*', 'b*'] } }, { 's3:prefix': 'c' }), true);
    assert.equal(check({ StringNotLike: { 's3:prefix': ['a*', 'b*'] } }, { 's3:prefix': 'bx' }), false);
  });

  it('replaces policy variables in string values (Version 2012-10-17 only)', () => {
    const block = { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } };
    assert.equal(check(block, { 's3:prefix': 'home/alice/notes', 'aws:username': 'alice' }), true);
    assert.equal(check(block, { 's3:prefix': 'home/bob/notes', 'aws:username': 'alice' }), false);
    assert.equal(check(block, { 's3:prefix': 'home/alice/notes', 'aws:username': 'alice' }, false), false);
    // A value whose variable is missing matches nothing; the others still can.
    assert.equal(check(block, { 's3:prefix': 'home/' }), true);
    assert.equal(check(block, { 's3:prefix': 'home/x/y' }), false);
  });
});

describe('condition operators: a key missing from the request', () => {
  const none = {};
  it('makes positive operators false and negated ones true', () => {
    assert.equal(check({ StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } }, none), false);
    assert.equal(check({ StringNotLike: { 'aws:PrincipalTag/x': 'a*' } }, none), true);
    assert.equal(check({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:t' } }, none), true);
    assert.equal(check({ NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } }, none), true);
    assert.equal(check({ NumericLessThan: { 's3:max-keys': 10 } }, none), false);
    assert.equal(check({ DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } }, none), false);
    assert.equal(check({ Bool: { 'aws:SecureTransport': 'false' } }, none), false);
  });

  it('makes every …IfExists operator true, and leaves it alone when present', () => {
    const block = { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } };
    assert.equal(check(block, none), true);
    assert.equal(check(block, { 'ec2:InstanceType': 't2.micro' }), true);
    assert.equal(check(block, { 'ec2:InstanceType': 'c5.large' }), false);
    assert.equal(check({ BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }, none), true);
    assert.equal(
      check(
        { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        { 'aws:MultiFactorAuthPresent': true },
      ),
      false,
    );
    assert.equal(check({ StringNotEqualsIfExists: { 'aws:PrincipalTag/t': 'x' } }, none), true);
  });

  it('is what Null tests: true means absent, false means present', () => {
    assert.equal(check({ Null: { 'aws:TokenIssueTime': 'true' } }, none), true);
    assert.equal(
      check({ Null: { 'aws:TokenIssueTime': 'true' } }, { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }),
      false,
    );
    assert.equal(check({ Null: { 'aws:TokenIssueTime': false } }, { 'aws:TokenIssueTime': 'x' }), true);
    assert.equal(check({ Null: { 'aws:TokenIssueTime': 'FALSE' } }, none), false);
  });
});

describe('condition operators: multivalued keys (ForAllValues, ForAnyValue)', () => {
  const allowed = ['PostDateTime', 'Message', 'Tags'];

  it('ForAllValues: every request value must match some policy value', () => {
    const block = { 'ForAllValues:StringLike': { 'dynamodb:requestedAttributes': allowed } };
    assert.equal(check(block, { 'dynamodb:requestedAttributes': ['PostDateTime', 'Message'] }), true);
    assert.equal(check(block, { 'dynamodb:requestedAttributes': ['PostDateTime', 'UserName'] }), false);
  });

  it('ForAnyValue: one request value matching one policy value is enough', () => {
    const block = { 'ForAnyValue:StringLike': { 'dynamodb:requestedAttributes': ['ID', 'PostDateTime'] } };
    assert.equal(
      check(block, { 'dynamodb:requestedAttributes': ['UserName', 'Message', 'PostDateTime'] }),
      true,
    );
    assert.equal(check(block, { 'dynamodb:requestedAttributes': ['UserName'] }), false);
  });

  it('with a missing or empty set, ForAllValues is true and ForAnyValue false', () => {
    for (const keys of [{}, { 'aws:TagKeys': [] }]) {
      assert.equal(check({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } }, keys), true);
      assert.equal(check({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } }, keys), false);
      assert.equal(check({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['a'] } }, keys), false);
      assert.equal(check({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['a'] } }, keys), true);
    }
  });

  it('ForAllValues with a negated operator (the IAM User Guide table for aws:TagKeys)', () => {
    const block = { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'key1*' } };
    assert.equal(check(block, { 'aws:TagKeys': ['key1:legal'] }), false);
    assert.equal(check(block, { 'aws:TagKeys': ['key1:hr', 'key1:personnel'] }), false);
    assert.equal(check(block, { 'aws:TagKeys': ['key2:audit'] }), true);
    assert.equal(check(block, {}), true);
  });

  it('a multivalued key without a set qualifier never matches', () => {
    assert.equal(check({ StringEquals: { 'aws:TagKeys': 'a' } }, { 'aws:TagKeys': ['a'] }), false);
    assert.equal(check({ StringNotEquals: { 'aws:TagKeys': 'b' } }, { 'aws:TagKeys': ['a'] }), false);
  });

  it('a single value is a set of one for the set qualifiers', () => {
    assert.equal(
      check({ 'ForAnyValue:StringEquals': { 'aws:RequestTag/a': 'x' } }, { 'aws:RequestTag/a': 'x' }),
      true,
    );
  });
});

describe('condition operators: numbers, dates, booleans, binary', () => {
  it('compares numbers, integers and decimals', () => {
    assert.equal(check({ NumericLessThanEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' }), true);
    assert.equal(check({ NumericLessThan: { 's3:max-keys': 10 } }, { 's3:max-keys': 10 }), false);
    assert.equal(check({ NumericGreaterThan: { n: '1.5' } }, { n: '1.75' }), true);
    assert.equal(check({ NumericGreaterThanEquals: { n: '2' } }, { n: '1.99' }), false);
    assert.equal(check({ NumericEquals: { n: ['1', '2'] } }, { n: '2.0' }), true);
    assert.equal(check({ NumericNotEquals: { n: ['1', '2'] } }, { n: '3' }), true);
    assert.equal(check({ NumericNotEquals: { n: ['1', '2'] } }, { n: '2' }), false);
    assert.equal(check({ NumericEquals: { n: '1' } }, { n: 'one' }), false);
  });

  it('compares ISO 8601 dates and epoch seconds, against aws:CurrentTime and aws:EpochTime', () => {
    const window = {
      DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:00Z' },
      DateLessThan: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' },
    };
    assert.equal(check(window, { 'aws:CurrentTime': '2020-05-15T10:00:00.000Z' }), true);
    assert.equal(check(window, { 'aws:CurrentTime': '2020-07-01T00:00:00.000Z' }), false);
    assert.equal(
      check(
        { DateGreaterThanEquals: { 'aws:EpochTime': '2020-04-01T00:00:00Z' } },
        { 'aws:EpochTime': '1585699200' },
      ),
      true,
    );
    assert.equal(
      check({ DateLessThan: { 'aws:EpochTime': 1585699200 } }, { 'aws:EpochTime': '1585699199' }),
      true,
    );
    assert.equal(check({ DateEquals: { t: '2020-04-01' } }, { t: '2020-04-01T02:00:00+02:00' }), true);
    assert.equal(check({ DateNotEquals: { t: '2020-04-01' } }, { t: '2020-04-01T00:00:00Z' }), false);
    assert.equal(parseIamDate('2020-02-30T00:00:00'), undefined);
    assert.equal(parseIamDate('2020-13-01'), undefined);
  });

  it('Bool compares true and false, whatever their case or JSON type', () => {
    assert.equal(
      check({ Bool: { 'aws:MultiFactorAuthPresent': true } }, { 'aws:MultiFactorAuthPresent': 'true' }),
      true,
    );
    assert.equal(
      check({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'FALSE' }),
      true,
    );
    assert.equal(check({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': true }), false);
    assert.equal(check({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'no' }), false);
  });

  it('BinaryEquals compares the bytes of base64 values', () => {
    assert.equal(
      check({ BinaryEquals: { k: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } }, { k: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' }),
      true,
    );
    assert.equal(check({ BinaryEquals: { k: 'QUJD' } }, { k: 'QUJE' }), false);
  });
});

describe('condition operators: IP addresses', () => {
  const corporate = { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } };

  it('matches IPv4 and IPv6 CIDR ranges', () => {
    assert.equal(check(corporate, { 'aws:SourceIp': '203.0.113.200' }), true);
    assert.equal(check(corporate, { 'aws:SourceIp': '203.0.114.1' }), false);
    assert.equal(check(corporate, { 'aws:SourceIp': '2001:db8:1234:5678:ffff::1' }), true);
    assert.equal(check(corporate, { 'aws:SourceIp': '2001:db8:1234:5679::1' }), false);
    assert.equal(check(corporate, { 'aws:SourceIp': '::ffff:203.0.113.9' }), true);
    assert.equal(check(corporate, { 'aws:SourceIp': 'not an address' }), false);
  });

  it('reads an address without a prefix as a single address', () => {
    assert.equal(
      check({ IpAddress: { 'aws:SourceIp': '192.0.2.7' } }, { 'aws:SourceIp': '192.0.2.7' }),
      true,
    );
    assert.equal(
      check({ IpAddress: { 'aws:SourceIp': '192.0.2.7' } }, { 'aws:SourceIp': '192.0.2.8' }),
      false,
    );
    assert.equal(
      check({ IpAddress: { 'aws:SourceIp': '2001:db8::1' } }, { 'aws:SourceIp': '2001:db8::1' }),
      true,
    );
  });

  it('NotIpAddress holds outside every range', () => {
    const block = { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } };
    assert.equal(check(block, { 'aws:SourceIp': '198.51.100.1' }), true);
    assert.equal(check(block, { 'aws:SourceIp': '203.0.113.1' }), false);
  });
});

describe('condition operators: ARNs', () => {
  it('ArnLike and ArnEquals match part by part, with wildcards; the Not forms negate', () => {
    const principal = {
      'aws:PrincipalArn':
        'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123',
    };
    const pattern = 'arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*';
    assert.equal(check({ ArnLike: { 'aws:PrincipalArn': pattern } }, principal), true);
    assert.equal(check({ ArnEquals: { 'aws:PrincipalArn': pattern } }, principal), true);
    assert.equal(check({ ArnNotLike: { 'aws:PrincipalArn': pattern } }, principal), false);
    assert.equal(
      check({ ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/Other' } }, principal),
      true,
    );
    assert.equal(
      check(
        { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/${aws:username}' } },
        {
          'aws:PrincipalArn': 'arn:aws:iam::1:role/alice',
          'aws:username': 'alice',
        },
      ),
      true,
    );
  });
});

describe('conditions IAM would reject', () => {
  it('reports unknown operators and unreadable values, and evaluates them as invalid', () => {
    const bad = {
      StringEqualz: { 'aws:username': 'a' },
      NumericLessThan: { n: 'ten' },
      IpAddress: { 'aws:SourceIp': '300.1.1.1/8' },
      DateLessThan: { 'aws:CurrentTime': 'yesterday' },
      Bool: { 'aws:SecureTransport': 'yes' },
      NullIfExists: { k: 'true' },
      'ForAllValues:Null': { k: 'true' },
      Null: { k: 'maybe' },
      ArnLike: { 'aws:PrincipalArn': 'role/Admin' },
      BinaryEquals: { k: 'not base64!' },
      NumericEquals: { n: '${aws:username}' },
    };
    assert.deepEqual(problems(bad), [
      'Statement.0.Condition.StringEqualz.aws:username: "StringEqualz" is not a condition operator this server evaluates',
      'Statement.0.Condition.NumericLessThan.n: NumericLessThan: "ten" is not a number',
      'Statement.0.Condition.IpAddress.aws:SourceIp: IpAddress: "300.1.1.1/8" is not an IP address or CIDR range',
      'Statement.0.Condition.DateLessThan.aws:CurrentTime: DateLessThan: "yesterday" is not an ISO 8601 date or epoch time',
      'Statement.0.Condition.Bool.aws:SecureTransport: Bool: "yes" is not true or false',
      'Statement.0.Condition.NullIfExists.k: NullIfExists: Null cannot end in IfExists',
      'Statement.0.Condition.ForAllValues:Null.k: ForAllValues:Null: Null takes no set qualifier',
      'Statement.0.Condition.Null.k: Null takes true or false, not "maybe"',
      'Statement.0.Condition.ArnLike.aws:PrincipalArn: ArnLike: "role/Admin" is not an ARN',
      'Statement.0.Condition.BinaryEquals.k: BinaryEquals: "not base64!" is not base64',
      'Statement.0.Condition.NumericEquals.n: NumericEquals: "${aws:username}" is not a number',
    ]);
    for (const [op, entry] of Object.entries(bad)) {
      assert.equal(check({ [op]: entry }, { 'aws:username': 'a', n: '1', k: 'x' }), 'invalid', op);
    }
  });

  it('reads operator names without regard to case and lists what it evaluates', () => {
    assert.equal(check({ stringequals: { k: 'v' } }, { k: 'v' }), true);
    assert.equal(check({ 'forallvalues:stringlikeifexists': { k: 'v*' } }, { k: ['v1', 'v2'] }), true);
    assert.equal(CONDITION_OPERATORS.length, 27);
    assert.ok(CONDITION_OPERATORS.includes('Null') && CONDITION_OPERATORS.includes('ArnNotLike'));
  });
});
