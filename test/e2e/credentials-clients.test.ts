/**
 * The stock clients end to end. botocore drives the device flow against the server
 * (RegisterClient, StartDeviceAuthorization, polling CreateToken) while the test approves the
 * code through the sign-in and consent pages; botocore's own SSOTokenLoader writes the token
 * cache of an sso-session profile. Then the installed AWS CLI v1, boto3 and
 * @aws-sdk/credential-providers `fromSSO` each run GetCallerIdentity with endpoint overrides,
 * and the credentials stop working after `idcenter sessions revoke` and after their expiry
 * (an injected clock that follows the wall clock plus an offset the test moves forward).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetCallerIdentityCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { fromSSO } from '@aws-sdk/credential-providers';
import { hash } from '@node-rs/argon2';
import type { Clock } from '../../src/domain/runtime.ts';
import { decideDevice, signedIn } from '../helpers/oidc.ts';
import { cleanAwsEnv, python, run, start, tempHome } from '../helpers/python.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const BIN = path.resolve('bin/idcenter.js');
const PASSWORD = 'correct horse battery staple';
const ACCOUNT = '111111111111';

/** Wall clock plus an offset that only grows: device-flow polling works, expiry is reachable. */
class OffsetClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

const DEVICE_FLOW = `
import json, sys, time, datetime, os
import botocore.session
from botocore.utils import JSONFileCache, SSOTokenLoader
from botocore.tokens import _sso_json_dumps
url, start_url, region, session_name = sys.argv[1:5]
s = botocore.session.Session()
oidc = s.create_client('sso-oidc', region_name=region, endpoint_url=url)
reg = oidc.register_client(clientName='botocore-client-' + session_name, clientType='public',
                           scopes=['sso:account:access'])
auth = oidc.start_device_authorization(clientId=reg['clientId'], clientSecret=reg['clientSecret'], startUrl=start_url)
print(json.dumps({'userCode': auth['userCode'], 'uri': auth['verificationUriComplete']}), flush=True)
interval = auth.get('interval', 5)
deadline = time.time() + auth['expiresIn']
while True:
    try:
        token = oidc.create_token(grantType='urn:ietf:params:oauth:grant-type:device_code',
                                  clientId=reg['clientId'], clientSecret=reg['clientSecret'],
                                  deviceCode=auth['deviceCode'])
        break
    except oidc.exceptions.AuthorizationPendingException:
        pass
    except oidc.exceptions.SlowDownException:
        interval += 5
    if time.time() > deadline:
        sys.exit('device code expired')
    time.sleep(interval)
now = datetime.datetime.now(datetime.timezone.utc)
cache = JSONFileCache(os.path.expanduser(os.path.join('~', '.aws', 'sso', 'cache')), dumps_func=_sso_json_dumps)
SSOTokenLoader(cache=cache).save_token(start_url, {
    'startUrl': start_url,
    'region': region,
    'accessToken': token['accessToken'],
    'expiresAt': now + datetime.timedelta(seconds=token['expiresIn']),
    'clientId': reg['clientId'],
    'clientSecret': reg['clientSecret'],
    'registrationExpiresAt': datetime.datetime.fromtimestamp(reg['clientSecretExpiresAt'], datetime.timezone.utc),
    'refreshToken': token['refreshToken'],
}, session_name=session_name)
print(json.dumps({'cached': True, 'expiresIn': token['expiresIn']}), flush=True)
`;

const BOTO3_WHOAMI = `
import json, sys, boto3
session = boto3.Session(profile_name=sys.argv[1])
creds = session.get_credentials().get_frozen_credentials()
ident = session.client('sts').get_caller_identity()
print(json.dumps({'Account': ident['Account'], 'Arn': ident['Arn'], 'UserId': ident['UserId'],
                  'creds': {'akid': creds.access_key, 'secret': creds.secret_key, 'token': creds.token}}))
`;

const BOTO3_STATIC = `
import json, sys, boto3
c = json.loads(sys.argv[1])
sts = boto3.client('sts', region_name='eu-west-1', aws_access_key_id=c['akid'],
                   aws_secret_access_key=c['secret'], aws_session_token=c['token'])
try:
    print(json.dumps({'Account': sts.get_caller_identity()['Account']}))
except sts.exceptions.ClientError as e:
    print(json.dumps({'error': e.response['Error']['Code']}))
`;

describe('stock AWS clients with an sso-session profile from the botocore device flow', () => {
  let server: TestServer;
  let org: SeededOrg;
  let home: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;
  const clock = new OffsetClock();
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    const passwordHash = await hash(PASSWORD);
    server = await startTestServer({
      clock,
      seed: async (deps) => {
        org = await seedOrg(deps.ctx, {
          groups: [{ name: 'Developers' }],
          users: [{ userName: 'alice@example.com', groups: ['Developers'], passwordHash }],
          accounts: [{ id: ACCOUNT, name: 'Production' }],
          permissionSets: [{ name: 'ReadOnly', sessionHours: 1 }],
          assignments: [{ group: 'Developers', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
        });
      },
    });
    home = tempHome();
    fs.writeFileSync(
      path.join(home.home, '.aws', 'config'),
      `[profile idc]
sso_session = idc
sso_account_id = ${ACCOUNT}
sso_role_name = ReadOnly
region = eu-west-1
output = json

[sso-session idc]
sso_start_url = ${server.config.startUrl}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
`,
    );
    env = cleanAwsEnv(home.home, {
      AWS_ENDPOINT_URL_SSO: server.url,
      AWS_ENDPOINT_URL_SSO_OIDC: server.url,
      AWS_ENDPOINT_URL_STS: server.url,
    });

    // botocore's device flow, approved through the pages while it polls.
    const flow = start(
      'python3',
      ['-c', DEVICE_FLOW, server.url, server.config.startUrl, 'us-east-1', 'idc'],
      env,
    );
    const started = JSON.parse((await flow.waitFor(/^(.*)\n/))[1] ?? '') as { userCode: string; uri: string };
    assert.equal(started.uri, `${server.url}/device?user_code=${started.userCode}`);
    const web = await signedIn(server.url, 'alice@example.com', PASSWORD);
    const approved = await decideDevice(web, started.userCode);
    assert.match(approved.text, /Request approved/);
    assert.equal(await flow.exited, 0, flow.stderr);
    assert.match(flow.stdout, /"cached": true/);
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    home?.cleanup();
    await server?.stop();
  });

  async function expectedIdentity() {
    const role = await server.deps.ctx.store.db
      .selectFrom('provisioned_roles')
      .selectAll()
      .where('account_id', '=', ACCOUNT)
      .where('permission_set_id', '=', org.permissionSets.ReadOnly!)
      .executeTakeFirstOrThrow();
    return {
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_${role.role_hash}/alice@example.com`,
      UserId: `${role.role_id}:alice@example.com`,
    };
  }

  const awsCli = (args: string[]) => run('aws', args, { env, timeoutMs: 60_000 });

  it('AWS CLI v1: aws sts get-caller-identity --profile idc', async () => {
    const r = await awsCli(['sts', 'get-caller-identity', '--profile', 'idc']);
    assert.equal(r.code, 0, r.stderr);
    const id = JSON.parse(r.stdout);
    assert.deepEqual(id, await expectedIdentity());
  });

  it('boto3: Session(profile_name="idc").client("sts").get_caller_identity()', async () => {
    const r = await python(BOTO3_WHOAMI, ['idc'], env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const expected = await expectedIdentity();
    assert.deepEqual({ Account: out.Account, Arn: out.Arn, UserId: out.UserId }, expected);
    assert.match(out.creds.akid, /^ASIA[A-Z0-9]{16}$/);
  });

  /** fromSSO in this process, with the temp HOME and endpoint overrides in its environment. */
  function useClientEnv(): void {
    for (const k of [
      'HOME',
      'AWS_ENDPOINT_URL_SSO',
      'AWS_ENDPOINT_URL_SSO_OIDC',
      'AWS_ENDPOINT_URL_STS',
      'AWS_PROFILE',
    ]) {
      if (!(k in saved)) saved[k] = process.env[k];
    }
    process.env.HOME = home.home;
    process.env.AWS_ENDPOINT_URL_SSO = server.url;
    process.env.AWS_ENDPOINT_URL_SSO_OIDC = server.url;
    process.env.AWS_ENDPOINT_URL_STS = server.url;
    delete process.env.AWS_PROFILE;
  }

  const jsSts = (credentials: NonNullable<STSClientConfig['credentials']>) =>
    new STSClient({ region: 'eu-west-1', maxAttempts: 1, systemClockOffset: clock.offset, credentials });

  it('@aws-sdk/credential-providers fromSSO: GetCallerIdentity', async () => {
    useClientEnv();
    const provider = fromSSO({
      profile: 'idc',
      filepath: path.join(home.home, '.aws', 'credentials'),
      configFilepath: path.join(home.home, '.aws', 'config'),
    });
    const sts = jsSts(provider);
    const id = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    assert.deepEqual({ Account: id.Account, Arn: id.Arn, UserId: id.UserId }, await expectedIdentity());
    const creds = await provider();
    assert.ok(creds.expiration instanceof Date);
    assert.ok(Math.abs(creds.expiration.getTime() - (clock.now() + 3600_000)) < 60_000);
  });

  it('credentials stop working after idcenter sessions revoke; the CLI then reports the SSO session expired', async () => {
    useClientEnv();
    const before = await python(BOTO3_WHOAMI, ['idc'], env);
    assert.equal(before.code, 0, before.stderr);
    const botoCreds = JSON.parse(before.stdout).creds;
    const jsCreds = await fromSSO({
      profile: 'idc',
      filepath: path.join(home.home, '.aws', 'credentials'),
      configFilepath: path.join(home.home, '.aws', 'config'),
    })();

    const revoked = await run(
      process.execPath,
      [BIN, 'sessions', 'revoke', '--user', 'alice@example.com', '--database-url', server.config.databaseUrl],
      { env: { ...process.env, IDCENTER_LOG_LEVEL: 'silent' }, timeoutMs: 30_000 },
    );
    assert.equal(revoked.code, 0, revoked.stderr);
    clock.advance(31_000); // past the revocation view's staleness bound

    const boto = JSON.parse((await python(BOTO3_STATIC, [JSON.stringify(botoCreds)], env)).stdout);
    assert.deepEqual(boto, { error: 'InvalidClientTokenId' });
    const sts = jsSts(jsCreds);
    await assert.rejects(sts.send(new GetCallerIdentityCommand({})), { name: 'InvalidClientTokenId' });
    sts.destroy();
    const cli = await awsCli(['sts', 'get-caller-identity', '--profile', 'idc']);
    assert.notEqual(cli.code, 0);
    assert.match(
      cli.stderr,
      /The SSO session associated with this profile has expired or is otherwise invalid/,
    );
  });

  it('credentials stop working after their expiration', async () => {
    useClientEnv();
    // A fresh sign-in: credentials for one hour.
    const user = org.users['alice@example.com']!;
    const t = await issueBearerToken(server.deps.ctx, { userId: user });
    const res = await fetch(`${server.url}/federation/credentials?account_id=${ACCOUNT}&role_name=ReadOnly`, {
      headers: { 'x-amz-sso_bearer_token': t.accessToken },
    });
    assert.equal(res.status, 200);
    const { roleCredentials: c } = (await res.json()) as {
      roleCredentials: {
        accessKeyId: string;
        secretAccessKey: string;
        sessionToken: string;
        expiration: number;
      };
    };
    const static_ = {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
    };
    const ok = jsSts(static_);
    assert.equal((await ok.send(new GetCallerIdentityCommand({}))).Account, ACCOUNT);
    ok.destroy();
    clock.advance(c.expiration - clock.now() + 1000);
    const late = jsSts(static_);
    await assert.rejects(late.send(new GetCallerIdentityCommand({})), { name: 'ExpiredToken' });
    late.destroy();
  });
});
