import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cloudFormationTemplate } from './cloudformation.ts';
import { diffAccount, type ObservedAccount, type ObservedRole } from './iam-diff.ts';
import {
  type AccountSpec,
  accountSpec,
  INLINE_POLICY_NAME,
  type RoleDefinition,
  type RoleSpec,
  roleSessionSeconds,
} from './iam-roles.ts';

const ACCOUNT = '123456789012';
const CERT = 'MIIBcertificate';
const metadata = (entityId: string, cert = CERT) =>
  `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}"><ds:X509Certificate>${cert}</ds:X509Certificate></md:EntityDescriptor>`;
const ENTITY = 'https://idc.example.com/saml/metadata';

const ADMIN: RoleDefinition = {
  name: 'Admin',
  sessionSeconds: 7200,
  managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
  customerPolicies: [{ name: 'team', path: '/teams/' }],
  inlinePolicy: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
  }),
  permissionsBoundary: JSON.stringify({ ManagedPolicyArn: 'arn:aws:iam::aws:policy/PowerUserAccess' }),
};

function spec(roles: RoleDefinition[] = [ADMIN], partition: AccountSpec['partition'] = 'aws'): AccountSpec {
  return accountSpec({
    accountId: ACCOUNT,
    partition,
    settings: {
      providerName: 'idcenter',
      roleNamePattern: 'idcenter-{permissionSet}',
      rolePath: '/idcenter/',
    },
    audience: 'https://signin.aws.amazon.com/saml',
    metadata: metadata(ENTITY),
    roles,
  });
}

/** What IAM has after apply made `role`. */
function provisioned(role: RoleSpec): ObservedRole {
  return {
    name: role.name,
    path: role.path,
    managed: true,
    tags: role.tags,
    description: role.description,
    trustPolicy: structuredClone(role.trustPolicy),
    maxSessionDuration: role.maxSessionDuration,
    permissionsBoundaryArn: role.permissionsBoundaryArn,
    attachedPolicyArns: [...role.managedPolicyArns],
    inlinePolicies: new Map(
      role.inlinePolicy ? [[INLINE_POLICY_NAME, structuredClone(role.inlinePolicy)]] : [],
    ),
  };
}

function observed(s: AccountSpec, roles: ObservedRole[] = s.roles.map(provisioned)): ObservedAccount {
  return {
    accountId: ACCOUNT,
    provider:
      s.provider.kind === 'saml'
        ? { arn: s.provider.arn, metadata: s.provider.metadata, managed: true }
        : null,
    roles: new Map(roles.map((r) => [r.name, r])),
    missingPolicies: new Set(),
  };
}

// CloudFormation's placeholders, not template literals.
const PARTITION = '$' + '{AWS::Partition}';
const ACCOUNT_ID = '$' + '{AWS::AccountId}';

const calls = (d: { changes: Array<{ call: { call: string } }> }) => d.changes.map((c) => c.call.call);
const unchanged = { changing: () => false };

describe('IAM roles of permission sets', () => {
  it('names the role, its ARNs in the account and partition, and trusts the provider for the audience', () => {
    const s = spec([ADMIN], 'aws-us-gov');
    const role = s.roles[0]!;
    assert.equal(role.arn, `arn:aws-us-gov:iam::${ACCOUNT}:role/idcenter/idcenter-Admin`);
    assert.deepEqual(role.managedPolicyArns, [
      'arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess',
      `arn:aws-us-gov:iam::${ACCOUNT}:policy/teams/team`,
    ]);
    assert.equal(role.permissionsBoundaryArn, 'arn:aws-us-gov:iam::aws:policy/PowerUserAccess');
    assert.equal(role.maxSessionDuration, 7200);
    assert.deepEqual(role.trustPolicy, {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: `arn:aws-us-gov:iam::${ACCOUNT}:saml-provider/idcenter` },
          Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession', 'sts:SetSourceIdentity'],
          Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
        },
      ],
    });
  });

  it('refuses a permission set longer than the 12 hours a role allows', () => {
    assert.throws(() => roleSessionSeconds({ name: 'Long', sessionSeconds: 43_201 }), /12 hours/);
    assert.equal(roleSessionSeconds({ name: 'Short', sessionSeconds: 900 }), 3600);
  });
});

describe('diffAccount', () => {
  it('a new account: the provider first, then each role and its policies', () => {
    const s = spec();
    const d = diffAccount(
      s,
      { accountId: ACCOUNT, provider: null, roles: new Map(), missingPolicies: new Set() },
      unchanged,
    );
    assert.deepEqual(calls(d), [
      'CreateSAMLProvider',
      'CreateRole',
      'AttachRolePolicy',
      'AttachRolePolicy',
      'PutRolePolicy',
    ]);
    assert.ok(d.changes.every((c) => !c.drift && !c.prune));
    assert.deepEqual(d.problems, []);
  });

  it('nothing to do when IAM is as the file says', () => {
    const s = spec();
    assert.deepEqual(diffAccount(s, observed(s), unchanged), { changes: [], problems: [], notes: [] });
  });

  it('changes made by hand are set back and marked as drift', () => {
    const s = spec();
    const role = provisioned(s.roles[0]!);
    role.attachedPolicyArns = role.attachedPolicyArns.filter((a) => !a.includes('ReadOnlyAccess'));
    role.attachedPolicyArns.push('arn:aws:iam::aws:policy/AdministratorAccess');
    role.trustPolicy = { Version: '2012-10-17', Statement: [] };
    role.inlinePolicies.set('handmade', { Version: '2012-10-17', Statement: [] });
    role.maxSessionDuration = 3600;
    const d = diffAccount(s, observed(s, [role]), unchanged);
    assert.deepEqual(
      d.changes.map((c) => c.summary),
      [
        'set the trust policy of role idcenter-Admin',
        'update role idcenter-Admin (sessions up to 1h → 2h)',
        'attach arn:aws:iam::aws:policy/ReadOnlyAccess to role idcenter-Admin',
        'detach arn:aws:iam::aws:policy/AdministratorAccess from role idcenter-Admin',
        'delete inline policy handmade of role idcenter-Admin',
      ],
    );
    assert.ok(d.changes.every((c) => c.drift && !c.prune));
    // The same differences for a permission set the file changes are not drift.
    assert.ok(diffAccount(s, observed(s, [role]), { changing: () => true }).changes.every((c) => !c.drift));
  });

  it('a role of the wanted name without the tag is a problem, and nothing of it changes', () => {
    const s = spec();
    const role = { ...provisioned(s.roles[0]!), managed: false, tags: [] };
    const d = diffAccount(s, observed(s, [role]), unchanged);
    assert.deepEqual(d.changes, []);
    assert.equal(d.problems.length, 1);
    assert.match(d.problems[0]!, /role \/idcenter\/idcenter-Admin exists and was not created by idcenter/);
    assert.match(
      d.problems[0]!,
      /aws iam tag-role --role-name idcenter-Admin --tags Key=idcenter:managed-by,Value=idcenter/,
    );
  });

  it('a provider of the name that trusts someone else is a problem; one made from our metadata is adopted', () => {
    const s = spec();
    const other = observed(s);
    other.provider = {
      arn: s.provider.arn,
      metadata: metadata('https://other.example.com/idp'),
      managed: false,
    };
    assert.match(diffAccount(s, other, unchanged).problems[0]!, /trusts another identity provider/);
    const ours = observed(s);
    ours.provider = { arn: s.provider.arn, metadata: metadata(ENTITY, 'MIIBold'), managed: false };
    const d = diffAccount(s, ours, unchanged);
    assert.deepEqual(d.problems, []);
    assert.deepEqual(
      d.changes.map((c) => c.summary),
      ["update SAML provider idcenter from this server's metadata (its signing certificates differ)"],
    );
  });

  it('a role under another path is deleted and created again (IAM cannot move a role)', () => {
    const s = spec();
    const role = { ...provisioned(s.roles[0]!), path: '/old/' };
    assert.deepEqual(calls(diffAccount(s, observed(s, [role]), unchanged)), [
      'DetachRolePolicy',
      'DetachRolePolicy',
      'DeleteRolePolicy',
      'DeleteRole',
      'CreateRole',
      'AttachRolePolicy',
      'AttachRolePolicy',
      'PutRolePolicy',
    ]);
  });

  it('roles the file no longer names are pruned only when idcenter made them', () => {
    const s = spec([]);
    const old = provisioned(spec().roles[0]!);
    const handmade = { ...provisioned({ ...spec().roles[0]!, name: 'idcenter-Handmade' }), managed: false };
    const d = diffAccount(s, observed(s, [old, handmade]), unchanged);
    assert.deepEqual(calls(d), ['DetachRolePolicy', 'DetachRolePolicy', 'DeleteRolePolicy', 'DeleteRole']);
    assert.ok(d.changes.every((c) => c.prune));
    assert.equal(d.changes.at(-1)!.summary, 'delete role /idcenter/idcenter-Admin');
  });

  it('an account no longer federated: its roles and tagged provider go with --prune; an untagged provider stays', () => {
    const s = spec();
    const tagged = observed(s);
    assert.deepEqual(calls(diffAccount(null, tagged, unchanged)), [
      'DetachRolePolicy',
      'DetachRolePolicy',
      'DeleteRolePolicy',
      'DeleteRole',
      'DeleteSAMLProvider',
    ]);
    const untagged = observed(s, []);
    untagged.provider = { ...untagged.provider!, managed: false };
    const d = diffAccount(null, untagged, unchanged);
    assert.deepEqual(d.changes, []);
    assert.match(d.notes[0]!, /--prune leaves it/);
  });

  it('a policy the account does not have is a problem naming it and the permission set', () => {
    const s = spec();
    const o = observed(s, []);
    o.missingPolicies.add(`arn:aws:iam::${ACCOUNT}:policy/teams/team`);
    const d = diffAccount(s, o, unchanged);
    assert.equal(d.problems.length, 1);
    assert.match(
      d.problems[0]!,
      /policy arn:aws:iam::123456789012:policy\/teams\/team \(of permission set Admin\) does not exist/,
    );
  });
});

describe('diffAccount: the OIDC provider of an account on OIDC federation', () => {
  const ISSUER = 'https://idc.example.com/idc';
  const oidcSpec = (thumbprints: string[] = []) =>
    accountSpec({
      accountId: ACCOUNT,
      partition: 'aws',
      settings: {
        providerName: 'idcenter',
        roleNamePattern: 'idcenter-{permissionSet}',
        rolePath: '/idcenter/',
      },
      audience: 'https://signin.aws.amazon.com/saml',
      metadata: '',
      oidc: { issuer: ISSUER, audience: 'sts.amazonaws.com', thumbprints },
      roles: [ADMIN],
    });
  const withOidc = (s: AccountSpec, clientIds: string[], managed: boolean, thumbprints: string[] = []) => ({
    ...observed(s),
    oidcProvider: { arn: s.provider.arn, clientIds, thumbprints, managed },
  });

  it('names the provider by the issuer and conditions the trust on the issuer audience', () => {
    const s = oidcSpec();
    assert.equal(s.provider.arn, `arn:aws:iam::${ACCOUNT}:oidc-provider/idc.example.com/idc`);
    assert.deepEqual(
      (s.roles[0]!.trustPolicy as { Statement: Array<{ Condition: unknown }> }).Statement[0]!.Condition,
      { StringEquals: { 'idc.example.com/idc:aud': 'sts.amazonaws.com' } },
    );
    assert.deepEqual(
      calls(diffAccount(s, { ...observed(s, []), oidcProvider: null }, unchanged)).slice(0, 2),
      ['CreateOpenIDConnectProvider', 'CreateRole'],
    );
  });

  it('adds the audience it needs; removes other audiences only from a provider idcenter made', () => {
    const s = oidcSpec();
    const mine = diffAccount(s, withOidc(s, ['other'], true), unchanged);
    assert.deepEqual(calls(mine), [
      'AddClientIDToOpenIDConnectProvider',
      'RemoveClientIDFromOpenIDConnectProvider',
    ]);
    assert.ok(mine.changes.every((c) => c.drift));
    const adopted = diffAccount(s, withOidc(s, ['other'], false), unchanged);
    assert.deepEqual(calls(adopted), ['AddClientIDToOpenIDConnectProvider']);
  });

  it('sets the thumbprints the file gives, and leaves IAM its own when it gives none', () => {
    const t = 'a'.repeat(40);
    assert.deepEqual(
      calls(
        diffAccount(
          oidcSpec([t]),
          withOidc(oidcSpec([t]), ['sts.amazonaws.com'], true, ['b'.repeat(40)]),
          unchanged,
        ),
      ),
      ['UpdateOpenIDConnectProviderThumbprint'],
    );
    assert.deepEqual(
      calls(
        diffAccount(
          oidcSpec(),
          withOidc(oidcSpec(), ['sts.amazonaws.com'], true, ['b'.repeat(40)]),
          unchanged,
        ),
      ),
      [],
    );
  });

  it('removes a SAML provider idcenter made with --prune, once the account is on OIDC', () => {
    const s = oidcSpec();
    const saml = spec();
    const o = { ...withOidc(s, ['sts.amazonaws.com'], true), provider: observed(saml).provider };
    const d = diffAccount(s, o, unchanged);
    assert.deepEqual(
      d.changes.map((c) => [c.call.call, c.prune]),
      [['DeleteSAMLProvider', true]],
    );
  });
});

describe('cloudFormationTemplate', () => {
  it('gives each role a unique alphanumeric logical id and writes account ARNs with the pseudo parameters', () => {
    const a = { ...ADMIN, name: 'Read-Only' };
    const b = { ...ADMIN, name: 'ReadOnly', permissionsBoundary: null };
    const t = cloudFormationTemplate(spec([a, b])) as {
      Resources: Record<string, { Properties: Record<string, unknown> }>;
    };
    assert.deepEqual(Object.keys(t.Resources), ['SamlProvider', 'RoleReadOnly', 'RoleReadOnly2']);
    const role = t.Resources.RoleReadOnly!.Properties;
    assert.equal(role.RoleName, 'idcenter-Read-Only');
    assert.deepEqual(role.ManagedPolicyArns, [
      { 'Fn::Sub': `arn:${PARTITION}:iam::aws:policy/ReadOnlyAccess` },
      { 'Fn::Sub': `arn:${PARTITION}:iam::${ACCOUNT_ID}:policy/teams/team` },
    ]);
    const trust = role.AssumeRolePolicyDocument as { Statement: Array<{ Principal: unknown }> };
    assert.deepEqual(trust.Statement[0]!.Principal, {
      Federated: { 'Fn::Sub': `arn:${PARTITION}:iam::${ACCOUNT_ID}:saml-provider/idcenter` },
    });
  });
});
