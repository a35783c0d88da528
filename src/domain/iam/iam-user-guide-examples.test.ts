// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${…} inside ordinary policy strings
/**
 * Example policies of the IAM User Guide, each with requests and the decision the guide's text
 * gives for them. The page each comes from is named; the policies are as printed there (the
 * placeholders filled in where the guide leaves them to the reader).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ContextInput, contextFromKeys } from './context.ts';
import { type PolicyDocumentJson, parsePolicy } from './policy.ts';
import { type Decision, evaluate } from './policy-evaluation.ts';

interface Example {
  page: string;
  policy: PolicyDocumentJson;
  /** Other policies the guide says to combine it with (this one allows nothing by itself). */
  with?: PolicyDocumentJson;
  requests: Array<{
    why: string;
    action: string;
    resource: string;
    context?: Record<string, ContextInput>;
    decision: Decision;
  }>;
}

const ALLOW_ALL: PolicyDocumentJson = {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: '*', Resource: '*' },
};

const EXAMPLES: Example[] = [
  {
    page: 'IAM JSON policy elements: Condition operators (string: aws:PrincipalTag)',
    policy: {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: 'iam:*AccessKey*',
        Resource: 'arn:aws:iam::111122223333:user/*',
        Condition: { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } },
      },
    },
    requests: [
      {
        why: 'the principal carries the tag',
        action: 'iam:CreateAccessKey',
        resource: 'arn:aws:iam::111122223333:user/bob',
        context: { 'aws:PrincipalTag/job-category': 'iamuser-admin' },
        decision: 'allow',
      },
      {
        why: 'a user without the tag is implicitly denied',
        action: 'iam:UpdateAccessKey',
        resource: 'arn:aws:iam::111122223333:user/bob',
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: Condition operators (StringLike with ${aws:username})',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:ListAllMyBuckets', 's3:GetBucketLocation'],
          Resource: 'arn:aws:s3:::*',
        },
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::BUCKET-NAME',
          Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/'] } },
        },
        {
          Effect: 'Allow',
          Action: 's3:*',
          Resource: [
            'arn:aws:s3:::BUCKET-NAME/home/${aws:username}',
            'arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*',
          ],
        },
      ],
    },
    requests: [
      {
        why: 'listing one’s own home directory',
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::BUCKET-NAME',
        context: { 's3:prefix': 'home/alice/', 'aws:username': 'alice' },
        decision: 'allow',
      },
      {
        why: 'listing someone else’s',
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::BUCKET-NAME',
        context: { 's3:prefix': 'home/bob/', 'aws:username': 'alice' },
        decision: 'implicit-deny',
      },
      {
        why: 'writing in one’s own home directory',
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::BUCKET-NAME/home/alice/notes.txt',
        context: { 'aws:username': 'alice' },
        decision: 'allow',
      },
      {
        why: 'writing in someone else’s',
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::BUCKET-NAME/home/bob/notes.txt',
        context: { 'aws:username': 'alice' },
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: Condition operators (NumericLessThanEquals)',
    policy: {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::example_bucket',
        Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } },
      },
    },
    requests: [
      {
        why: 'up to 10 objects',
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::example_bucket',
        context: { 's3:max-keys': '10' },
        decision: 'allow',
      },
      {
        why: 'more than 10',
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::example_bucket',
        context: { 's3:max-keys': '11' },
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: Condition operators (DateGreaterThan aws:TokenIssueTime)',
    policy: {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: 'iam:*AccessKey*',
        Resource: 'arn:aws:iam::111122223333:user/*',
        Condition: { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } },
      },
    },
    requests: [
      {
        why: 'temporary credentials issued in 2020',
        action: 'iam:ListAccessKeys',
        resource: 'arn:aws:iam::111122223333:user/bob',
        context: { 'aws:TokenIssueTime': '2020-03-01T10:00:00Z' },
        decision: 'allow',
      },
      {
        why: 'an IAM user with access keys has no aws:TokenIssueTime',
        action: 'iam:ListAccessKeys',
        resource: 'arn:aws:iam::111122223333:user/bob',
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: Condition operators (Bool aws:SecureTransport)',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'BooleanExample',
          Action: 's3:*',
          Effect: 'Deny',
          Resource: ['arn:aws:s3:::DOC-EXAMPLE-BUCKET', 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
    with: ALLOW_ALL,
    requests: [
      {
        why: 'plain HTTP is denied',
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/a',
        context: { 'aws:SecureTransport': false },
        decision: 'explicit-deny',
      },
      {
        why: 'HTTPS is left to other policies',
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/a',
        context: { 'aws:SecureTransport': true },
        decision: 'allow',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: Condition operators (IpAddress)',
    policy: {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: 'iam:*AccessKey*',
        Resource: 'arn:aws:iam::111122223333:user/*',
        Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      },
    },
    requests: [
      {
        why: 'from inside the range',
        action: 'iam:CreateAccessKey',
        resource: 'arn:aws:iam::111122223333:user/a',
        context: { 'aws:SourceIp': '203.0.113.255' },
        decision: 'allow',
      },
      {
        why: 'from outside',
        action: 'iam:CreateAccessKey',
        resource: 'arn:aws:iam::111122223333:user/a',
        context: { 'aws:SourceIp': '203.0.112.255' },
        decision: 'implicit-deny',
      },
      {
        why: 'through a VPC endpoint there is no aws:SourceIp',
        action: 'iam:CreateAccessKey',
        resource: 'arn:aws:iam::111122223333:user/a',
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: Condition operators (Null aws:TokenIssueTime)',
    policy: {
      Version: '2012-10-17',
      Statement: {
        Action: 'ec2:*',
        Effect: 'Allow',
        Resource: '*',
        Condition: { Null: { 'aws:TokenIssueTime': 'true' } },
      },
    },
    requests: [
      { why: 'long-term credentials', action: 'ec2:DescribeInstances', resource: '*', decision: 'allow' },
      {
        why: 'temporary credentials',
        action: 'ec2:DescribeInstances',
        resource: '*',
        context: { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' },
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: Condition operators (…IfExists)',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'RunInstance',
          Effect: 'Allow',
          Action: 'ec2:RunInstances',
          Resource: '*',
          Condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } },
        },
      ],
    },
    requests: [
      {
        why: 'a t2 instance',
        action: 'ec2:RunInstances',
        resource: 'arn:aws:ec2:us-east-1:111122223333:instance/*',
        context: { 'ec2:InstanceType': 't2.micro' },
        decision: 'allow',
      },
      {
        why: 'a c5 instance',
        action: 'ec2:RunInstances',
        resource: 'arn:aws:ec2:us-east-1:111122223333:instance/*',
        context: { 'ec2:InstanceType': 'c5.large' },
        decision: 'implicit-deny',
      },
      {
        why: 'the image, which has no instance type',
        action: 'ec2:RunInstances',
        resource: 'arn:aws:ec2:us-east-1::image/ami-1',
        decision: 'allow',
      },
    ],
  },
  {
    page: 'IAM policy elements: Variables and tags (SQS queues named after the user)',
    policy: {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ListForConsole', Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' },
        {
          Sid: 'AllQueueActions',
          Effect: 'Allow',
          Action: 'sqs:*',
          Resource: 'arn:aws:sqs:us-east-2:*:${aws:username}-queue',
        },
      ],
    },
    requests: [
      {
        why: 'one’s own queue',
        action: 'sqs:SendMessage',
        resource: 'arn:aws:sqs:us-east-2:111122223333:alice-queue',
        context: { 'aws:username': 'alice' },
        decision: 'allow',
      },
      {
        why: 'another Region',
        action: 'sqs:SendMessage',
        resource: 'arn:aws:sqs:us-west-2:111122223333:alice-queue',
        context: { 'aws:username': 'alice' },
        decision: 'implicit-deny',
      },
      {
        why: 'someone else’s queue',
        action: 'sqs:SendMessage',
        resource: 'arn:aws:sqs:us-east-2:111122223333:bob-queue',
        context: { 'aws:username': 'alice' },
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: NotAction (Allow all but IAM)',
    policy: { Version: '2012-10-17', Statement: { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' } },
    requests: [
      {
        why: 'any other service',
        action: 'sso:CreatePermissionSet',
        resource: 'arn:aws:sso:::instance/ssoins-1',
        decision: 'allow',
      },
      {
        why: 'IAM',
        action: 'iam:CreateUser',
        resource: 'arn:aws:iam::111122223333:user/x',
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: NotAction (all of S3 but DeleteBucket, on S3 resources)',
    policy: {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::*' },
    },
    requests: [
      {
        why: 'another S3 action on a bucket',
        action: 's3:PutBucketTagging',
        resource: 'arn:aws:s3:::b',
        decision: 'allow',
      },
      {
        why: 'DeleteBucket',
        action: 's3:DeleteBucket',
        resource: 'arn:aws:s3:::b',
        decision: 'implicit-deny',
      },
      {
        why: 'ListAllMyBuckets "requires the * resource"',
        action: 's3:ListAllMyBuckets',
        resource: '*',
        decision: 'implicit-deny',
      },
      {
        why: 'other services’ resources',
        action: 'ec2:TerminateInstances',
        resource: 'arn:aws:ec2:us-east-1:1:instance/i-1',
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'IAM JSON policy elements: NotAction (deny all but IAM without MFA)',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyAllUsersNotUsingMFA',
          Effect: 'Deny',
          NotAction: 'iam:*',
          Resource: '*',
          Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        },
      ],
    },
    with: ALLOW_ALL,
    requests: [
      {
        why: 'no MFA key at all (long-term keys)',
        action: 'ec2:RunInstances',
        resource: '*',
        decision: 'explicit-deny',
      },
      {
        why: 'signed in without MFA',
        action: 'ec2:RunInstances',
        resource: '*',
        context: { 'aws:MultiFactorAuthPresent': false },
        decision: 'explicit-deny',
      },
      {
        why: 'signed in with MFA',
        action: 'ec2:RunInstances',
        resource: '*',
        context: { 'aws:MultiFactorAuthPresent': true },
        decision: 'allow',
      },
      { why: 'IAM itself', action: 'iam:ListMFADevices', resource: '*', decision: 'allow' },
    ],
  },
  {
    page: 'AWS: Denies access to AWS based on the requested Region',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyAllOutsideRequestedRegions',
          Effect: 'Deny',
          NotAction: ['cloudfront:*', 'iam:*', 'route53:*', 'support:*'],
          Resource: '*',
          Condition: {
            StringNotEquals: {
              'aws:RequestedRegion': ['eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3'],
            },
          },
        },
      ],
    },
    with: ALLOW_ALL,
    requests: [
      {
        why: 'a listed Region',
        action: 'sso:ListInstances',
        resource: '*',
        context: { 'aws:RequestedRegion': 'eu-west-2' },
        decision: 'allow',
      },
      {
        why: 'another Region',
        action: 'sso:ListInstances',
        resource: '*',
        context: { 'aws:RequestedRegion': 'us-east-1' },
        decision: 'explicit-deny',
      },
      {
        why: 'a global service',
        action: 'iam:ListRoles',
        resource: '*',
        context: { 'aws:RequestedRegion': 'us-east-1' },
        decision: 'allow',
      },
    ],
  },
  {
    page: 'AWS: Denies access to AWS based on the source IP',
    policy: {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] },
          Bool: { 'aws:ViaAWSService': 'false' },
        },
      },
    },
    with: ALLOW_ALL,
    requests: [
      {
        why: 'inside the ranges',
        action: 'sso:ListInstances',
        resource: '*',
        context: { 'aws:SourceIp': '192.0.2.10', 'aws:ViaAWSService': false },
        decision: 'allow',
      },
      {
        why: 'outside',
        action: 'sso:ListInstances',
        resource: '*',
        context: { 'aws:SourceIp': '198.51.100.1', 'aws:ViaAWSService': false },
        decision: 'explicit-deny',
      },
      {
        why: 'an AWS service calling for the principal',
        action: 'sso:ListInstances',
        resource: '*',
        context: { 'aws:SourceIp': '198.51.100.1', 'aws:ViaAWSService': true },
        decision: 'allow',
      },
    ],
  },
  {
    page: 'AWS: Allows access based on date and time',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sso:CreatePermissionSet',
          Resource: '*',
          Condition: {
            DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:00Z' },
            DateLessThan: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' },
          },
        },
      ],
    },
    requests: [
      {
        why: 'inside the window',
        action: 'sso:CreatePermissionSet',
        resource: '*',
        context: { 'aws:CurrentTime': '2020-05-05T05:05:05Z' },
        decision: 'allow',
      },
      {
        why: 'after it',
        action: 'sso:CreatePermissionSet',
        resource: '*',
        context: { 'aws:CurrentTime': '2020-07-01T00:00:00Z' },
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'AWS: Allows specific access using MFA within specific dates',
    policy: {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: ['identitystore:*', 'sso:ListInstances', 'sso:DescribeInstance'],
        Resource: '*',
        Condition: {
          Bool: { 'aws:MultiFactorAuthPresent': true },
          DateGreaterThan: { 'aws:CurrentTime': '2017-07-01T00:00:00Z' },
          DateLessThan: { 'aws:CurrentTime': '2017-12-31T23:59:59Z' },
        },
      },
    },
    requests: [
      {
        why: 'with MFA, in 2017',
        action: 'sso:DescribeInstance',
        resource: '*',
        context: { 'aws:MultiFactorAuthPresent': true, 'aws:CurrentTime': '2017-08-01T00:00:00Z' },
        decision: 'allow',
      },
      {
        why: 'without MFA',
        action: 'identitystore:ListUsers',
        resource: '*',
        context: { 'aws:MultiFactorAuthPresent': false, 'aws:CurrentTime': '2017-08-01T00:00:00Z' },
        decision: 'implicit-deny',
      },
      {
        why: 'an action not listed',
        action: 'sso:CreateInstance',
        resource: '*',
        context: { 'aws:MultiFactorAuthPresent': true, 'aws:CurrentTime': '2017-08-01T00:00:00Z' },
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'Creating a condition that tests multiple key values (ForAllValues)',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread',
          Condition: {
            'ForAllValues:StringLike': {
              'dynamodb:requestedAttributes': ['PostDateTime', 'Message', 'Tags'],
            },
          },
        },
      ],
    },
    requests: [
      {
        why: 'only listed attributes',
        action: 'dynamodb:GetItem',
        resource: 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread',
        context: { 'dynamodb:requestedAttributes': ['PostDateTime', 'Message'] },
        decision: 'allow',
      },
      {
        why: 'with UserName',
        action: 'dynamodb:GetItem',
        resource: 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread',
        context: { 'dynamodb:requestedAttributes': ['PostDateTime', 'UserName'] },
        decision: 'implicit-deny',
      },
    ],
  },
  {
    page: 'Creating a condition that tests multiple key values (ForAnyValue)',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: 'dynamodb:PutItem',
          Resource: 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread',
          Condition: { 'ForAnyValue:StringLike': { 'dynamodb:requestedAttributes': ['ID', 'PostDateTime'] } },
        },
      ],
    },
    with: ALLOW_ALL,
    requests: [
      {
        why: 'updating PostDateTime among others',
        action: 'dynamodb:PutItem',
        resource: 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread',
        context: { 'dynamodb:requestedAttributes': ['UserName', 'Message', 'PostDateTime'] },
        decision: 'explicit-deny',
      },
      {
        why: 'only UserName',
        action: 'dynamodb:PutItem',
        resource: 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread',
        context: { 'dynamodb:requestedAttributes': ['UserName'] },
        decision: 'allow',
      },
    ],
  },
  {
    page: 'Policy evaluation logic: the difference between explicit and implicit denies',
    policy: {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AllowGetList', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
        { Sid: 'DenyReports', Effect: 'Deny', Action: 'iam:*Report', Resource: '*' },
      ],
    },
    requests: [
      {
        why: 'a Get action',
        action: 'iam:GetRole',
        resource: 'arn:aws:iam::111122223333:role/r',
        decision: 'allow',
      },
      { why: 'not Get or List', action: 'iam:CreatePolicy', resource: '*', decision: 'implicit-deny' },
      {
        why: 'a report',
        action: 'iam:GetOrganizationsAccessReport',
        resource: '*',
        decision: 'explicit-deny',
      },
    ],
  },
  {
    page: 'Policy evaluation logic: example identity-based policy of carlossalazar',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowS3ListRead',
          Effect: 'Allow',
          Action: [
            's3:GetBucketLocation',
            's3:GetAccountPublicAccessBlock',
            's3:ListAccessPoints',
            's3:ListAllMyBuckets',
          ],
          Resource: 'arn:aws:s3:::*',
        },
        {
          Sid: 'AllowS3Self',
          Effect: 'Allow',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::carlossalazar/*', 'arn:aws:s3:::carlossalazar'],
        },
        { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' },
      ],
    },
    requests: [
      {
        why: 'saving to his own bucket',
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::carlossalazar/notes.txt',
        decision: 'allow',
      },
      {
        why: 'saving to carlossalazar-logs',
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::carlossalazar-logs/notes.txt',
        decision: 'explicit-deny',
      },
      {
        why: 'the location of any bucket',
        action: 's3:GetBucketLocation',
        resource: 'arn:aws:s3:::any-bucket',
        decision: 'allow',
      },
    ],
  },
];

describe('IAM User Guide examples', () => {
  for (const example of EXAMPLES) {
    describe(example.page, () => {
      const parsed = [example.policy, ...(example.with ? [example.with] : [])].map((doc, i) => {
        const result = parsePolicy(i === 0 ? 'example' : 'other', doc);
        assert.ok(result.ok, JSON.stringify(result.problems));
        assert.deepEqual(result.problems, []);
        return result.policy;
      });
      for (const request of example.requests) {
        it(`${request.why}: ${request.decision}`, () => {
          const result = evaluate(
            {
              action: request.action,
              resource: request.resource,
              context: contextFromKeys(request.context ?? {}),
            },
            parsed,
          );
          assert.equal(result.decision, request.decision);
          // Every Deny in these examples is in the example policy itself.
          if (result.decision === 'explicit-deny') assert.equal(result.matched?.policy, 'example');
        });
      }
    });
  }
});
