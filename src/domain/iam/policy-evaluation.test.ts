// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${…} inside ordinary policy strings
/**
 * The scenarios of the admin APIs: read-only administrators, a permission set scoped to one OU, an
 * explicit deny, NotAction, aws:RequestedRegion, aws:PrincipalTag with a variable in Resource,
 * permissions boundaries; wildcard and case rules; the condition edge cases as whole policies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessDeniedMessage } from './access-denied.ts';
import {
  IDENTITY_STORE_ALL_USERS,
  identityStoreArn,
  identityStoreGroupArn,
  identityStoreUserArn,
  organizationalUnitArn,
  organizationsAccountArn,
  organizationsRootArn,
  ssoAccountArn,
  ssoInstanceArn,
  ssoPermissionSetArn,
} from './arn.ts';
import { type ContextInput, contextFromKeys, isRequestTagKey } from './context.ts';
import { awsManagedPolicy } from './managed-policies.ts';
import { type Policy, type PolicyDocumentJson, parsePolicy } from './policy.ts';
import { type EvaluationOptions, evaluate, evaluateResources } from './policy-evaluation.ts';

const MGMT = '111122223333';
const INSTANCE = ssoInstanceArn('ssoins-72230000aaaabbbb');
const PERMISSION_SET = ssoPermissionSetArn('ssoins-72230000aaaabbbb', 'ps-0123456789abcdef');
const ACCOUNT = ssoAccountArn('011111111111');
const IDENTITY_STORE = identityStoreArn(MGMT, 'd-9067000000');
const ORG = 'o-exampleorg1';
const ROOT = organizationsRootArn(MGMT, ORG, 'r-ab12');
const TEAM_OU = organizationalUnitArn(MGMT, ORG, 'ou-ab12-teamaaaa');
const OTHER_OU = organizationalUnitArn(MGMT, ORG, 'ou-ab12-otherbbb');
const ORG_ACCOUNT = organizationsAccountArn(MGMT, ORG, '011111111111');
const CALLER = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/alice';

function policy(document: PolicyDocumentJson, name = 'inline'): Policy {
  const result = parsePolicy(name, document);
  assert.ok(result.ok, JSON.stringify(result.problems));
  assert.deepEqual(result.problems, []);
  return result.policy;
}

function managed(name: string): Policy {
  const found = awsManagedPolicy(`arn:aws:iam::aws:policy/${name}`);
  assert.ok(found, name);
  return found;
}

function decide(
  policies: readonly Policy[],
  action: string,
  resource: string,
  keys: Record<string, ContextInput> = {},
  options: EvaluationOptions = {},
) {
  return evaluate({ action, resource, context: contextFromKeys(keys) }, policies, options).decision;
}

describe('a read-only administrator (ReadOnlyAccess)', () => {
  const readOnly = [managed('ReadOnlyAccess')];

  it('may list and describe in all three services', () => {
    assert.equal(decide(readOnly, 'sso:ListInstances', '*'), 'allow');
    assert.equal(decide(readOnly, 'sso:DescribePermissionSet', PERMISSION_SET), 'allow');
    assert.equal(decide(readOnly, 'sso:ListAccountAssignments', ACCOUNT), 'allow');
    assert.equal(decide(readOnly, 'sso:GetInlinePolicyForPermissionSet', INSTANCE), 'allow');
    assert.equal(decide(readOnly, 'identitystore:ListUsers', IDENTITY_STORE_ALL_USERS), 'allow');
    assert.equal(decide(readOnly, 'identitystore:IsMemberInGroups', IDENTITY_STORE), 'allow');
    assert.equal(decide(readOnly, 'organizations:ListAccounts', '*'), 'allow');
    assert.equal(decide(readOnly, 'organizations:DescribeOrganizationalUnit', TEAM_OU), 'allow');
  });

  it('may not create, change or delete, and is told so in AWS words', () => {
    for (const [action, resource] of [
      ['sso:CreatePermissionSet', INSTANCE],
      ['sso:CreateAccountAssignment', ACCOUNT],
      ['sso:PutInlinePolicyToPermissionSet', PERMISSION_SET],
      ['identitystore:CreateUser', IDENTITY_STORE],
      ['identitystore:DeleteGroup', identityStoreGroupArn('g-1')],
      ['organizations:CreateOrganizationalUnit', ROOT],
      ['organizations:MoveAccount', ORG_ACCOUNT],
    ] as const) {
      const result = evaluate({ action, resource, context: contextFromKeys({}) }, readOnly);
      assert.equal(result.decision, 'implicit-deny', action);
      assert.equal(
        accessDeniedMessage({ principalArn: CALLER, action, resource, result }),
        `User: ${CALLER} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
      );
    }
  });

  it('AWSSSOReadOnly reads Identity Center but not the identity store', () => {
    const ssoReadOnly = [managed('AWSSSOReadOnly')];
    assert.equal(decide(ssoReadOnly, 'sso:DescribeInstance', INSTANCE), 'allow');
    assert.equal(decide(ssoReadOnly, 'organizations:ListRoots', '*'), 'allow');
    assert.equal(decide(ssoReadOnly, 'organizations:DescribeOrganizationalUnit', TEAM_OU), 'implicit-deny');
    assert.equal(decide(ssoReadOnly, 'identitystore:ListUsers', IDENTITY_STORE_ALL_USERS), 'implicit-deny');
    assert.equal(decide(ssoReadOnly, 'sso:DeletePermissionSet', PERMISSION_SET), 'implicit-deny');
  });
});

describe('a permission set scoped to one OU', () => {
  const scoped = [
    policy({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadTheOrganization',
          Effect: 'Allow',
          Action: ['organizations:Describe*', 'organizations:List*'],
          Resource: '*',
        },
        {
          Sid: 'ManageTheTeamOu',
          Effect: 'Allow',
          Action: [
            'organizations:CreateOrganizationalUnit',
            'organizations:UpdateOrganizationalUnit',
            'organizations:DeleteOrganizationalUnit',
            'organizations:MoveAccount',
          ],
          Resource: [
            'arn:aws:organizations::*:ou/o-*/ou-ab12-teamaaaa',
            'arn:aws:organizations::*:account/o-*/*',
          ],
        },
      ],
    }),
  ];

  it('may change that OU and create OUs inside it', () => {
    assert.equal(decide(scoped, 'organizations:UpdateOrganizationalUnit', TEAM_OU), 'allow');
    assert.equal(decide(scoped, 'organizations:CreateOrganizationalUnit', TEAM_OU), 'allow');
  });

  it('may not change another OU or create OUs under the root', () => {
    assert.equal(decide(scoped, 'organizations:DeleteOrganizationalUnit', OTHER_OU), 'implicit-deny');
    assert.equal(decide(scoped, 'organizations:CreateOrganizationalUnit', ROOT), 'implicit-deny');
  });

  it('may move an account only between parents it manages', () => {
    const move = (from: string, to: string) =>
      evaluateResources(
        {
          action: 'organizations:MoveAccount',
          resources: [ORG_ACCOUNT, from, to],
          context: contextFromKeys({}),
        },
        scoped,
      );
    assert.equal(move(TEAM_OU, TEAM_OU).decision, 'allow');
    const fromRoot = move(ROOT, TEAM_OU);
    assert.deepEqual([fromRoot.decision, fromRoot.resource], ['implicit-deny', ROOT]);
  });

  it('still reads the whole organization (actions without resource types need "*")', () => {
    assert.equal(decide(scoped, 'organizations:ListRoots', '*'), 'allow');
    assert.equal(decide(scoped, 'organizations:DescribeOrganizationalUnit', OTHER_OU), 'allow');
    const ouOnly = [
      policy({
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Action: 'organizations:*',
          Resource: 'arn:aws:organizations::*:ou/o-*/ou-ab12-teamaaaa',
        },
      }),
    ];
    assert.equal(decide(ouOnly, 'organizations:ListRoots', '*'), 'implicit-deny');
    assert.equal(decide(ouOnly, 'organizations:ListChildren', TEAM_OU), 'allow');
  });
});

describe('an explicit deny', () => {
  const admin = managed('AdministratorAccess');
  const guard = policy({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'NoDeletes', Effect: 'Deny', Action: ['sso:Delete*', 'identitystore:Delete*'], Resource: '*' },
      {
        Sid: 'KeepTheAdminSet',
        Effect: 'Deny',
        NotAction: ['sso:Describe*', 'sso:List*', 'sso:Get*'],
        Resource: PERMISSION_SET,
      },
    ],
  });

  it('beats an allow, and names the statement that denied', () => {
    const result = evaluate(
      { action: 'sso:DeletePermissionSet', resource: PERMISSION_SET, context: contextFromKeys({}) },
      [admin, guard],
    );
    assert.deepEqual(result, {
      decision: 'explicit-deny',
      matched: { policy: 'inline', statementIndex: 0, sid: 'NoDeletes' },
      deniedBy: 'identity-based policy',
    });
    assert.equal(
      accessDeniedMessage({
        principalArn: CALLER,
        action: 'sso:DeletePermissionSet',
        resource: PERMISSION_SET,
        result,
      }),
      `User: ${CALLER} is not authorized to perform: sso:DeletePermissionSet on resource: ${PERMISSION_SET} with an explicit deny in an identity-based policy`,
    );
  });

  it('wins whatever the order of the policies', () => {
    assert.equal(
      decide([guard, admin], 'identitystore:DeleteUser', identityStoreUserArn('u-1')),
      'explicit-deny',
    );
    assert.equal(decide([guard, admin], 'sso:UpdatePermissionSet', PERMISSION_SET), 'explicit-deny');
  });

  it('leaves alone what it does not cover', () => {
    const result = evaluate(
      {
        action: 'sso:UpdatePermissionSet',
        resource: ssoPermissionSetArn('ssoins-72230000aaaabbbb', 'ps-1111111111111111'),
        context: contextFromKeys({}),
      },
      [admin, guard],
    );
    assert.deepEqual(result, {
      decision: 'allow',
      matched: { policy: 'arn:aws:iam::aws:policy/AdministratorAccess', statementIndex: 0, sid: undefined },
    });
    assert.equal(decide([admin, guard], 'sso:DescribePermissionSet', PERMISSION_SET), 'allow');
  });
});

describe('NotAction', () => {
  it('"NotAction": "organizations:*" allows identitystore and sso but not organizations', () => {
    const notOrganizations = [
      policy({
        Version: '2012-10-17',
        Statement: { Effect: 'Allow', NotAction: 'organizations:*', Resource: '*' },
      }),
    ];
    assert.equal(decide(notOrganizations, 'identitystore:CreateUser', IDENTITY_STORE), 'allow');
    assert.equal(decide(notOrganizations, 'sso:CreatePermissionSet', INSTANCE), 'allow');
    assert.equal(decide(notOrganizations, 'organizations:ListAccounts', '*'), 'implicit-deny');
    assert.equal(decide(notOrganizations, 'Organizations:ListAccounts', '*'), 'implicit-deny');
  });

  it('PowerUserAccess: everything but IAM, Organizations and Account, plus DescribeOrganization', () => {
    const powerUser = [managed('PowerUserAccess')];
    assert.equal(decide(powerUser, 'sso:CreateAccountAssignment', ACCOUNT), 'allow');
    assert.equal(decide(powerUser, 'identitystore:DeleteUser', identityStoreUserArn('u-1')), 'allow');
    assert.equal(decide(powerUser, 'organizations:DescribeOrganization', '*'), 'allow');
    assert.equal(decide(powerUser, 'organizations:CreateAccount', '*'), 'implicit-deny');
  });

  it('with Deny: everything outside the listed actions is denied', () => {
    const denyOutsideRead = [
      managed('AdministratorAccess'),
      policy({
        Version: '2012-10-17',
        Statement: { Effect: 'Deny', NotAction: ['sso:List*', 'sso:Describe*'], Resource: '*' },
      }),
    ];
    assert.equal(decide(denyOutsideRead, 'sso:ListInstances', '*'), 'allow');
    assert.equal(decide(denyOutsideRead, 'sso:CreatePermissionSet', INSTANCE), 'explicit-deny');
  });
});

describe('aws:RequestedRegion', () => {
  const inEurope = [
    policy({
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: ['sso:*', 'identitystore:*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
      },
    }),
  ];

  it('allows only requests signed for the listed regions', () => {
    assert.equal(decide(inEurope, 'sso:ListInstances', '*', { 'aws:RequestedRegion': 'eu-west-1' }), 'allow');
    assert.equal(
      decide(inEurope, 'sso:ListInstances', '*', { 'aws:RequestedRegion': 'us-east-1' }),
      'implicit-deny',
    );
    assert.equal(
      decide(inEurope, 'sso:ListInstances', '*', { 'aws:RequestedRegion': 'EU-WEST-1' }),
      'implicit-deny',
    );
    assert.equal(decide(inEurope, 'sso:ListInstances', '*'), 'implicit-deny');
  });
});

describe('aws:PrincipalTag with a policy variable in Resource', () => {
  const teamGroups = [
    policy({
      Version: '2012-10-17',
      Statement: {
        Sid: 'ManageOwnTeamGroup',
        Effect: 'Allow',
        Action: ['identitystore:CreateGroupMembership', 'identitystore:DeleteGroupMembership'],
        Resource: [
          'arn:aws:identitystore::*:identitystore/*',
          'arn:aws:identitystore:::user/*',
          'arn:aws:identitystore:::membership/*',
          'arn:aws:identitystore:::group/${aws:PrincipalTag/GroupId}',
        ],
        Condition: { StringEquals: { 'aws:PrincipalTag/Team': 'platform' } },
      },
    }),
  ];
  const add = (group: string, keys: Record<string, ContextInput>) =>
    evaluateResources(
      {
        action: 'identitystore:CreateGroupMembership',
        resources: [identityStoreGroupArn(group), IDENTITY_STORE, identityStoreUserArn('u-1')],
        context: contextFromKeys(keys),
      },
      teamGroups,
    ).decision;

  it('lets a platform member manage the group named by their tag', () => {
    assert.equal(
      add('g-platform', { 'aws:PrincipalTag/Team': 'platform', 'aws:PrincipalTag/GroupId': 'g-platform' }),
      'allow',
    );
  });

  it('refuses other groups, other teams and callers without the tags', () => {
    assert.equal(
      add('g-other', { 'aws:PrincipalTag/Team': 'platform', 'aws:PrincipalTag/GroupId': 'g-platform' }),
      'implicit-deny',
    );
    assert.equal(
      add('g-platform', { 'aws:PrincipalTag/Team': 'billing', 'aws:PrincipalTag/GroupId': 'g-platform' }),
      'implicit-deny',
    );
    assert.equal(add('g-platform', { 'aws:PrincipalTag/Team': 'platform' }), 'implicit-deny');
    assert.equal(
      add('${aws:PrincipalTag/GroupId}', { 'aws:PrincipalTag/Team': 'platform' }),
      'implicit-deny',
    );
  });
});

describe('permissions boundaries', () => {
  const boundary = managed('AWSSSOReadOnly');
  const admin = [managed('AdministratorAccess')];

  it('caps what the identity policies grant: both must allow', () => {
    assert.equal(decide(admin, 'sso:ListInstances', '*', {}, { permissionsBoundary: boundary }), 'allow');
    const result = evaluate(
      { action: 'sso:CreatePermissionSet', resource: INSTANCE, context: contextFromKeys({}) },
      admin,
      { permissionsBoundary: boundary },
    );
    assert.deepEqual(result, { decision: 'implicit-deny', deniedBy: 'permissions boundary' });
    assert.equal(
      accessDeniedMessage({
        principalArn: CALLER,
        action: 'sso:CreatePermissionSet',
        resource: INSTANCE,
        result,
      }),
      `User: ${CALLER} is not authorized to perform: sso:CreatePermissionSet on resource: ${INSTANCE} because no permissions boundary allows the sso:CreatePermissionSet action`,
    );
  });

  it('grants nothing itself', () => {
    assert.deepEqual(
      evaluate({ action: 'sso:ListInstances', resource: '*', context: contextFromKeys({}) }, [], {
        permissionsBoundary: boundary,
      }),
      { decision: 'implicit-deny', deniedBy: 'identity-based policy' },
    );
  });

  it('denies explicitly when it says Deny', () => {
    const strict = policy(
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: '*', Resource: '*' },
          { Sid: 'NoAssignments', Effect: 'Deny', Action: 'sso:*AccountAssignment', Resource: '*' },
        ],
      },
      'boundary',
    );
    const result = evaluate(
      { action: 'sso:CreateAccountAssignment', resource: ACCOUNT, context: contextFromKeys({}) },
      admin,
      { permissionsBoundary: strict },
    );
    assert.deepEqual(result, {
      decision: 'explicit-deny',
      matched: { policy: 'boundary', statementIndex: 1, sid: 'NoAssignments' },
      deniedBy: 'permissions boundary',
    });
    assert.match(
      accessDeniedMessage({
        principalArn: CALLER,
        action: 'sso:CreateAccountAssignment',
        resource: ACCOUNT,
        result,
      }),
      /with an explicit deny in a permissions boundary$/,
    );
  });
});

describe('wildcards in Action', () => {
  const allowing = (action: string) =>
    [
      policy({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: action, Resource: '*' } }),
    ] as const;

  it('iam:* covers IAM only', () => {
    assert.equal(decide(allowing('iam:*'), 'iam:ListRoles', '*'), 'allow');
    assert.equal(decide(allowing('iam:*'), 'sso:ListInstances', '*'), 'implicit-deny');
  });

  it('sso:List* covers ListInstances, not DescribeInstance', () => {
    assert.equal(decide(allowing('sso:List*'), 'sso:ListInstances', '*'), 'allow');
    assert.equal(decide(allowing('sso:List*'), 'sso:DescribeInstance', '*'), 'implicit-deny');
  });

  it('sso:Describe?nstance covers exactly one character', () => {
    assert.equal(decide(allowing('sso:Describe?nstance'), 'sso:DescribeInstance', '*'), 'allow');
    assert.equal(
      decide(
        allowing('sso:Describe?nstance'),
        'sso:DescribeInstanceAccessControlAttributeConfiguration',
        '*',
      ),
      'implicit-deny',
    );
  });

  it('"*" covers every action; "*:*" is not an action and is refused', () => {
    assert.equal(decide(allowing('*'), 'organizations:CreateAccount', '*'), 'allow');
    const starStar = parsePolicy('inline', {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: '*:*', Resource: '*' },
    });
    assert.equal(starStar.ok, false);
    assert.match(starStar.problems[0]?.message ?? '', /is not an action/);
  });

  it('service prefixes and action names are not case-sensitive; resource ARNs are', () => {
    assert.equal(decide(allowing('SSO:listinstances'), 'sso:ListInstances', '*'), 'allow');
    const lowerArn = [
      policy({
        Version: '2012-10-17',
        Statement: { Effect: 'Allow', Action: 'sso:*', Resource: 'arn:aws:sso:::permissionset/*' },
      }),
    ];
    assert.equal(decide(lowerArn, 'sso:DescribePermissionSet', PERMISSION_SET), 'implicit-deny');
  });
});

describe('conditions in whole policies', () => {
  it('a missing key with …IfExists: "deny unless MFA" also denies when the key is absent only if written so', () => {
    const denyWithoutMfa = [
      managed('AdministratorAccess'),
      policy({
        Version: '2012-10-17',
        Statement: {
          Sid: 'DenyAllUsersNotUsingMFA',
          Effect: 'Deny',
          NotAction: 'sso:List*',
          Resource: '*',
          Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        },
      }),
    ];
    assert.equal(
      decide(denyWithoutMfa, 'sso:CreatePermissionSet', INSTANCE, { 'aws:MultiFactorAuthPresent': false }),
      'explicit-deny',
    );
    assert.equal(decide(denyWithoutMfa, 'sso:CreatePermissionSet', INSTANCE), 'explicit-deny');
    assert.equal(
      decide(denyWithoutMfa, 'sso:CreatePermissionSet', INSTANCE, { 'aws:MultiFactorAuthPresent': true }),
      'allow',
    );
    assert.equal(
      decide(denyWithoutMfa, 'sso:ListInstances', '*', { 'aws:MultiFactorAuthPresent': false }),
      'allow',
    );
  });

  it('Null: allow only callers with a Team tag', () => {
    const tagged = [
      policy({
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Action: 'sso:*',
          Resource: '*',
          Condition: { Null: { 'aws:PrincipalTag/Team': 'false' } },
        },
      }),
    ];
    assert.equal(decide(tagged, 'sso:ListInstances', '*', { 'aws:PrincipalTag/Team': 'x' }), 'allow');
    assert.equal(decide(tagged, 'sso:ListInstances', '*'), 'implicit-deny');
  });

  it('ForAllValues on tag keys allows a request with no tags at all (the documented trap), ForAnyValue does not', () => {
    const allowedKeys = (set: 'ForAllValues' | 'ForAnyValue') => [
      policy({
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Action: 'sso:TagResource',
          Resource: '*',
          Condition: { [`${set}:StringEquals`]: { 'aws:TagKeys': ['owner', 'cost-center'] } },
        },
      }),
    ];
    const tag = (set: 'ForAllValues' | 'ForAnyValue', tagKeys: string[] | undefined) =>
      decide(allowedKeys(set), 'sso:TagResource', PERMISSION_SET, { 'aws:TagKeys': tagKeys });
    assert.equal(tag('ForAllValues', ['owner']), 'allow');
    assert.equal(tag('ForAllValues', ['owner', 'secret']), 'implicit-deny');
    assert.equal(tag('ForAllValues', []), 'allow');
    assert.equal(tag('ForAllValues', undefined), 'allow');
    assert.equal(tag('ForAnyValue', ['secret', 'owner']), 'allow');
    assert.equal(tag('ForAnyValue', ['secret']), 'implicit-deny');
    assert.equal(tag('ForAnyValue', []), 'implicit-deny');
    assert.equal(tag('ForAnyValue', undefined), 'implicit-deny');
  });

  it('aws:SourceIp with IPv4 and IPv6 ranges', () => {
    const fromOffice = [
      policy({
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Action: 'identitystore:*',
          Resource: '*',
          Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } },
        },
      }),
    ];
    assert.equal(
      decide(fromOffice, 'identitystore:ListUsers', '*', { 'aws:SourceIp': '2001:db8:1234:5678::42' }),
      'allow',
    );
    assert.equal(
      decide(fromOffice, 'identitystore:ListUsers', '*', { 'aws:SourceIp': '2001:db8:1234:9999::42' }),
      'implicit-deny',
    );
    assert.equal(
      decide(fromOffice, 'identitystore:ListUsers', '*', { 'aws:SourceIp': '203.0.113.9' }),
      'allow',
    );
  });

  it('a condition IAM would reject fails closed: an Allow does not apply, a Deny does', () => {
    const broken = (effect: 'Allow' | 'Deny') =>
      parsePolicy('broken', {
        Version: '2012-10-17',
        Statement: {
          Effect: effect,
          Action: 'sso:*',
          Resource: '*',
          Condition: { NotIpAddress: { 'aws:SourceIp': 'office' } },
        },
      });
    const allow = broken('Allow');
    const deny = broken('Deny');
    assert.ok(allow.ok && deny.ok);
    assert.equal(allow.problems.length, 1);
    assert.equal(
      decide([allow.policy], 'sso:ListInstances', '*', { 'aws:SourceIp': '192.0.2.1' }),
      'implicit-deny',
    );
    assert.equal(
      decide([managed('AdministratorAccess'), deny.policy], 'sso:ListInstances', '*'),
      'explicit-deny',
    );
  });
});

describe('keys not known yet (unknownKeys: a form before its tags are typed)', () => {
  const someTags: EvaluationOptions = { unknownKeys: isRequestTagKey };
  const statement = (
    effect: 'Allow' | 'Deny',
    condition: Record<string, Record<string, string | string[]>>,
  ) =>
    policy({
      Version: '2012-10-17',
      Statement: { Effect: effect, Action: 'sso:TagResource', Resource: '*', Condition: condition },
    });
  const blueOnly = statement('Allow', { StringEquals: { 'aws:RequestTag/team': 'blue' } });
  const teamKeyOnly = statement('Allow', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } });
  const tag = (policies: Policy[], keys: Record<string, ContextInput> = {}, options = someTags) =>
    decide(policies, 'sso:TagResource', PERMISSION_SET, keys, options);

  it('an Allow conditioned on the request’s tags may allow some tags; known tags still decide', () => {
    assert.equal(tag([blueOnly], {}, {}), 'implicit-deny');
    assert.equal(tag([blueOnly]), 'allow');
    assert.equal(tag([teamKeyOnly], {}, {}), 'implicit-deny');
    assert.equal(tag([teamKeyOnly]), 'allow');
    assert.equal(tag([blueOnly], { 'aws:RequestTag/team': 'blue', 'aws:TagKeys': ['team'] }, {}), 'allow');
    assert.equal(
      tag([blueOnly], { 'aws:RequestTag/team': 'red', 'aws:TagKeys': ['team'] }, {}),
      'implicit-deny',
    );
  });

  it('other conditions of the statement are still evaluated, and an action it does not cover is not allowed', () => {
    const blueFromOffice = statement('Allow', {
      StringEquals: { 'aws:RequestTag/team': 'blue' },
      IpAddress: { 'aws:SourceIp': '203.0.113.0/24' },
    });
    assert.equal(tag([blueFromOffice], { 'aws:SourceIp': '203.0.113.9' }), 'allow');
    assert.equal(tag([blueFromOffice], { 'aws:SourceIp': '192.0.2.1' }), 'implicit-deny');
    assert.equal(decide([blueOnly], 'sso:UntagResource', PERMISSION_SET, {}, someTags), 'implicit-deny');
  });

  it('a Deny conditioned on the request’s tags does not decide (other tags may pass); one without such a condition does', () => {
    const all = managed('AdministratorAccess');
    const notProd = statement('Deny', { StringEquals: { 'aws:RequestTag/env': 'prod' } });
    const onlyListedKeys = statement('Deny', { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['team'] } });
    assert.equal(tag([all, onlyListedKeys], {}, {}), 'explicit-deny');
    assert.equal(tag([all, onlyListedKeys]), 'allow');
    assert.equal(tag([all, notProd]), 'allow');
    const fromOffice = statement('Deny', {
      StringEquals: { 'aws:RequestTag/env': 'prod' },
      NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' },
    });
    assert.equal(tag([all, fromOffice], { 'aws:SourceIp': '192.0.2.1' }), 'allow');
    const always = policy({
      Version: '2012-10-17',
      Statement: { Effect: 'Deny', Action: 'sso:TagResource', Resource: '*' },
    });
    assert.equal(tag([all, always]), 'explicit-deny');
    const wrongIp = statement('Deny', { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } });
    assert.equal(tag([all, wrongIp], { 'aws:SourceIp': '192.0.2.1' }), 'explicit-deny');
  });

  it('a permissions boundary is read the same way: it may allow some tags, and its tag Deny does not decide', () => {
    const all = managed('AdministratorAccess');
    assert.equal(tag([all], {}, { ...someTags, permissionsBoundary: blueOnly }), 'allow');
    assert.equal(tag([all], {}, { permissionsBoundary: blueOnly }), 'implicit-deny');
    const notProd = statement('Deny', { StringEquals: { 'aws:RequestTag/env': 'prod' } });
    assert.equal(tag([all], {}, { ...someTags, permissionsBoundary: notProd }), 'implicit-deny');
  });

  it('a condition IAM would reject still fails closed', () => {
    const broken = (effect: 'Allow' | 'Deny') => {
      const parsed = parsePolicy('broken', {
        Version: '2012-10-17',
        Statement: {
          Effect: effect,
          Action: 'sso:TagResource',
          Resource: '*',
          Condition: { NumericLessThan: { 'aws:RequestTag/size': 'big' } },
        },
      });
      assert.ok(parsed.ok);
      assert.equal(parsed.problems.length, 1);
      return parsed.policy;
    };
    assert.equal(tag([broken('Allow')]), 'implicit-deny');
    assert.equal(tag([managed('AdministratorAccess'), broken('Deny')]), 'explicit-deny');
  });
});

describe('several resources', () => {
  const onlyTheAccount = [
    policy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sso:CreateAccountAssignment',
          Resource: [INSTANCE, PERMISSION_SET, ACCOUNT],
        },
        {
          Effect: 'Deny',
          Action: 'sso:CreateAccountAssignment',
          Resource: 'arn:aws:sso:::account/999999999999',
        },
      ],
    }),
  ];
  const create = (account: string) =>
    evaluateResources(
      {
        action: 'sso:CreateAccountAssignment',
        resources: [account, INSTANCE, PERMISSION_SET],
        context: contextFromKeys({}),
      },
      onlyTheAccount,
    );

  it('need the action allowed on each', () => {
    assert.deepEqual(
      { ...create(ACCOUNT), matched: undefined },
      { decision: 'allow', matched: undefined, resource: ACCOUNT },
    );
    const other = create(ssoAccountArn('222222222222'));
    assert.deepEqual(
      [other.decision, other.resource],
      ['implicit-deny', 'arn:aws:sso:::account/222222222222'],
    );
  });

  it('report an explicit deny first', () => {
    const denied = create('arn:aws:sso:::account/999999999999');
    assert.deepEqual(
      [denied.decision, denied.resource],
      ['explicit-deny', 'arn:aws:sso:::account/999999999999'],
    );
  });

  it('an action without resources is evaluated against "*"', () => {
    const r = evaluateResources(
      { action: 'sso:ListInstances', resources: [], context: contextFromKeys({}) },
      [managed('ReadOnlyAccess')],
    );
    assert.deepEqual([r.decision, r.resource], ['allow', '*']);
    assert.equal(
      accessDeniedMessage({
        principalArn: CALLER,
        action: 'organizations:ListRoots',
        resource: '*',
        result: evaluate(
          { action: 'organizations:ListRoots', resource: '*', context: contextFromKeys({}) },
          [],
        ),
      }),
      `User: ${CALLER} is not authorized to perform: organizations:ListRoots because no identity-based policy allows the organizations:ListRoots action`,
    );
  });
});
