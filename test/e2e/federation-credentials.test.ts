/**
 * GetRoleCredentials for a federated (`access: aws`) account, end to end with real clients: the
 * organization file marks one account `aws`; IAM and STS are moto's server, where the test
 * creates the SAML provider from the server's own /saml/metadata and the permission set's role
 * trusting it (the manual way of README "Real AWS accounts"); boto3's `sso` client and the AWS
 * CLI ask idcenter for credentials, and boto3 uses them against moto, whose caller identity is
 * the assumed role and the user. The last suite lets `idcenter apply` provision the provider and
 * role instead, and checks that it is that role STS is asked for and the AWS CLI acts as.
 *
 * STS requests pass through a recording stand-in (`helpers/sts-front.ts`) in front of moto, so
 * the SAML Response idcenter sent is verified with xmlsec1 against the metadata's certificate and
 * read back. moto checks neither roles nor trust, so AWS's refusals (role missing or not
 * trusting, a session longer than the role allows) are answered by the stand-in as AWS writes
 * them; STS unreachable is a closed port, STS slow a stand-in that never answers.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/app/context.ts';
import { applyText } from '../helpers/apply.ts';
import { BIN } from '../helpers/iam.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { cleanAwsEnv, python, run, tempHome } from '../helpers/python.ts';
import {
  certificateFromMetadata,
  samlAttributes,
  samlElement,
  xmlCryptoVerify,
  xmlsecVerify,
} from '../helpers/saml.ts';
import { issueBearerToken } from '../helpers/seed.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { type StsFront, startStsFront } from '../helpers/sts-front.ts';

const FEDERATED = '123456789012'; // moto's default account: its IAM is per account
const LOCAL = '111111111111';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';
const ROLE_ARN = `arn:aws:iam::${FEDERATED}:role/idcenter/idcenter-Admin`;
const PROVIDER_ARN = `arn:aws:iam::${FEDERATED}:saml-provider/idcenter`;

const ORG = `
accounts:
  - { id: "${FEDERATED}", name: Federated, email: fed@example.com, access: aws }
  - { id: "${LOCAL}", name: Local, email: local@example.com }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe }
  - { userName: b, displayName: B, givenName: B, familyName: Doe }
permissionSets:
  - { name: Admin, sessionDuration: PT2H }
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${FEDERATED}", "${LOCAL}"] }
  - { user: b, permissionSet: Admin, accounts: ["${FEDERATED}"] }
`;

/** The IAM side, as an administrator sets it up today: provider from the metadata, role trusting it. */
const SETUP_IAM = `
import boto3, json, sys
url, metadata = sys.argv[1], sys.argv[2]
iam = boto3.client('iam', endpoint_url=url, region_name='us-east-1')
provider = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name='idcenter')['SAMLProviderArn']
trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Federated': provider},
  'Action': ['sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity'],
  'Condition': {'StringEquals': {'SAML:aud': 'https://signin.aws.amazon.com/saml'}}}]}
role = iam.create_role(RoleName='idcenter-Admin', Path='/idcenter/', MaxSessionDuration=7200,
  AssumeRolePolicyDocument=json.dumps(trust))['Role']['Arn']
print(json.dumps({'provider': provider, 'role': role}))
`;

/** boto3's sso client against idcenter; with a second URL, the caller identity there. */
const GET_ROLE_CREDENTIALS = `
import boto3, json, sys
from botocore.config import Config
from botocore.exceptions import ClientError
idc, token, account, role, whoami = sys.argv[1:6]
sso = boto3.client('sso', region_name='us-east-1', endpoint_url=idc,
  config=Config(retries={'total_max_attempts': 1}))
try:
    c = sso.get_role_credentials(roleName=role, accountId=account, accessToken=token)['roleCredentials']
except ClientError as e:
    print(json.dumps({'error': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
      'status': e.response['ResponseMetadata']['HTTPStatusCode']}))
    sys.exit(0)
out = {'creds': c}
if whoami:
    me = boto3.client('sts', endpoint_url=whoami, region_name='us-east-1', aws_access_key_id=c['accessKeyId'],
      aws_secret_access_key=c['secretAccessKey'], aws_session_token=c['sessionToken']).get_caller_identity()
    out['arn'] = me['Arn']
    out['account'] = me['Account']
print(json.dumps(out))
`;

interface Answer {
  creds?: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: number };
  arn?: string;
  account?: string;
  error?: string;
  message?: string;
  status?: number;
}

async function userId(ctx: AppContext, userName: string): Promise<string> {
  const row = await ctx.store.db
    .selectFrom('users')
    .select('id')
    .where('user_name', '=', userName)
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('GetRoleCredentials for an aws account through IAM SAML federation', () => {
  let moto: Moto;
  let front: StsFront;
  let server: TestServer;
  let home: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;
  let token: string;
  let metadata: string;

  const getRoleCredentials = async (
    account: string,
    whoami: string,
    options: { server?: TestServer; token?: string } = {},
  ): Promise<Answer> => {
    const res = await python(
      GET_ROLE_CREDENTIALS,
      [(options.server ?? server).url, options.token ?? token, account, 'Admin', whoami],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as Answer;
  };

  before(async () => {
    moto = await startMoto();
    front = await startStsFront({ kind: 'forward', to: '' });
    front.mode = { kind: 'forward', to: moto.url };
    home = tempHome();
    env = cleanAwsEnv(home.home, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    server = await startTestServer({
      settings: { awsStsEndpoint: front.url, awsStsTimeout: '2s' },
      seed: async (deps) => {
        await applyText(deps.ctx, ORG);
      },
    });
    token = (await issueBearerToken(server.deps.ctx, { userId: await userId(server.deps.ctx, 'alice') }))
      .accessToken;
    metadata = await (await fetch(`${server.url}/saml/metadata`)).text();
    const setup = await python(SETUP_IAM, [moto.url, metadata], env);
    assert.equal(setup.code, 0, setup.stderr);
    assert.deepEqual(JSON.parse(setup.stdout), { provider: PROVIDER_ARN, role: ROLE_ARN });
  });
  after(async () => {
    await server?.stop();
    await front?.stop();
    await moto?.stop();
    home?.cleanup();
  });

  it('boto3 gets real credentials; moto knows them as the assumed role and the user', async () => {
    front.mode = { kind: 'forward', to: moto.url };
    const before = Date.now();
    const out = await getRoleCredentials(FEDERATED, moto.url);
    assert.equal(out.error, undefined, out.message);
    assert.equal(out.arn, `arn:aws:sts::${FEDERATED}:assumed-role/idcenter-Admin/alice`);
    assert.equal(out.account, FEDERATED);
    // Epoch milliseconds, about the permission set's two hours from now.
    const expiration = out.creds!.expiration;
    assert.ok(expiration > before + 7000_000 && expiration < Date.now() + 7300_000, String(expiration));
  });

  it('sends STS a SAML Response that xmlsec1 verifies with the metadata certificate and that says what AWS checks', async () => {
    front.mode = { kind: 'forward', to: moto.url };
    const from = front.requests.length;
    const out = await getRoleCredentials(FEDERATED, '');
    assert.equal(out.error, undefined, out.message);
    const sent = front.requests.slice(from);
    assert.equal(sent.length, 1);
    const { params, samlResponse } = sent[0]!;
    assert.equal(params.get('Action'), 'AssumeRoleWithSAML');
    assert.equal(params.get('RoleArn'), ROLE_ARN);
    assert.equal(params.get('PrincipalArn'), PROVIDER_ARN);
    assert.equal(params.get('DurationSeconds'), '7200');
    const cert = certificateFromMetadata(metadata);
    assert.equal(await xmlsecVerify(samlResponse, cert), true);
    assert.equal(xmlCryptoVerify(samlResponse, cert), true);
    assert.equal(samlElement(samlResponse, 'Issuer')?.textContent, `${server.url}/saml/metadata`);
    assert.equal(samlElement(samlResponse, 'Audience')?.textContent, 'https://signin.aws.amazon.com/saml');
    assert.equal(
      samlElement(samlResponse, 'SubjectConfirmationData')?.getAttribute('Recipient'),
      'https://signin.aws.amazon.com/saml',
    );
    assert.equal(samlElement(samlResponse, 'NameID')?.textContent, await userId(server.deps.ctx, 'alice'));
    const attrs = samlAttributes(samlResponse);
    assert.deepEqual(attrs.get(`${ATTR}Role`), [`${ROLE_ARN},${PROVIDER_ARN}`]);
    assert.deepEqual(attrs.get(`${ATTR}RoleSessionName`), ['alice']);
    assert.deepEqual(attrs.get(`${ATTR}SessionDuration`), ['7200']);
    assert.deepEqual(attrs.get(`${ATTR}SourceIdentity`), ['alice']);
  });

  it('audits the issuance with the STS request id, and keeps no credentials', async () => {
    front.mode = { kind: 'forward', to: moto.url };
    const out = await getRoleCredentials(FEDERATED, '');
    const stsRequestId = front.requests.at(-1)!.answeredRequestId;
    assert.ok(stsRequestId);
    const rows = await server.deps.ctx.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'credentials.issue')
      .orderBy('id')
      .execute();
    const row = rows.at(-1)!;
    assert.equal(row.actor, `user:${await userId(server.deps.ctx, 'alice')}`);
    assert.equal(row.target_id, `${FEDERATED}/Admin`);
    const detail = JSON.parse(row.detail!) as Record<string, unknown>;
    assert.equal(detail.stsRequestId, stsRequestId);
    assert.equal(detail.access, 'aws');
    assert.equal(detail.roleArn, ROLE_ARN);
    assert.equal(detail.accessKeyId, out.creds!.accessKeyId);
    assert.equal(detail.channel, 'sso-api');
    // Neither the secret nor the session token is in the audit log.
    const dump = JSON.stringify(
      await server.deps.ctx.store.db.selectFrom('audit_events').select('detail').execute(),
    );
    assert.ok(!dump.includes(out.creds!.secretAccessKey));
    assert.ok(!dump.includes(out.creds!.sessionToken));
  });

  it('a local account in the same organization still gets the server’s own credentials', async () => {
    const from = front.requests.length;
    const out = await getRoleCredentials(LOCAL, server.url);
    assert.equal(out.error, undefined, out.message);
    assert.match(
      out.arn!,
      new RegExp(`^arn:aws:sts::${LOCAL}:assumed-role/AWSReservedSSO_Admin_[0-9a-f]+/alice$`),
    );
    assert.equal(front.requests.length, from, 'no STS call for a local account');
  });

  it('the AWS CLI gets the federated credentials too', async () => {
    front.mode = { kind: 'forward', to: moto.url };
    const res = await run(
      'aws',
      [
        'sso',
        'get-role-credentials',
        '--role-name',
        'Admin',
        '--account-id',
        FEDERATED,
        '--access-token',
        token,
        '--endpoint-url',
        server.url,
        '--region',
        'us-east-1',
        '--output',
        'json',
      ],
      { env },
    );
    assert.equal(res.code, 0, res.stderr);
    const c = (JSON.parse(res.stdout) as { roleCredentials: { accessKeyId: string } }).roleCredentials;
    const sts = front.requests.at(-1)!;
    assert.equal(sts.params.get('RoleArn'), ROLE_ARN);
    assert.match(c.accessKeyId, /^[A-Z0-9]{16,}$/);
  });

  it('a role that is missing or does not trust the provider: 403 naming the role ARN and the provider', async () => {
    front.mode = {
      kind: 'error',
      status: 403,
      code: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithSAML',
    };
    const out = await getRoleCredentials(FEDERATED, '');
    assert.equal(out.error, 'ForbiddenException');
    assert.equal(out.status, 403);
    assert.ok(out.message!.includes(ROLE_ARN), out.message);
    assert.ok(out.message!.includes(PROVIDER_ARN), out.message);
    assert.match(out.message!, /trust policy/);
    assert.ok(out.message!.includes(front.requests.at(-1)!.answeredRequestId!), 'the STS request id');
    const failure = await server.deps.ctx.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'credentials.issue_failure')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const detail = JSON.parse(failure.detail!) as Record<string, unknown>;
    assert.equal(detail.stsError, 'AccessDenied');
    assert.equal(detail.stsRequestId, front.requests.at(-1)!.answeredRequestId);
  });

  it('a session longer than the role allows: 400 naming the permission set and its duration', async () => {
    front.mode = {
      kind: 'error',
      status: 400,
      code: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    };
    const out = await getRoleCredentials(FEDERATED, '');
    assert.equal(out.error, 'InvalidRequestException');
    assert.equal(out.status, 400);
    assert.match(out.message!, /permission set Admin \(7200 s\)/);
    assert.match(out.message!, /sessionDuration/);
    assert.match(out.message!, /max-session-duration 7200/);
  });

  it('an assertion AWS finds expired: 403 that points at the server clock', async () => {
    front.mode = {
      kind: 'error',
      status: 400,
      code: 'ExpiredTokenException',
      message: 'Token must be redeemed within 5 minutes of issuance',
    };
    const out = await getRoleCredentials(FEDERATED, '');
    assert.equal(out.error, 'ForbiddenException');
    assert.match(out.message!, /clock/);
  });

  it('STS that does not answer: 503 naming the endpoint and the timeout', async () => {
    front.mode = { kind: 'hang' };
    const out = await getRoleCredentials(FEDERATED, '');
    assert.equal(out.status, 503);
    assert.equal(out.error, 'ServiceUnavailableException');
    assert.ok(out.message!.includes(front.url), out.message);
    assert.match(out.message!, /did not answer within 2 s/);
  });

  it('a user name AWS cannot take as a session name is refused by name, before any STS call', async () => {
    front.mode = { kind: 'forward', to: moto.url };
    const from = front.requests.length;
    const other = await issueBearerToken(server.deps.ctx, { userId: await userId(server.deps.ctx, 'b') });
    const out = await getRoleCredentials(FEDERATED, '', { token: other.accessToken });
    assert.equal(out.error, 'InvalidRequestException');
    assert.match(out.message!, /user name "b" cannot be an AWS role session name/);
    assert.equal(front.requests.length, from);
  });

  describe('STS on a closed port', () => {
    let closed: TestServer;
    let closedToken: string;
    let closedUrl: string;
    before(async () => {
      closedUrl = `http://127.0.0.1:${await freePort()}`;
      closed = await startTestServer({
        settings: { awsStsEndpoint: closedUrl },
        seed: async (deps) => {
          await applyText(deps.ctx, ORG);
        },
      });
      closedToken = (
        await issueBearerToken(closed.deps.ctx, { userId: await userId(closed.deps.ctx, 'alice') })
      ).accessToken;
    });
    after(async () => {
      await closed?.stop();
    });

    it('is a 503 naming the endpoint, not a 500', async () => {
      const out = await getRoleCredentials(FEDERATED, '', { server: closed, token: closedToken });
      assert.equal(out.status, 503);
      assert.ok(out.message!.includes(closedUrl), out.message);
      assert.match(out.message!, /cannot be reached \(ECONNREFUSED\)/);
    });
  });
});

describe('GetRoleCredentials assumes the role idcenter apply provisioned', () => {
  let moto: Moto;
  let front: StsFront;
  let server: TestServer;
  let home: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;
  let token: string;

  /** What moto's IAM holds, by boto3: the provider ARN and the role's ARN and trust. */
  const READ_IAM = `
import boto3, json, sys
iam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1')
role = iam.get_role(RoleName='idcenter-Admin')['Role']
print(json.dumps({'providers': [p['Arn'] for p in iam.list_saml_providers()['SAMLProviderList']],
  'role': role['Arn'], 'trust': role['AssumeRolePolicyDocument'], 'maxSessionDuration': role['MaxSessionDuration'],
  'attached': [p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName='idcenter-Admin')['AttachedPolicies']]}))
`;

  before(async () => {
    moto = await startMoto();
    front = await startStsFront({ kind: 'forward', to: moto.url });
    home = tempHome();
    env = cleanAwsEnv(home.home, {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    server = await startTestServer({ settings: { awsStsEndpoint: front.url, awsStsTimeout: '5s' } });
    // An administrator runs idcenter apply beside the running server, with its settings: the same
    // store and data directory, its public URL, and a provisioning credential for moto's account.
    const file = path.join(home.home, 'org.yaml');
    fs.writeFileSync(file, ORG);
    const applied = await run(
      process.execPath,
      [
        BIN,
        'apply',
        '-f',
        file,
        '--database-url',
        server.config.databaseUrl,
        '--data-dir',
        server.config.dataDir,
      ],
      {
        env: {
          ...env,
          IDCENTER_PUBLIC_URL: server.config.publicUrl,
          IDCENTER_AWS_STS_ENDPOINT: moto.url,
          IDCENTER_AWS_IAM_ENDPOINT: moto.url,
        },
        timeoutMs: 120_000,
      },
    );
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /\+ IAM 123456789012: create role \/idcenter\/idcenter-Admin/);
    token = (await issueBearerToken(server.deps.ctx, { userId: await userId(server.deps.ctx, 'alice') }))
      .accessToken;
  });
  after(async () => {
    await server?.stop();
    await front?.stop();
    await moto?.stop();
    home?.cleanup();
  });

  it('the AWS CLI gets credentials of the provisioned role, and acts as it and the user', async () => {
    const iamRead = await python(READ_IAM, [moto.url], env);
    assert.equal(iamRead.code, 0, iamRead.stderr);
    const iam = JSON.parse(iamRead.stdout) as {
      providers: string[];
      role: string;
      trust: { Statement: Array<{ Principal: { Federated: string }; Action: string[] }> };
      maxSessionDuration: number;
    };
    assert.deepEqual(iam.providers, [PROVIDER_ARN]);
    assert.equal(iam.role, ROLE_ARN);
    assert.equal(iam.trust.Statement[0]!.Principal.Federated, PROVIDER_ARN);
    assert.deepEqual(iam.trust.Statement[0]!.Action, [
      'sts:AssumeRoleWithSAML',
      'sts:TagSession',
      'sts:SetSourceIdentity',
    ]);
    assert.equal(iam.maxSessionDuration, 7200, 'the permission set lasts PT2H');

    const got = await run(
      'aws',
      [
        'sso',
        'get-role-credentials',
        '--role-name',
        'Admin',
        '--account-id',
        FEDERATED,
        '--access-token',
        token,
        '--endpoint-url',
        server.url,
        '--region',
        'us-east-1',
        '--output',
        'json',
      ],
      { env },
    );
    assert.equal(got.code, 0, got.stderr);
    const c = (
      JSON.parse(got.stdout) as {
        roleCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
      }
    ).roleCredentials;
    // idcenter asked STS for the role apply made, through the provider apply made.
    const asked = front.requests.at(-1)!;
    assert.equal(asked.params.get('Action'), 'AssumeRoleWithSAML');
    assert.equal(asked.params.get('RoleArn'), iam.role);
    assert.equal(asked.params.get('PrincipalArn'), iam.providers[0]);
    assert.equal(asked.params.get('DurationSeconds'), '7200');
    const cert = certificateFromMetadata(await (await fetch(`${server.url}/saml/metadata`)).text());
    assert.equal(await xmlsecVerify(asked.samlResponse, cert), true);

    const me = await run(
      'aws',
      ['sts', 'get-caller-identity', '--endpoint-url', moto.url, '--region', 'us-east-1', '--output', 'json'],
      {
        env: {
          ...env,
          AWS_ACCESS_KEY_ID: c.accessKeyId,
          AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
          AWS_SESSION_TOKEN: c.sessionToken,
        },
      },
    );
    assert.equal(me.code, 0, me.stderr);
    const identity = JSON.parse(me.stdout) as { Account: string; Arn: string };
    assert.equal(identity.Account, FEDERATED);
    assert.equal(identity.Arn, `arn:aws:sts::${FEDERATED}:assumed-role/idcenter-Admin/alice`);
  });

  it('the IAM changes are in the audit log of the server’s store', async () => {
    const rows = await server.deps.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target_id', 'detail'])
      .where('action', '=', 'iam.change')
      .execute();
    assert.deepEqual(
      rows.map((r) => [r.target_id, (JSON.parse(r.detail!) as { call: string }).call]),
      [
        [FEDERATED, 'CreateSAMLProvider'],
        [FEDERATED, 'CreateRole'],
      ],
    );
  });
});
