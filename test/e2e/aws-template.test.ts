/**
 * `idcenter aws template`: the CloudFormation template of an `aws` account's SAML provider and
 * roles. Its structure is checked as CloudFormation reads it (resource types, properties,
 * intrinsic functions); its roles are compared with those `idcenter apply` creates in moto's IAM
 * for the same file; and the AWS CLI deploys it into moto's CloudFormation, after which boto3
 * finds the roles in IAM.
 *
 * moto's CloudFormation does not implement `AWS::IAM::SAMLProvider` (it skips the resource) and
 * ignores a role's `ManagedPolicyArns`: those two are checked against the template text and
 * against what apply created, not against the deployed stack.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  AUDIENCE,
  type IamRole,
  MANAGEMENT,
  MEMBER,
  type ProvisioningSetup,
  setupProvisioning,
} from '../helpers/iam.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { python, run } from '../helpers/python.ts';

// CloudFormation's placeholders, not template literals.
const PARTITION = '$' + '{AWS::Partition}';
const ACCOUNT_ID = '$' + '{AWS::AccountId}';

const INLINE = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }],
};

const ORG = `
accounts:
  - { id: "${MANAGEMENT}", name: Management, email: mgmt@example.com, access: aws }
  - { id: "${MEMBER}", name: Production, email: prod@example.com, access: aws }
  - { id: "333333333333", name: Sandbox, email: sandbox@example.com }
users: [ { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe } ]
permissionSets:
  - name: Admin
    sessionDuration: PT4H
    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
  - name: Read-Only
    sessionDuration: PT2H
    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
    customerManagedPolicies: [ { name: team-read, path: /teams/ } ]
    inlinePolicy: ${JSON.stringify(INLINE)}
    permissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${MANAGEMENT}", "${MEMBER}"] }
  - { user: alice, permissionSet: Read-Only, accounts: ["${MEMBER}", "333333333333"] }
`;

type Resource = { Type: string; DependsOn?: string; Properties: Record<string, unknown> };
interface Template {
  AWSTemplateFormatVersion: string;
  Description: string;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

/** A value with CloudFormation's `Fn::Sub` of the pseudo parameters worked out for `account`. */
function resolve(value: unknown, account: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, account));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0]![0] === 'Fn::Sub') {
      return String(entries[0]![1]).replaceAll(PARTITION, 'aws').replaceAll(ACCOUNT_ID, account);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, account)]));
  }
  return value;
}

/** A template role as IAM would hold it in `account`, in the shape boto3 reads (`helpers/iam.ts`). */
function asIamRole(resource: Resource, account: string): Omit<IamRole, 'arn'> {
  const p = resolve(resource.Properties, account) as Record<string, unknown>;
  const policies = (p.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }> | undefined) ?? [];
  return {
    path: p.Path as string,
    maxSessionDuration: p.MaxSessionDuration as number,
    trust: p.AssumeRolePolicyDocument,
    tags: Object.fromEntries((p.Tags as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value])),
    boundary: (p.PermissionsBoundary as string | undefined) ?? null,
    attached: [...((p.ManagedPolicyArns as string[] | undefined) ?? [])].sort(),
    inline: Object.fromEntries(policies.map((x) => [x.PolicyName, x.PolicyDocument])),
  };
}

describe('idcenter aws template', () => {
  let moto: Moto;
  let s: ProvisioningSetup;
  let orgFile: string;
  let metadata: string;
  let template: Template;

  before(async () => {
    moto = await startMoto({ managedPolicies: true });
    s = await setupProvisioning('sqlite', moto);
    orgFile = s.file(ORG);
    const m = await s.idcenter(['aws', 'metadata']);
    assert.equal(m.code, 0, m.stderr);
    metadata = m.stdout;
  });
  after(async () => {
    await s?.cleanup();
    await moto?.stop();
  });

  it('writes the provider and a role per permission set assigned in the account, as CloudFormation reads them', async () => {
    const r = await s.idcenter(['aws', 'template', '-f', orgFile, '--account', MEMBER]);
    assert.equal(r.code, 0, r.stderr);
    template = parse(r.stdout) as Template;
    assert.equal(template.AWSTemplateFormatVersion, '2010-09-09');
    assert.match(template.Description, /account 222222222222 \(partition aws\)/);
    assert.deepEqual(
      Object.entries(template.Resources).map(([id, res]) => [id, res.Type, res.DependsOn]),
      [
        ['SamlProvider', 'AWS::IAM::SAMLProvider', undefined],
        ['RoleAdmin', 'AWS::IAM::Role', 'SamlProvider'],
        ['RoleReadOnly', 'AWS::IAM::Role', 'SamlProvider'],
      ],
    );
    assert.deepEqual(template.Resources.SamlProvider!.Properties, {
      Name: 'idcenter',
      SamlMetadataDocument: metadata,
      Tags: [{ Key: 'idcenter:managed-by', Value: 'idcenter' }],
    });
    const readOnly = template.Resources.RoleReadOnly!.Properties;
    assert.equal(readOnly.RoleName, 'idcenter-Read-Only');
    assert.deepEqual(readOnly.ManagedPolicyArns, [
      { 'Fn::Sub': `arn:${PARTITION}:iam::aws:policy/ReadOnlyAccess` },
      { 'Fn::Sub': `arn:${PARTITION}:iam::${ACCOUNT_ID}:policy/teams/team-read` },
    ]);
    assert.deepEqual(readOnly.AssumeRolePolicyDocument, {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: {
            Federated: { 'Fn::Sub': `arn:${PARTITION}:iam::${ACCOUNT_ID}:saml-provider/idcenter` },
          },
          Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession', 'sts:SetSourceIdentity'],
          Condition: { StringEquals: { 'SAML:aud': AUDIENCE } },
        },
      ],
    });
    assert.deepEqual(template.Outputs.SamlProviderArn!.Value, { Ref: 'SamlProvider' });
    assert.deepEqual(template.Outputs.RoleReadOnlyArn!.Value, { 'Fn::GetAtt': ['RoleReadOnly', 'Arn'] });

    const json = await s.idcenter([
      'aws',
      'template',
      '-f',
      orgFile,
      '--account',
      MEMBER,
      '--format',
      'json',
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), template);
  });

  it('holds the same roles and policies idcenter apply creates in the account', async () => {
    await s.changeIam(MEMBER, [
      [
        'create_policy',
        {
          PolicyName: 'team-read',
          Path: '/teams/',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
          },
        },
      ],
    ]);
    const applied = await s.apply(ORG);
    assert.equal(applied.code, 0, applied.stderr);
    const iam = await s.readIam(MEMBER);
    assert.deepEqual(Object.values(iam.providers), [metadata.trim()]);
    const fromTemplate = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Role')
      .map((r) => [r.Properties.RoleName, asIamRole(r, MEMBER)]);
    const fromApply = Object.entries(iam.roles).map(([name, { arn: _, ...role }]) => [name, role]);
    assert.deepEqual(Object.fromEntries(fromTemplate), Object.fromEntries(fromApply));
  });

  it('deploys with the AWS CLI into moto, which creates the roles', async () => {
    await moto.reset();
    const file = s.file((await s.idcenter(['aws', 'template', '-f', orgFile, '--account', MEMBER])).stdout);
    // The stack is created in the member account, as its own pipeline would, with credentials there.
    const creds = await python(
      `import boto3, json, sys
c = boto3.client('sts', endpoint_url=sys.argv[1], region_name='us-east-1').assume_role(
    RoleArn='arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole', RoleSessionName='pipeline')['Credentials']
print(json.dumps({'AWS_ACCESS_KEY_ID': c['AccessKeyId'], 'AWS_SECRET_ACCESS_KEY': c['SecretAccessKey'], 'AWS_SESSION_TOKEN': c['SessionToken']}))`,
      [moto.url],
      s.env(),
    );
    assert.equal(creds.code, 0, creds.stderr);
    const env = { ...s.env(), ...(JSON.parse(creds.stdout) as Record<string, string>) };
    const cf = (args: string[]) =>
      run(
        'aws',
        ['cloudformation', ...args, '--endpoint-url', moto.url, '--region', 'us-east-1', '--output', 'json'],
        { env },
      );
    const created = await cf([
      'create-stack',
      '--stack-name',
      'idcenter',
      '--template-body',
      `file://${file}`,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const described = await cf(['describe-stacks', '--stack-name', 'idcenter']);
    assert.equal(described.code, 0, described.stderr);
    const stack = (JSON.parse(described.stdout) as { Stacks: Array<{ StackStatus: string }> }).Stacks[0]!;
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE');

    const iam = await s.readIam(MEMBER);
    assert.deepEqual(Object.keys(iam.roles).sort(), ['idcenter-Admin', 'idcenter-Read-Only']);
    for (const resource of Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Role')) {
      const name = resource.Properties.RoleName as string;
      const { attached: _, ...want } = asIamRole(resource, MEMBER);
      const { arn, attached: __, ...have } = iam.roles[name]!;
      assert.equal(arn, `arn:aws:iam::${MEMBER}:role/idcenter/${name}`);
      assert.deepEqual(have, want, name);
    }
  });

  it('asks for --account when the file has several aws accounts, and refuses a local one', async () => {
    const several = await s.idcenter(['aws', 'template', '-f', orgFile]);
    assert.equal(several.code, 253);
    assert.match(
      several.stderr,
      /2 accounts with access: aws \(123456789012, 222222222222\): give --account ID/,
    );
    const local = await s.idcenter(['aws', 'template', '-f', orgFile, '--account', '333333333333']);
    assert.equal(local.code, 253);
    assert.match(
      local.stderr,
      /account 333333333333 has access: local; only aws accounts have IAM roles for idcenter/,
    );
    const bad = await s.idcenter(['aws', 'template', '-f', orgFile, '--account', '42']);
    assert.equal(bad.code, 252);
  });

  it('writes to a file with -o', async () => {
    const out = `${s.dir}/template.yaml`;
    const r = await s.idcenter(['aws', 'template', '-f', orgFile, '--account', MANAGEMENT, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /wrote the CloudFormation template of account 123456789012 \(SAML provider idcenter, 1 role\)/,
    );
    const written = parse(fs.readFileSync(out, 'utf8')) as Template;
    assert.deepEqual(Object.keys(written.Resources), ['SamlProvider', 'RoleAdmin']);
  });
});
