/**
 * `idcenter configure sso` and `idcenter sso login` driven in a pseudo-terminal, with Debian's
 * chromium clicking Allow: both sign-in flows (device code; authorization code with PKCE through
 * the browser the CLI opens), the menus, then the stock AWS CLI, boto3 and the JS SDK's fromSSO
 * using only the files the CLI wrote (no endpoint environment variables). Also Ctrl-C at a
 * prompt and a start URL that is not a URL.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { run } from '../helpers/python.ts';
import type { SeededOrg } from '../helpers/seed.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  approveInBrowser,
  cliEnv,
  DEV,
  fakeBrowser,
  PROD,
  runCli,
  sessionConfig,
  sha1,
  signInWithoutBrowser,
  startPty,
  startSeededServer,
  tempHome,
  waitFor,
  writeConfig,
} from './cli-harness.ts';

/** What the stock tools see with nothing but HOME: no AWS_ENDPOINT_URL*, no AWS_PROFILE. */
async function awsCliIdentity(home: string, profile?: string): Promise<Record<string, string>> {
  const r = await run('aws', ['sts', 'get-caller-identity', ...(profile ? ['--profile', profile] : [])], {
    env: cliEnv(home),
  });
  assert.equal(r.code, 0, `aws: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function boto3Identity(home: string, profile?: string): Promise<Record<string, string>> {
  const r = await run(
    'python3',
    [
      '-c',
      'import boto3, json, sys; s = boto3.Session(profile_name=sys.argv[1] or None); print(json.dumps(s.client("sts").get_caller_identity()))',
      profile ?? '',
    ],
    { env: cliEnv(home) },
  );
  assert.equal(r.code, 0, `boto3: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** @aws-sdk/credential-providers fromSSO with AWS_PROFILE, then STS through the profile's endpoint. */
async function jsSdkIdentity(home: string, profile: string): Promise<Record<string, string>> {
  const script = `
    const { fromSSO } = await import('@aws-sdk/credential-providers');
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const credentials = fromSSO();
    const c = await credentials();
    const sts = new STSClient({ credentials });
    const id = await sts.send(new GetCallerIdentityCommand({}));
    console.log(JSON.stringify({ Account: id.Account, Arn: id.Arn, keyPrefix: c.accessKeyId.slice(0, 4) }));
  `;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: cliEnv(home, { AWS_PROFILE: profile }),
    cwd: process.cwd(),
  });
  assert.equal(r.code, 0, `js sdk: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

for (const kind of STORE_KINDS) {
  describe(`idcenter configure sso in a terminal (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let browser: TestBrowser;
    const homes: (() => void)[] = [];

    before(async () => {
      ({ server, org } = await startSeededServer(kind));
      browser = await launchBrowser();
    });
    after(async () => {
      for (const c of homes) c();
      await browser?.close();
      await server?.stop();
    });

    function home(): string {
      const h = tempHome();
      homes.push(h.cleanup);
      return h.home;
    }

    it('device code flow: prompts, validation, menus; the AWS CLI, boto3 and fromSSO use the result', async () => {
      const h = home();
      const pty = startPty(
        ['configure', 'sso', '--use-device-code', '--no-browser', '--endpoint-url', server.url],
        cliEnv(h),
      );
      await pty.answer('SSO session name (Recommended): ', 'my-sso');
      await pty.answer('SSO start URL [None]: ', 'not a url');
      // The refused answer is cleared and the same prompt waits for another.
      await pty.expect('Not a valid Start URL');
      pty.send(`${server.url}/start\r`);
      await pty.answer('SSO region [us-east-1]: ', 'us-east-1');
      await pty.answer('SSO registration scopes [sso:account:access]: ', '');
      await pty.expect(
        /Browser will not be automatically opened\.\nPlease visit the following URL:\n\n(\S+)\n\nThen enter the code:\n\n([A-Z]{4}-[A-Z]{4})\n/,
      );
      const m = await pty.expect(/autofill the code upon loading:\n(\S+user_code=[A-Z-]+)/);
      const approved = await approveInBrowser(browser, m[1] as string, 'alice');
      assert.match(approved, /approved/i);
      await pty.expect('There are 2 AWS accounts available to you.');
      await pty.expect('> Dev, dev@example.com (111111111111)');
      pty.send('\u001b[B'); // ↓ to prod
      pty.send('\r');
      await pty.expect(`Using the account ID ${PROD}`);
      await pty.expect('The only role available to you is: Admin');
      await pty.expect('Using the role name "Admin"');
      await pty.answer('Default client Region [us-east-1]: ', 'eu-central-1');
      await pty.answer('CLI default output format (json if not specified) [json]: ', '');
      await pty.answer(`Profile name [Admin-${PROD}]: `, '');
      await pty.expect(
        `To use this profile, specify the profile name using --profile, as shown:\n\naws sts get-caller-identity --profile Admin-${PROD}\n`,
      );
      assert.equal(await pty.exited, 0, pty.text);

      const configPath = path.join(h, '.aws', 'config');
      assert.equal(
        fs.readFileSync(configPath, 'utf8'),
        [
          `[profile Admin-${PROD}]`,
          'sso_session = my-sso',
          `sso_account_id = ${PROD}`,
          'sso_role_name = Admin',
          'region = eu-central-1',
          'output = json',
          'services = my-sso',
          '[sso-session my-sso]',
          `sso_start_url = ${server.url}/start`,
          'sso_region = us-east-1',
          'sso_registration_scopes = sso:account:access',
          '[services my-sso]',
          'sso =',
          `    endpoint_url = ${server.url}`,
          'sso_oidc =',
          `    endpoint_url = ${server.url}`,
          'sts =',
          `    endpoint_url = ${server.url}`,
          // Commands without a profile (aws sso logout) reach the server too.
          '[default]',
          'services = my-sso',
          '',
        ].join('\n'),
      );
      assert.equal(fs.statSync(configPath).mode & 0o777, 0o600);
      const tokenFile = path.join(h, '.aws', 'sso', 'cache', `${sha1('my-sso')}.json`);
      const token = JSON.parse(fs.readFileSync(tokenFile, 'utf8'));
      assert.deepEqual(Object.keys(token), [
        'startUrl',
        'region',
        'accessToken',
        'expiresAt',
        'clientId',
        'clientSecret',
        'registrationExpiresAt',
        'refreshToken',
      ]);
      assert.match(token.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);

      const viaCli = await awsCliIdentity(h, `Admin-${PROD}`);
      assert.equal(viaCli.Account, PROD);
      assert.match(viaCli.Arn as string, /:assumed-role\/AWSReservedSSO_Admin_[0-9a-f]{16}\/alice$/);
      assert.equal((await boto3Identity(h, `Admin-${PROD}`)).Account, PROD);
      const js = await jsSdkIdentity(h, `Admin-${PROD}`);
      assert.equal(js.Account, PROD);
      assert.equal(js.keyPrefix, 'ASIA');
    });

    it('PKCE flow through the browser the CLI opens, endpoint from the environment, profile default', async () => {
      const h = home();
      const opener = fakeBrowser(h);
      const pty = startPty(
        ['configure', 'sso', '--profile', 'default'],
        cliEnv(h, { BROWSER: opener.command, AWS_ENDPOINT_URL: server.url }),
      );
      await pty.answer('SSO session name (Recommended): ', 'corp');
      await pty.answer('SSO start URL [None]: ', `${server.url}/start`);
      await pty.answer('SSO region [us-east-1]: ', 'eu-west-1');
      await pty.answer('SSO registration scopes [sso:account:access]: ', 'sso:account:access');
      await pty.expect(
        "Attempting to open your default browser. If the browser does not open, open the following URL.\nIf you are unable to open the URL on this device, run this command again with the '--use-device-code' option.\n",
      );
      const printed = await pty.expect(/\n(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)\n/);
      const opened = await waitFor(() => opener.urls()[0]);
      assert.equal(opened, printed[1]);
      const u = new URL(opened);
      assert.equal(u.searchParams.get('response_type'), 'code');
      assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
      assert.match(
        u.searchParams.get('redirect_uri') as string,
        /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/,
      );
      assert.equal(u.searchParams.get('scopes'), 'sso:account:access');
      assert.match(u.searchParams.get('code_challenge') as string, /^[A-Za-z0-9_-]{43}$/);
      const page = await approveInBrowser(browser, opened, 'alice');
      assert.match(page, /shared with the idcenter CLI/);
      await pty.expect('There are 2 AWS accounts available to you.');
      pty.send('pro'); // type to search
      await pty.expect('search: pro');
      pty.send('\r');
      await pty.expect(`Using the account ID ${PROD}`);
      await pty.answer('Default client Region [us-east-1]: ', '');
      await pty.answer('CLI default output format (json if not specified) [json]: ', 'text');
      await pty.expect(
        'The AWS CLI is now configured to use the default profile.\nRun the following command to verify your configuration:\n\naws sts get-caller-identity\n',
      );
      assert.equal(await pty.exited, 0, pty.text);
      const config = fs.readFileSync(path.join(h, '.aws', 'config'), 'utf8');
      assert.match(
        config,
        /^\[default\]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = Admin\nregion = us-east-1\noutput = text\nservices = corp\n/,
      );
      const reg = fs
        .readdirSync(path.join(h, '.aws', 'sso', 'cache'))
        .map((f) => JSON.parse(fs.readFileSync(path.join(h, '.aws', 'sso', 'cache', f), 'utf8')))
        .find((x) => x.grantTypes);
      assert.deepEqual(reg.grantTypes, ['authorization_code', 'refresh_token'], 'PKCE registration cached');

      // The default profile: no --profile at all.
      const id = await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env: cliEnv(h) });
      assert.equal(id.code, 0, id.stderr);
      assert.equal(JSON.parse(id.stdout).Account, PROD);
      assert.equal((await boto3Identity(h)).Account, PROD);
      assert.equal((await jsSdkIdentity(h, 'default')).Account, PROD);

      // sso login reuses the valid token; --force signs in again (PKCE, browser opened again).
      const again = await runCli(['sso', 'login'], cliEnv(h, { BROWSER: opener.command }));
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Already signed in to .* \(corp\); the token is valid for another/);
      const forced = startPty(['sso', 'login', '--force'], cliEnv(h, { BROWSER: opener.command }));
      await forced.expect(/\/authorize\?/);
      const second = await waitFor(() => opener.urls()[1]);
      await approveInBrowser(browser, second, 'alice');
      await forced.expect(`Successfully logged into Start URL: ${server.url}/start`);
      assert.equal(await forced.exited, 0, forced.text);
    });

    it('legacy profile (no session name): device code, two accounts, two roles', async () => {
      const h = home();
      const pty = startPty(['configure', 'sso', '--no-browser', '--endpoint-url', server.url], cliEnv(h));
      await pty.answer('SSO session name (Recommended): ', '');
      await pty.expect(
        'WARNING: Configuring using legacy format (e.g. without an SSO session).\nConsider re-running "configure sso" command and providing a session name.',
      );
      await pty.answer('SSO start URL [None]: ', `${server.url}/start`);
      await pty.answer('SSO region [us-east-1]: ', 'us-east-1');
      const m = await pty.expect(/autofill the code upon loading:\n(\S+)/);
      await approveInBrowser(browser, m[1] as string, 'alice');
      await pty.expect('There are 2 AWS accounts available to you.');
      pty.send('\r');
      await pty.expect(`Using the account ID ${DEV}`);
      await pty.expect('There are 2 roles available to you.');
      await pty.expect('> Admin');
      pty.send('\u001b[B\r');
      await pty.expect('Using the role name "ReadOnly"');
      await pty.answer('Default client Region [us-east-1]: ', '');
      await pty.answer('CLI default output format (json if not specified) [json]: ', '');
      await pty.answer(`Profile name [ReadOnly-${DEV}]: `, 'legacy-ro');
      assert.equal(await pty.exited, 0, pty.text);
      const config = fs.readFileSync(path.join(h, '.aws', 'config'), 'utf8');
      assert.match(
        config,
        new RegExp(
          `^\\[profile legacy-ro\\]\\nsso_start_url = ${server.url}/start\\nsso_region = us-east-1\\nsso_account_id = ${DEV}\\nsso_role_name = ReadOnly\\n`,
        ),
      );
      assert.ok(fs.existsSync(path.join(h, '.aws', 'sso', 'cache', `${sha1(`${server.url}/start`)}.json`)));
      assert.match((await awsCliIdentity(h, 'legacy-ro')).Arn as string, /AWSReservedSSO_ReadOnly_/);
    });

    it('sso login with no browser on this machine uses the device code, for another device', async () => {
      const h = home();
      writeConfig(
        h,
        sessionConfig(server, {
          dev: {
            sso_session: 'corp',
            sso_account_id: DEV,
            sso_role_name: 'Admin',
            region: 'us-east-1',
            services: 'local',
          },
        }),
      );
      // cliEnv has no BROWSER, DISPLAY or WAYLAND_DISPLAY: nothing can be opened here.
      const pty = startPty(['sso', 'login', '--profile', 'dev'], cliEnv(h));
      await pty.expect(
        'No browser can be opened on this machine; using the device code flow so you can sign in from another device.',
      );
      const m = await pty.expect(
        /Then enter the code:\n\n[A-Z]{4}-[A-Z]{4}\n\nAlternatively, you may visit the following URL which will autofill the code upon loading:\n(\S+)/,
      );
      await approveInBrowser(browser, m[1] as string, 'alice');
      await pty.expect(`Successfully logged into Start URL: ${server.url}/start`);
      assert.equal(await pty.exited, 0, pty.text);
      const token = JSON.parse(
        fs.readFileSync(path.join(h, '.aws', 'sso', 'cache', `${sha1('corp')}.json`), 'utf8'),
      );
      assert.ok(token.refreshToken, 'sso-session scopes give a refresh token');
      assert.equal((await awsCliIdentity(h, 'dev')).Account, DEV);
    });

    it('Ctrl-C at the first prompt: exit 130, nothing written', async () => {
      const h = home();
      const pty = startPty(['configure', 'sso', '--endpoint-url', server.url], cliEnv(h));
      await pty.expect('SSO session name (Recommended): ');
      pty.send('half-typed');
      pty.send('\u0003');
      assert.equal(await pty.exited, 130);
      assert.match(pty.text, /cancelled; the config file was not changed/);
      assert.equal(fs.existsSync(path.join(h, '.aws')), false, 'no ~/.aws at all');
    });

    it('Ctrl-C at the account menu and at the profile name leaves the file untouched; a re-run updates in place', async () => {
      const h = home();
      const original = `# my settings\n${sessionConfig(server, {
        keep: { sso_session: 'corp', sso_account_id: DEV, sso_role_name: 'Admin', services: 'local' },
      })}`;
      const file = writeConfig(h, original);
      await signInWithoutBrowser(server, org.users.alice as string, h);
      const mtime = fs.statSync(file).mtimeMs;
      for (const stopAt of ['menu', 'profile'] as const) {
        const pty = startPty(['configure', 'sso'], cliEnv(h));
        await pty.answer('SSO session name (Recommended): ', 'corp');
        await pty.expect('There are 2 AWS accounts available to you.');
        if (stopAt === 'profile') {
          pty.send('\r');
          await pty.expect('There are 2 roles available to you.');
          pty.send('\r');
          await pty.answer('Default client Region [us-east-1]: ', '');
          await pty.answer('CLI default output format (json if not specified) [json]: ', '');
          await pty.expect(`Profile name [Admin-${DEV}]: `);
        }
        pty.send('\u0003');
        assert.equal(await pty.exited, 130, pty.text);
        assert.equal(fs.readFileSync(file, 'utf8'), original);
        assert.equal(fs.statSync(file).mtimeMs, mtime);
      }

      // Re-running for an existing profile: its session is the default, a valid token is reused
      // (no browser), and the profile is updated in place with every other line kept.
      const pty = startPty(['configure', 'sso', '--profile', 'keep'], cliEnv(h));
      await pty.answer('SSO session name [corp]: ', '');
      await pty.expect('There are 2 AWS accounts available to you.');
      pty.send('\u001b[B\r');
      await pty.expect(`Using the account ID ${PROD}`);
      await pty.answer('Default client Region [us-east-1]: ', 'ap-southeast-2');
      await pty.answer('CLI default output format (json if not specified) [json]: ', '');
      await pty.expect(`aws sts get-caller-identity --profile keep`);
      assert.equal(await pty.exited, 0, pty.text);
      const updated = fs.readFileSync(file, 'utf8');
      assert.equal(
        updated,
        original.replace(
          `[profile keep]\nsso_session = corp\nsso_account_id = ${DEV}\nsso_role_name = Admin\nservices = local\n`,
          `[profile keep]\nsso_session = corp\nsso_account_id = ${PROD}\nsso_role_name = Admin\nservices = local\nregion = ap-southeast-2\noutput = json\n`,
        ),
      );
      assert.equal((await awsCliIdentity(h, 'keep')).Account, PROD);
    });
  });
}
