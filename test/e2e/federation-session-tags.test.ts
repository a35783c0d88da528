/**
 * Session tags for an `aws` account through SAML: a permission set that asks for them
 * (`sessionTags: { Department: department, Mail: email }`) gets `PrincipalTag:<Key>` attributes
 * in the SAML Response, valued from the user's attributes. STS is moto behind the recording
 * stand-in; every Response sent is verified by xmlsec1 against the certificate of the server's
 * own metadata and read back. A user who lacks an attribute, or whose value AWS cannot take as a
 * tag value, is refused before any STS call, with a message that names the attribute, in the
 * portal API (boto3) and in the portal's access keys dialog alike.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/app/context.ts';
import { applyText } from '../helpers/apply.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import { certificateFromMetadata, samlAttributes, xmlsecVerify } from '../helpers/saml.ts';
import { issueBearerToken } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { type StsFront, startStsFront } from '../helpers/sts-front.ts';
import { requestCredentials, signIn } from './portal-fixtures.ts';

const ACCOUNT = '123456789012';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';

const ORG = `
accounts:
  - { id: "${ACCOUNT}", name: Federated, email: fed@example.com, access: aws }
users:
  - userName: alice
    displayName: Alice
    givenName: Alice
    familyName: Doe
    email: alice@example.com
    attributes: { department: Engineering, costCenter: "4711" }
  - { userName: bob, displayName: Bob, givenName: Bob, familyName: Roe }
  - { userName: carol, displayName: Carol, givenName: Carol, familyName: Poe, email: carol@example.com, attributes: { department: "R&D" } }
permissionSets:
  - { name: Tagged, sessionTags: { Department: department, Mail: email, CostCenter: costCenter } }
  - { name: Plain }
assignments:
  - { user: alice, permissionSet: Tagged, accounts: ["${ACCOUNT}"] }
  - { user: alice, permissionSet: Plain, accounts: ["${ACCOUNT}"] }
  - { user: bob, permissionSet: Tagged, accounts: ["${ACCOUNT}"] }
  - { user: carol, permissionSet: Tagged, accounts: ["${ACCOUNT}"] }
`;

const SETUP_IAM = `
import boto3, json, sys
url, metadata = sys.argv[1], sys.argv[2]
iam = boto3.client('iam', endpoint_url=url, region_name='us-east-1')
provider = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name='idcenter')['SAMLProviderArn']
trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Federated': provider},
  'Action': ['sts:AssumeRoleWithSAML', 'sts:TagSession', 'sts:SetSourceIdentity'],
  'Condition': {'StringEquals': {'SAML:aud': 'https://signin.aws.amazon.com/saml'}}}]}
for ps in ('Tagged', 'Plain'):
    iam.create_role(RoleName='idcenter-' + ps, Path='/idcenter/', AssumeRolePolicyDocument=json.dumps(trust))
`;

const GET_ROLE_CREDENTIALS = `
import boto3, json, sys
from botocore.config import Config
from botocore.exceptions import ClientError
idc, token, account, role, whoami = sys.argv[1:6]
sso = boto3.client('sso', region_name='us-east-1', endpoint_url=idc, config=Config(retries={'total_max_attempts': 1}))
try:
    c = sso.get_role_credentials(roleName=role, accountId=account, accessToken=token)['roleCredentials']
except ClientError as e:
    print(json.dumps({'error': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
      'status': e.response['ResponseMetadata']['HTTPStatusCode']}))
    sys.exit(0)
out = {}
if whoami:
    me = boto3.client('sts', endpoint_url=whoami, region_name='us-east-1', aws_access_key_id=c['accessKeyId'],
      aws_secret_access_key=c['secretAccessKey'], aws_session_token=c['sessionToken']).get_caller_identity()
    out['arn'] = me['Arn']
print(json.dumps(out))
`;

interface Answer {
  arn?: string;
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

describe('session tags from user attributes in the SAML Response (PrincipalTag)', () => {
  let moto: Moto;
  let front: StsFront;
  let server: TestServer;
  let home: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;
  let cert: string;

  const getRoleCredentials = async (user: string, role: string, whoami = ''): Promise<Answer> => {
    const token = await issueBearerToken(server.deps.ctx, { userId: await userId(server.deps.ctx, user) });
    const res = await python(
      GET_ROLE_CREDENTIALS,
      [server.url, token.accessToken, ACCOUNT, role, whoami],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as Answer;
  };

  before(async () => {
    moto = await startMoto();
    front = await startStsFront({ kind: 'forward', to: moto.url });
    home = tempHome();
    env = cleanAwsEnv(home.home, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    server = await startTestServer({
      settings: { awsStsEndpoint: front.url },
      seed: async (deps) => void (await applyText(deps.ctx, ORG)),
    });
    const metadata = await (await fetch(`${server.url}/saml/metadata`)).text();
    cert = certificateFromMetadata(metadata);
    const setup = await python(SETUP_IAM, [moto.url, metadata], env);
    assert.equal(setup.code, 0, setup.stderr);
  });
  after(async () => {
    await server?.stop();
    await front?.stop();
    await moto?.stop();
    home?.cleanup();
  });

  it('a permission set with sessionTags: PrincipalTag attributes from the user, in a Response xmlsec1 verifies', async () => {
    const from = front.requests.length;
    const out = await getRoleCredentials('alice', 'Tagged', moto.url);
    assert.equal(out.error, undefined, out.message);
    assert.equal(out.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/idcenter-Tagged/alice`);
    const { samlResponse } = front.requests[from]!;
    assert.equal(await xmlsecVerify(samlResponse, cert), true);
    const attrs = samlAttributes(samlResponse);
    assert.deepEqual(attrs.get(`${ATTR}PrincipalTag:Department`), ['Engineering']);
    assert.deepEqual(attrs.get(`${ATTR}PrincipalTag:Mail`), ['alice@example.com']);
    assert.deepEqual(attrs.get(`${ATTR}PrincipalTag:CostCenter`), ['4711']);
    assert.deepEqual(attrs.get(`${ATTR}RoleSessionName`), ['alice']);
    // The audit row lists the tag keys (not their values).
    const row = await server.deps.ctx.store.db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'credentials.issue')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.deepEqual((JSON.parse(row.detail!) as { sessionTags: string[] }).sessionTags, [
      'CostCenter',
      'Department',
      'Mail',
    ]);
  });

  it('a permission set without sessionTags sends none', async () => {
    const from = front.requests.length;
    const out = await getRoleCredentials('alice', 'Plain');
    assert.equal(out.error, undefined, out.message);
    const { samlResponse } = front.requests[from]!;
    assert.equal(await xmlsecVerify(samlResponse, cert), true);
    assert.deepEqual(
      [...samlAttributes(samlResponse).keys()].filter((k) => k.includes('PrincipalTag')),
      [],
    );
  });

  it('a user without the attributes: 400 naming each of them, and no STS call', async () => {
    const from = front.requests.length;
    const out = await getRoleCredentials('bob', 'Tagged');
    assert.equal(out.status, 400);
    assert.equal(out.error, 'InvalidRequestException');
    assert.match(
      out.message!,
      /^Permission set Tagged tags its sessions with your attributes costCenter, department, email, which user bob does not have\. Ask an administrator to set them \(users\[\]\.attributes in the organization file\)\.$/,
    );
    assert.equal(front.requests.length, from);
  });

  it('a value AWS cannot take as a tag value: 400 naming the attribute', async () => {
    const out = await getRoleCredentials('carol', 'Tagged');
    assert.equal(out.status, 400);
    assert.match(out.message!, /with Department from your attribute department, whose value AWS cannot take/);
  });

  it('the portal’s access keys dialog shows the same message', async () => {
    const who = await signIn(server.deps, await userId(server.deps.ctx, 'bob'));
    const res = await requestCredentials(server.url, who, { accountId: ACCOUNT, roleName: 'Tagged' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { message: string };
    assert.match(body.message, /tags its sessions with your attributes costCenter, department, email/);
  });
});
