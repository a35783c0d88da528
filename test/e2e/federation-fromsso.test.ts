/**
 * The JavaScript SDK's `fromSSO` (@aws-sdk/credential-providers) for a profile of an `aws`
 * account, from the SSO token cache as `aws sso login` leaves it: it calls idcenter's
 * GetRoleCredentials, gets the real credentials idcenter obtained from STS (moto), and an
 * STSClient using them is the assumed role and the user at moto. First through SAML, then, after
 * `idcenter apply` switches the account to `federation: oidc`, through OIDC: the same profile,
 * nothing changed on the client's side.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromSSO } from '@aws-sdk/credential-providers';
import { applyText } from '../helpers/apply.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import { issueBearerToken } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { type StsFront, startStsFront } from '../helpers/sts-front.ts';

const ACCOUNT = '123456789012';

const org = (federation: 'saml' | 'oidc') => `
accounts:
  - { id: "${ACCOUNT}", name: Federated, email: fed@example.com, access: aws, federation: ${federation} }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe }
permissionSets:
  - { name: Admin }
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${ACCOUNT}"] }
`;

/** One role trusting both of the server's providers: the SAML provider and the OIDC issuer. */
const SETUP_IAM = `
import boto3, json, sys
url, metadata, issuer = sys.argv[1:4]
iam = boto3.client('iam', endpoint_url=url, region_name='us-east-1')
saml = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name='idcenter')['SAMLProviderArn']
oidc = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=['sts.amazonaws.com'],
  ThumbprintList=['0' * 40])['OpenIDConnectProviderArn']
trust = {'Version': '2012-10-17', 'Statement': [
  {'Effect': 'Allow', 'Principal': {'Federated': saml}, 'Action': ['sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity'],
   'Condition': {'StringEquals': {'SAML:aud': 'https://signin.aws.amazon.com/saml'}}},
  {'Effect': 'Allow', 'Principal': {'Federated': oidc}, 'Action': ['sts:AssumeRoleWithWebIdentity', 'sts:SetSourceIdentity'],
   'Condition': {'StringEquals': {issuer.split('://', 1)[1] + ':aud': 'sts.amazonaws.com'}}}]}
iam.create_role(RoleName='idcenter-Admin', Path='/idcenter/', AssumeRolePolicyDocument=json.dumps(trust))
`;

describe('@aws-sdk/credential-providers fromSSO for an aws account', () => {
  let moto: Moto;
  let front: StsFront;
  let server: TestServer;
  let home: ReturnType<typeof tempHome>;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    moto = await startMoto();
    front = await startStsFront({ kind: 'forward', to: moto.url });
    home = tempHome();
    server = await startTestServer({
      settings: { awsStsEndpoint: front.url },
      seed: async (deps) => void (await applyText(deps.ctx, org('saml'))),
    });
    const metadata = await (await fetch(`${server.url}/saml/metadata`)).text();
    const setup = await python(
      SETUP_IAM,
      [moto.url, metadata, server.url],
      cleanAwsEnv(home.home, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }),
    );
    assert.equal(setup.code, 0, setup.stderr);

    // What `aws sso login --profile fed` leaves behind: the profile, its sso-session, the token.
    const user = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    const { accessToken } = await issueBearerToken(server.deps.ctx, { userId: user.id });
    fs.writeFileSync(
      path.join(home.home, '.aws', 'config'),
      [
        '[profile fed]',
        'sso_session = idc',
        `sso_account_id = ${ACCOUNT}`,
        'sso_role_name = Admin',
        'region = us-east-1',
        '',
        '[sso-session idc]',
        `sso_start_url = ${server.url}/start`,
        'sso_region = us-east-1',
        'sso_registration_scopes = sso:account:access',
        '',
      ].join('\n'),
    );
    const cache = path.join(home.home, '.aws', 'sso', 'cache');
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(
      path.join(cache, `${createHash('sha1').update('idc').digest('hex')}.json`),
      JSON.stringify({
        startUrl: `${server.url}/start`,
        region: 'us-east-1',
        accessToken,
        expiresAt: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      }),
    );
    for (const k of ['HOME', 'AWS_ENDPOINT_URL_SSO', 'AWS_PROFILE', 'AWS_CONFIG_FILE'])
      saved[k] = process.env[k];
    process.env.HOME = home.home;
    process.env.AWS_ENDPOINT_URL_SSO = server.url;
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_CONFIG_FILE;
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server?.stop();
    await front?.stop();
    await moto?.stop();
    home?.cleanup();
  });

  /** fromSSO for the profile, then GetCallerIdentity at moto with what it got. */
  async function callerIdentity(): Promise<{ arn: string | undefined; expiration: Date | undefined }> {
    const provider = fromSSO({
      profile: 'fed',
      filepath: path.join(home.home, '.aws', 'credentials'),
      configFilepath: path.join(home.home, '.aws', 'config'),
    });
    const creds = await provider();
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: moto.url,
      maxAttempts: 1,
      credentials: creds,
    });
    try {
      const id = await sts.send(new GetCallerIdentityCommand({}));
      return { arn: id.Arn, expiration: creds.expiration };
    } finally {
      sts.destroy();
    }
  }

  it('through SAML: real credentials from STS, the assumed role and the user', async () => {
    const from = front.requests.length;
    const { arn, expiration } = await callerIdentity();
    assert.equal(arn, `arn:aws:sts::${ACCOUNT}:assumed-role/idcenter-Admin/alice`);
    assert.ok(expiration && Math.abs(expiration.getTime() - (Date.now() + 3600_000)) < 120_000);
    assert.equal(front.requests[from]?.params.get('Action'), 'AssumeRoleWithSAML');
  });

  it('through OIDC once the account is switched to federation: oidc, with the same profile', async () => {
    await applyText(server.deps.ctx, org('oidc'));
    const from = front.requests.length;
    const { arn } = await callerIdentity();
    assert.equal(arn, `arn:aws:sts::${ACCOUNT}:assumed-role/idcenter-Admin/alice`);
    assert.equal(front.requests[from]?.params.get('Action'), 'AssumeRoleWithWebIdentity');
  });
});
