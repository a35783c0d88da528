/**
 * The device authorization flow end to end, as `aws sso login --use-device-code` runs it:
 * botocore's sso-oidc client (python) and @aws-sdk/client-sso-oidc register, start and poll;
 * a person approves in chromium (Playwright); then the token is refreshed from a token cache file
 * by botocore's SSOTokenProvider and by the JS SDK's fromSso token provider.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import {
  AuthorizationPendingException,
  CreateTokenCommand,
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { fromSso } from '@aws-sdk/token-providers';
import { resolveAccessToken } from '../../src/app/auth/tokens.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { auditRows, DEVICE_GRANT, postJson, seedUser } from '../helpers/oidc.ts';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { approveDeviceInBrowser, ssoCacheDir } from './oidc-browser.ts';

const PERSON = { userName: 'alice', password: 'device-flow-password-1' };
const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');

/** The CLI's device flow with botocore: register, start, one attempt, print, poll, write the cache. */
const BOTOCORE_DEVICE_LOGIN = `
import datetime, hashlib, json, os, sys, time, botocore.session
endpoint, start_url, session_name = sys.argv[1], sys.argv[2], sys.argv[3]
c = botocore.session.Session().create_client('sso-oidc', region_name='us-east-1', endpoint_url=endpoint)
reg = c.register_client(clientName='botocore-client-' + session_name, clientType='public', scopes=['sso:account:access'])
auth = c.start_device_authorization(clientId=reg['clientId'], clientSecret=reg['clientSecret'], startUrl=start_url)
interval = auth.get('interval', 5)
def attempt():
    try:
        return c.create_token(grantType='urn:ietf:params:oauth:grant-type:device_code', clientId=reg['clientId'],
                              clientSecret=reg['clientSecret'], deviceCode=auth['deviceCode'])
    except c.exceptions.AuthorizationPendingException:
        return None
token = attempt()
print(json.dumps({'uri': auth['verificationUriComplete'], 'userCode': auth['userCode'], 'verificationUri': auth['verificationUri']}), flush=True)
polls = 0
while token is None:
    time.sleep(interval)
    polls += 1
    try:
        token = attempt()
    except c.exceptions.SlowDownException:
        interval += 5
now = datetime.datetime.now(datetime.timezone.utc)
fmt = lambda d: d.strftime('%Y-%m-%dT%H:%M:%SZ')
cache = {'startUrl': start_url, 'region': 'us-east-1', 'accessToken': token['accessToken'],
         'expiresAt': fmt(now + datetime.timedelta(seconds=token['expiresIn'])), 'clientId': reg['clientId'],
         'clientSecret': reg['clientSecret'],
         'registrationExpiresAt': fmt(datetime.datetime.fromtimestamp(reg['clientSecretExpiresAt'], datetime.timezone.utc)),
         'refreshToken': token['refreshToken']}
path = os.path.expanduser(os.path.join('~', '.aws', 'sso', 'cache', hashlib.sha1(session_name.encode()).hexdigest() + '.json'))
with open(path, 'w') as f:
    json.dump(cache, f)
print(json.dumps({'done': True, 'expiresIn': token['expiresIn'], 'tokenType': token['tokenType'], 'polls': polls}), flush=True)
`;

const BOTOCORE_REFRESH = `
import json, botocore.session
from botocore.tokens import SSOTokenProvider
s = botocore.session.Session(profile='dev')
t = SSOTokenProvider(s).load_token().get_frozen_token()
print(json.dumps({'token': t.token, 'expiration': t.expiration.isoformat()}))
`;

function writeConfig(home: string, startUrl: string, session: string): string {
  const file = path.join(home, '.aws', 'config');
  fs.writeFileSync(
    file,
    `[profile dev]\nsso_session = ${session}\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\nregion = us-east-1\n[sso-session ${session}]\nsso_start_url = ${startUrl}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n`,
  );
  return file;
}

/** Pretend the cached access token is about to expire, so the providers must refresh it. */
function ageCache(file: string, minutesLeft: number): Record<string, string> {
  const cache = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  cache.expiresAt = new Date(Date.now() + minutesLeft * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  fs.writeFileSync(file, JSON.stringify(cache));
  return cache;
}

function lines(child: ChildProcessWithoutNullStreams): AsyncIterator<string> {
  return createInterface({ input: child.stdout })[Symbol.asyncIterator]();
}

describe('device flow end to end', () => {
  let browser: TestBrowser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => browser?.close());

  describe('botocore + chromium + SSOTokenProvider (sqlite)', () => {
    let server: TestServer;
    const home = tempHome();
    before(async () => {
      server = await startTestServer({ seed: (deps) => seedUser(deps, PERSON).then(() => {}) });
    });
    after(async () => {
      await server?.stop();
      home.cleanup();
    });

    it('logs in with the device code and refreshes the cached token', async () => {
      ssoCacheDir(home.home);
      const env = cleanAwsEnv(home.home);
      const child = spawn(
        'python3',
        ['-c', BOTOCORE_DEVICE_LOGIN, server.url, server.config.startUrl, 'dev-session'],
        {
          env,
        },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
      const out = lines(child);
      try {
        const first = JSON.parse(String((await out.next()).value)) as Record<string, string>;
        assert.equal(first.verificationUri, `${server.url}/device`);
        const page = await approveDeviceInBrowser(browser.context, first.uri ?? '', PERSON, {
          clientName: 'botocore-client-dev-session',
          // The consent page names the application in words, not by its registered name.
          clientLabel: 'the AWS CLI or an AWS SDK (sso-session dev-session)',
          userCode: first.userCode ?? '',
        });
        assert.match(
          (await page.textContent('main')) ?? '',
          /Request approved[\s\S]*You can close this window/,
        );
        await page.close();
        const done = JSON.parse(String((await out.next()).value)) as Record<string, unknown>;
        assert.equal(done.tokenType, 'Bearer');
        assert.equal(done.expiresIn, 3600);
        assert.equal(await exited, 0, stderr);
      } finally {
        child.kill();
      }

      const cacheFile = path.join(home.home, '.aws', 'sso', 'cache', `${sha1('dev-session')}.json`);
      const before = ageCache(cacheFile, 5);
      writeConfig(home.home, server.config.startUrl, 'dev-session');
      const r = await python(BOTOCORE_REFRESH, [], { ...env, AWS_ENDPOINT_URL_SSO_OIDC: server.url });
      assert.equal(r.code, 0, r.stderr);
      const refreshed = JSON.parse(r.stdout) as { token: string };
      assert.notEqual(refreshed.token, before.accessToken, 'botocore refreshed the token');
      const after = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Record<string, string>;
      assert.equal(after.accessToken, refreshed.token);
      assert.ok(
        after.refreshToken && after.refreshToken !== before.refreshToken,
        'a rotated refresh token was cached',
      );
      assert.equal(after.clientId, before.clientId);
      const who = await resolveAccessToken(server.deps.ctx, refreshed.token);
      assert.equal(who?.userName, 'alice');
      const replay = await postJson(server.url, '/token', {
        clientId: before.clientId,
        clientSecret: before.clientSecret,
        grantType: 'refresh_token',
        refreshToken: before.refreshToken,
      });
      assert.equal(replay.headers.get('x-amzn-errortype'), 'InvalidGrantException');
      assert.equal((await auditRows(server.deps, 'device.approve')).length, 1);
      assert.equal((await auditRows(server.deps, 'token.refresh')).length, 1);
    });
  });

  describe('@aws-sdk/client-sso-oidc + chromium + fromSso (postgres)', () => {
    let server: TestServer;
    const home = tempHome();
    const saved = { ...process.env };
    before(async () => {
      server = await startTestServer({
        store: 'postgres',
        seed: (deps) => seedUser(deps, PERSON).then(() => {}),
      });
    });
    after(async () => {
      for (const k of ['HOME', 'AWS_CONFIG_FILE', 'AWS_ENDPOINT_URL_SSO_OIDC', 'AWS_PROFILE']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await server?.stop();
      home.cleanup();
    });

    it('logs in with the device code and refreshes through the token provider', async () => {
      const oidc = new SSOOIDCClient({ region: 'us-east-1', endpoint: server.url });
      try {
        const reg = await oidc.send(
          new RegisterClientCommand({
            clientName: 'botocore-client-js',
            clientType: 'public',
            scopes: ['sso:account:access'],
          }),
        );
        const auth = await oidc.send(
          new StartDeviceAuthorizationCommand({
            clientId: reg.clientId,
            clientSecret: reg.clientSecret,
            startUrl: server.config.startUrl,
          }),
        );
        const pollForToken = async () => {
          let interval = auth.interval ?? 5;
          for (;;) {
            try {
              return await oidc.send(
                new CreateTokenCommand({
                  clientId: reg.clientId,
                  clientSecret: reg.clientSecret,
                  grantType: DEVICE_GRANT,
                  deviceCode: auth.deviceCode,
                }),
              );
            } catch (err) {
              if (err instanceof SlowDownException) interval += 5;
              else if (!(err instanceof AuthorizationPendingException)) throw err;
            }
            await new Promise((r) => setTimeout(r, interval * 1000));
          }
        };
        const polling = pollForToken();
        const page = await approveDeviceInBrowser(
          browser.context,
          auth.verificationUriComplete ?? '',
          PERSON,
          {
            clientName: 'botocore-client-js',
            userCode: auth.userCode ?? '',
          },
        );
        await page.close();
        const token = await polling;
        assert.equal(token.expiresIn, 3600);
        assert.ok(token.refreshToken);

        const cacheDir = ssoCacheDir(home.home);
        const cacheFile = path.join(cacheDir, `${sha1('js-session')}.json`);
        fs.writeFileSync(
          cacheFile,
          JSON.stringify({
            startUrl: server.config.startUrl,
            region: 'us-east-1',
            accessToken: token.accessToken,
            expiresAt: new Date(Date.now() + 2 * 60_000).toISOString(),
            clientId: reg.clientId,
            clientSecret: reg.clientSecret,
            registrationExpiresAt: new Date((reg.clientSecretExpiresAt ?? 0) * 1000).toISOString(),
            refreshToken: token.refreshToken,
          }),
        );
        process.env.HOME = home.home;
        process.env.AWS_CONFIG_FILE = writeConfig(home.home, server.config.startUrl, 'js-session');
        process.env.AWS_ENDPOINT_URL_SSO_OIDC = server.url;
        const identity = await fromSso({ profile: 'dev' })();
        assert.notEqual(identity.token, token.accessToken, 'the JS SDK refreshed the token');
        const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Record<string, string>;
        assert.equal(cached.accessToken, identity.token);
        assert.ok(cached.refreshToken && cached.refreshToken !== token.refreshToken);
        const who = await resolveAccessToken(server.deps.ctx, identity.token);
        assert.equal(who?.userName, 'alice');
      } finally {
        oidc.destroy();
      }
    });
  });
});
