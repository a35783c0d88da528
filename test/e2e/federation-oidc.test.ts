/**
 * OIDC federation for an `aws` account with `federation: oidc`, end to end: idcenter behind a
 * public URL with a path prefix (`http://127.0.0.1:<port>/idc`, as a proxy forwarding `/idc/…`
 * presents it) publishes its issuer's discovery document and JWKS; moto's IAM gets the OIDC
 * provider for that issuer and the permission set's role trusting it; boto3's `sso` client asks
 * idcenter for credentials, idcenter calls STS `AssumeRoleWithWebIdentity`, and boto3 uses the
 * credentials against moto, whose caller identity is the assumed role and the user.
 *
 * moto checks no token, so every token STS received (recorded by `helpers/sts-front.ts`) is
 * verified by jose, an independent JOSE implementation, against the JWKS the discovery document
 * points at, with the issuer and audience IAM would require. Key rollover: a next key is
 * published beside the current one, then signs, while the old one stays published.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import type { AppContext } from '../../src/app/context.ts';
import { applyText } from '../helpers/apply.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import { issueBearerToken } from '../helpers/seed.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { tempStoreUrl } from '../helpers/stores.ts';
import { type StsFront, startStsFront } from '../helpers/sts-front.ts';

const ACCOUNT = '123456789012'; // moto's default account
const P = '/idc';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/idcenter/idcenter-Admin`;

const ORG = `
accounts:
  - { id: "${ACCOUNT}", name: Federated, email: fed@example.com, access: aws, federation: oidc }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, attributes: { department: Engineering } }
  - { userName: bob, displayName: Bob, givenName: Bob, familyName: Roe }
permissionSets:
  - { name: Admin, sessionDuration: PT2H }
  - { name: Tagged, sessionDuration: PT1H, sessionTags: { Department: department } }
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${ACCOUNT}"] }
  - { user: alice, permissionSet: Tagged, accounts: ["${ACCOUNT}"] }
  - { user: bob, permissionSet: Tagged, accounts: ["${ACCOUNT}"] }
`;

/** The IAM side for OIDC: the provider for the issuer, a role per permission set trusting it. */
const SETUP_IAM = `
import boto3, json, sys
url, issuer = sys.argv[1], sys.argv[2]
iam = boto3.client('iam', endpoint_url=url, region_name='us-east-1')
provider = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=['sts.amazonaws.com'],
  ThumbprintList=['0' * 40])['OpenIDConnectProviderArn']
host = issuer.split('://', 1)[1]
trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Federated': provider},
  'Action': ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
  'Condition': {'StringEquals': {host + ':aud': 'sts.amazonaws.com'}}}]}
roles = [iam.create_role(RoleName='idcenter-' + ps, Path='/idcenter/', MaxSessionDuration=7200,
  AssumeRolePolicyDocument=json.dumps(trust))['Role']['Arn'] for ps in ('Admin', 'Tagged')]
print(json.dumps({'provider': provider, 'roles': roles}))
`;

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
print(json.dumps(out))
`;

interface Answer {
  creds?: { accessKeyId: string; expiration: number };
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

/**
 * A GET as an outsider makes it. The tests restart a server on the same port, and a kept-alive
 * connection to the stopped one may still sit in fetch's pool: a request that finds it closed
 * before any answer is sent again once, as a client that retries idempotent requests would.
 */
async function get(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
    return await fetch(url);
  }
}

/** What an outsider learns from the issuer: its discovery document and the JWKS it names. */
async function published(
  issuer: string,
): Promise<{ discovery: Record<string, unknown>; jwks: { keys: JWK[] } }> {
  const d = await get(`${issuer}/.well-known/openid-configuration`);
  assert.equal(d.status, 200);
  assert.match(d.headers.get('content-type') ?? '', /^application\/json/);
  const discovery = (await d.json()) as Record<string, unknown>;
  const j = await get(String(discovery.jwks_uri));
  assert.equal(j.status, 200);
  return { discovery, jwks: (await j.json()) as { keys: JWK[] } };
}

/** jose's verdict on a token, against the JWKS as served, with IAM's issuer and audience. */
async function verifyToken(token: string, issuer: string) {
  const { jwks } = await published(issuer);
  return jwtVerify(token, createLocalJWKSet(jwks), {
    issuer,
    audience: 'sts.amazonaws.com',
    algorithms: ['RS256'],
    requiredClaims: ['sub', 'exp', 'iat'],
  });
}

function rsaKeyFile(dir: string, name: string, bits = 2048): string {
  const file = path.join(dir, name);
  execFileSync(
    'openssl',
    ['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', file],
    {
      stdio: 'ignore',
    },
  );
  return file;
}

describe('GetRoleCredentials for an aws account through OIDC federation (AssumeRoleWithWebIdentity)', () => {
  let moto: Moto;
  let front: StsFront;
  let server: TestServer;
  let home: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;
  let issuer: string;
  let token: string;

  const getRoleCredentials = async (role: string, whoami: string, bearer = token): Promise<Answer> => {
    const res = await python(GET_ROLE_CREDENTIALS, [server.url, bearer, ACCOUNT, role, whoami], env);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as Answer;
  };

  before(async () => {
    moto = await startMoto();
    front = await startStsFront({ kind: 'forward', to: moto.url });
    home = tempHome();
    env = cleanAwsEnv(home.home, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}${P}`;
    server = await startTestServer({
      settings: { port: String(port), publicUrl: issuer, awsStsEndpoint: front.url, awsStsTimeout: '5s' },
      seed: async (deps) => void (await applyText(deps.ctx, ORG)),
    });
    token = (await issueBearerToken(server.deps.ctx, { userId: await userId(server.deps.ctx, 'alice') }))
      .accessToken;
    const setup = await python(SETUP_IAM, [moto.url, issuer], env);
    assert.equal(setup.code, 0, setup.stderr);
    const iam = JSON.parse(setup.stdout) as { provider: string; roles: string[] };
    assert.equal(iam.provider, `arn:aws:iam::${ACCOUNT}:oidc-provider/127.0.0.1:${port}${P}`);
    assert.equal(iam.roles[0], ROLE_ARN);
  });
  after(async () => {
    await server?.stop();
    await front?.stop();
    await moto?.stop();
    home?.cleanup();
  });

  it('publishes the issuer under the path prefix: discovery names the issuer and a JWKS of RS256 keys', async () => {
    const { discovery, jwks } = await published(issuer);
    assert.equal(discovery.issuer, issuer);
    assert.equal(discovery.jwks_uri, `${issuer}/.well-known/jwks.json`);
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.equal(key!.kty, 'RSA');
    assert.equal(key!.alg, 'RS256');
    assert.equal(key!.use, 'sig');
    assert.equal(key!.kid, await calculateJwkThumbprint(key!), 'kid is the RFC 7638 thumbprint');
    assert.equal(key!.d, undefined, 'no private part');
    // The key was generated into the data directory, private.
    const file = path.join(server.deps.config.dataDir, 'oidc', 'signing-key.pem');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it('boto3 gets real credentials; moto knows them as the assumed role and the user', async () => {
    const before = Date.now();
    const out = await getRoleCredentials('Admin', moto.url);
    assert.equal(out.error, undefined, out.message);
    assert.equal(out.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/idcenter-Admin/alice`);
    const expiration = out.creds!.expiration;
    assert.ok(expiration > before + 7000_000 && expiration < Date.now() + 7300_000, String(expiration));
  });

  it('sends STS a token that jose verifies against the served JWKS, with what IAM checks', async () => {
    const from = front.requests.length;
    const out = await getRoleCredentials('Admin', '');
    assert.equal(out.error, undefined, out.message);
    const sent = front.requests.slice(from);
    assert.equal(sent.length, 1);
    const { params } = sent[0]!;
    assert.equal(params.get('Action'), 'AssumeRoleWithWebIdentity');
    assert.equal(params.get('RoleArn'), ROLE_ARN);
    assert.equal(params.get('RoleSessionName'), 'alice');
    assert.equal(params.get('DurationSeconds'), '7200');
    assert.equal(params.get('PrincipalArn'), null);
    const jwt = params.get('WebIdentityToken')!;
    const { payload, protectedHeader } = await verifyToken(jwt, issuer);
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.sub, await userId(server.deps.ctx, 'alice'));
    assert.equal(payload.aud, 'sts.amazonaws.com');
    assert.equal(payload.exp! - payload.iat!, 300);
    assert.ok(Math.abs(payload.iat! - Date.now() / 1000) < 60);
    assert.equal(payload['https://aws.amazon.com/source_identity'], 'alice');
    assert.equal(payload['https://aws.amazon.com/tags'], undefined, 'Admin asks for no session tags');
    // The audit row names the protocol and STS's request id.
    const row = await server.deps.ctx.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'credentials.issue')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const detail = JSON.parse(row.detail!) as Record<string, unknown>;
    assert.equal(detail.federation, 'oidc');
    assert.equal(detail.roleArn, ROLE_ARN);
    assert.equal(detail.stsRequestId, sent[0]!.answeredRequestId);
  });

  it('carries the permission set’s session tags in the token; a user without the attribute is told which', async () => {
    const from = front.requests.length;
    const out = await getRoleCredentials('Tagged', moto.url);
    assert.equal(out.error, undefined, out.message);
    assert.equal(out.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/idcenter-Tagged/alice`);
    const { payload } = await verifyToken(front.requests[from]!.params.get('WebIdentityToken')!, issuer);
    assert.deepEqual(payload['https://aws.amazon.com/tags'], {
      principal_tags: { Department: ['Engineering'] },
    });

    const bob = await issueBearerToken(server.deps.ctx, { userId: await userId(server.deps.ctx, 'bob') });
    const refused = await getRoleCredentials('Tagged', '', bob.accessToken);
    assert.equal(refused.status, 400);
    assert.equal(refused.error, 'InvalidRequestException');
    assert.match(refused.message!, /Permission set Tagged tags its sessions with your attribute department/);
    assert.match(refused.message!, /user bob does not have/);
    assert.equal(front.requests.length, from + 1, 'no STS call for bob');
  });

  it('a role that does not trust the OIDC provider: 403 naming the role, the provider and the audience', async () => {
    front.mode = {
      kind: 'error',
      status: 403,
      code: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    };
    try {
      const out = await getRoleCredentials('Admin', '');
      assert.equal(out.status, 403);
      assert.equal(out.error, 'ForbiddenException');
      assert.ok(out.message!.includes(ROLE_ARN), out.message);
      assert.ok(out.message!.includes(`oidc-provider/${issuer.slice('http://'.length)}`), out.message);
      assert.match(out.message!, /sts:AssumeRoleWithWebIdentity/);
      assert.match(out.message!, /:aud sts\.amazonaws\.com/);
    } finally {
      front.mode = { kind: 'forward', to: moto.url };
    }
  });
});

describe('web identity keys: rollover, files, and an issuer AWS cannot read', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-oidc-keys-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('publishes the next key beside the current one, then signs with it while the old one stays published', async () => {
    const k1 = rsaKeyFile(dir, 'k1.pem');
    const k2 = rsaKeyFile(dir, 'k2.pem');
    const temp = await tempStoreUrl('sqlite');
    const moto = await startMoto();
    const front = await startStsFront({ kind: 'forward', to: moto.url });
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const home = tempHome();
    const env = cleanAwsEnv(home.home, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    const tokenOf = async (server: TestServer) => {
      const bearer = await issueBearerToken(server.deps.ctx, {
        userId: await userId(server.deps.ctx, 'alice'),
      });
      const from = front.requests.length;
      const res = await python(
        GET_ROLE_CREDENTIALS,
        [server.url, bearer.accessToken, ACCOUNT, 'Admin', ''],
        env,
      );
      assert.equal(res.code, 0, res.stderr);
      assert.equal((JSON.parse(res.stdout) as Answer).error, undefined, res.stdout);
      return front.requests[from]!.params.get('WebIdentityToken')!;
    };
    const start = (key: string, next: string) =>
      startTestServer({
        reuse: temp,
        settings: {
          port: String(port),
          publicUrl: issuer,
          awsStsEndpoint: front.url,
          webIdentityKeyFile: key,
          webIdentityNextKeyFile: next,
        },
      });
    try {
      let server = await start(k1, k2);
      await applyText(server.deps.ctx, ORG);
      const { jwks: before } = await published(issuer);
      assert.equal(before.keys.length, 2);
      const [current, next] = before.keys;
      const old = await tokenOf(server);
      assert.equal(decodeProtectedHeader(old).kid, current!.kid, 'signed with the current key');
      await verifyToken(old, issuer);
      await server.stop();

      // The rollover: the next key signs, the old one is still published as the next.
      server = await start(k2, k1);
      try {
        const { jwks: after } = await published(issuer);
        assert.deepEqual(
          after.keys.map((k) => k.kid),
          [next!.kid, current!.kid],
        );
        const fresh = await tokenOf(server);
        assert.equal(decodeProtectedHeader(fresh).kid, next!.kid);
        await verifyToken(fresh, issuer);
        // A token signed before the rollover still verifies until it expires.
        await verifyToken(old, issuer);
      } finally {
        await server.stop();
      }
    } finally {
      await front.stop();
      await moto.stop();
      home.cleanup();
      await temp.cleanup();
    }
  });

  it('refuses to start with a key file that is missing, or too short, naming the file', async () => {
    const missing = path.join(dir, 'nope.pem');
    await assert.rejects(startTestServer({ settings: { webIdentityKeyFile: missing } }), (err: Error) => {
      assert.equal(err.name, 'WebIdentityKeyError');
      assert.match(
        err.message,
        new RegExp(`the web identity signing key ${missing} cannot be used: it does not exist`),
      );
      return true;
    });
    const short = rsaKeyFile(dir, 'short.pem', 1024);
    await assert.rejects(startTestServer({ settings: { webIdentityKeyFile: short } }), (err: Error) => {
      assert.match(
        err.message,
        new RegExp(`the web identity key ${short} has 1024 bits; AWS needs RSA keys of at least 2048`),
      );
      return true;
    });
  });

  it('a public URL on plain http that is not loopback: 503 that says AWS needs https, before any STS call', async () => {
    const front = await startStsFront({ kind: 'canned' });
    const port = await freePort();
    const server = await startTestServer({
      settings: {
        port: String(port),
        publicUrl: `http://idc.example.test:${port}`,
        awsStsEndpoint: front.url,
      },
      seed: async (deps) => void (await applyText(deps.ctx, ORG)),
    });
    const home = tempHome();
    try {
      const bearer = await issueBearerToken(server.deps.ctx, {
        userId: await userId(server.deps.ctx, 'alice'),
      });
      const res = await python(
        GET_ROLE_CREDENTIALS,
        [`http://127.0.0.1:${port}`, bearer.accessToken, ACCOUNT, 'Admin', ''],
        cleanAwsEnv(home.home),
      );
      const out = JSON.parse(res.stdout) as Answer;
      assert.equal(out.status, 503);
      assert.match(
        out.message!,
        /http:\/\/idc\.example\.test:\d+ is not https, and AWS reads an OIDC issuer's keys over https only/,
      );
      assert.equal(front.requests.length, 0);
    } finally {
      await server.stop();
      await front.stop();
      home.cleanup();
    }
  });
});
