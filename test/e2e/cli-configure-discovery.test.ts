/**
 * `idcenter configure sso` given only the start URL of an idcenter server: it reads the server's
 * configuration document (`/.well-known/idcenter-configuration`), so no `--endpoint-url` and no
 * environment variable is needed; a start URL that is not the server's, or where no server
 * answers, is said right after the prompt; a plain-http start URL gets the AWS CLI v2 warning;
 * `[default]` gets the services block. The stock AWS CLI and boto3 then work from the files alone.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { decideDevice, fetchTrusting, signedIn } from '../helpers/oidc.ts';
import { run } from '../helpers/python.ts';
import { seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  approveInBrowser,
  cliEnv,
  DEV,
  PASSWORD,
  SMALL_ORG,
  startPty,
  startSeededServer,
  tempHome,
} from './cli-harness.ts';

for (const kind of STORE_KINDS) {
  describe(`configure sso finds the server from the start URL (${kind})`, () => {
    let server: TestServer;
    let browser: TestBrowser;
    const homes: (() => void)[] = [];

    before(async () => {
      ({ server } = await startSeededServer(kind));
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

    it('serves its configuration document', async () => {
      const res = await fetch(`${server.url}/.well-known/idcenter-configuration`);
      assert.equal(res.status, 200);
      const doc = (await res.json()) as Record<string, unknown>;
      assert.equal(doc.start_url, `${server.url}/start`);
      assert.equal(doc.region, 'us-east-1');
      assert.equal(doc.sso_oidc_endpoint, server.url);
      assert.equal(doc.sts_endpoint, server.url);
      assert.equal(doc.generated_ca, false);
    });

    it('a wrong start URL is said at once; the right one finds endpoints and region; the stock tools work', async () => {
      const h = home();
      const pty = startPty(['configure', 'sso', '--use-device-code', '--no-browser'], cliEnv(h));
      await pty.answer('SSO session name (Recommended): ', 'corp');
      await pty.answer('SSO start URL [None]: ', `${server.url}/elsewhere`);
      await pty.expect(
        `${server.url}/elsewhere is not a start URL of the server at ${server.url}; its start URL is ${server.url}/start.`,
      );
      assert.doesNotMatch(pty.text, /SSO region/);
      await pty.answer('SSO start URL [None]: ', `${server.url}/start`);
      await pty.expect('the stock AWS CLI v2 refuses `aws sso login` for a start URL that is plain http');
      // The region comes from the server: Enter takes it.
      await pty.answer('SSO region [us-east-1]: ', '');
      await pty.answer('SSO registration scopes [sso:account:access]: ', '');
      const m = await pty.expect(/autofill the code upon loading:\n(\S+user_code=[A-Z-]+)/);
      assert.match(await approveInBrowser(browser, m[1] as string, 'alice'), /approved/i);
      await pty.expect('There are 2 AWS accounts available to you.');
      await pty.expect(`> Dev, dev@example.com (${DEV})`);
      pty.send('\r');
      await pty.expect('There are 2 roles available to you.');
      pty.send('\r');
      await pty.expect('Using the role name "Admin"');
      await pty.answer('Default client Region [us-east-1]: ', '');
      await pty.answer('CLI default output format (json if not specified) [json]: ', '');
      await pty.answer(`Profile name [Admin-${DEV}]: `, '');
      await pty.expect('[default] now has services = corp');
      assert.equal(await pty.exited, 0, pty.text);

      const config = fs.readFileSync(path.join(h, '.aws', 'config'), 'utf8');
      assert.match(config, /\[services corp\]\nsso =\n {4}endpoint_url = http:\/\/127\.0\.0\.1:\d+\n/);
      assert.match(config, new RegExp(`sts =\\n {4}endpoint_url = ${server.url}\\n`));
      assert.match(config, /\[default\]\nservices = corp\n/);
      const cli = await run('aws', ['sts', 'get-caller-identity', '--profile', `Admin-${DEV}`], {
        env: cliEnv(h),
      });
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(JSON.parse(cli.stdout).Account, DEV);
      const boto = await run(
        'python3',
        [
          '-c',
          `import boto3; print(boto3.Session(profile_name="Admin-${DEV}").client("sts").get_caller_identity()["Account"])`,
        ],
        { env: cliEnv(h) },
      );
      assert.equal(boto.code, 0, boto.stderr);
      assert.equal(boto.stdout.trim(), DEV);
    });

    it('a start URL where no server answers is said at once, and nothing is written', async () => {
      const h = home();
      const pty = startPty(['configure', 'sso', '--use-device-code', '--no-browser'], cliEnv(h));
      await pty.answer('SSO session name (Recommended): ', 'corp');
      // Port 9 (discard): nothing listens there.
      await pty.answer('SSO start URL [None]: ', 'http://127.0.0.1:9/start');
      await pty.expect(/Cannot reach the server of http:\/\/127\.0\.0\.1:9\/start: .*connection refused/);
      await pty.expect('SSO start URL [None]: ');
      pty.send('\u0003');
      assert.equal(await pty.exited, 130, pty.text);
      assert.equal(fs.existsSync(path.join(h, '.aws', 'config')), false);
    });

    for (const [file, own] of [
      ['credentials', '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n'],
      [
        'config',
        '[default]\nsso_session = elsewhere\nsso_account_id = 111111111111\nsso_role_name = Admin\n',
      ],
    ] as const) {
      it(`a [default] with ${file === 'config' ? 'an SSO profile' : 'keys'} of its own in ${file} is left alone`, async () => {
        const h = home();
        fs.mkdirSync(path.join(h, '.aws'), { recursive: true });
        fs.writeFileSync(path.join(h, '.aws', file), own);
        const pty = startPty(['configure', 'sso', '--use-device-code', '--no-browser'], cliEnv(h));
        await pty.answer('SSO session name (Recommended): ', 'corp');
        await pty.answer('SSO start URL [None]: ', `${server.url}/start`);
        await pty.answer('SSO region [us-east-1]: ', '');
        await pty.answer('SSO registration scopes [sso:account:access]: ', '');
        const m = await pty.expect(/autofill the code upon loading:\n(\S+user_code=[A-Z-]+)/);
        await approveInBrowser(browser, m[1] as string, 'alice');
        await pty.expect('There are 2 AWS accounts available to you.');
        pty.send('\r');
        await pty.expect('There are 2 roles available to you.');
        pty.send('\r');
        await pty.answer('Default client Region [us-east-1]: ', '');
        await pty.answer('CLI default output format (json if not specified) [json]: ', '');
        await pty.answer(`Profile name [Admin-${DEV}]: `, '');
        assert.equal(await pty.exited, 0, pty.text);
        const config = fs.readFileSync(path.join(h, '.aws', 'config'), 'utf8');
        // The [default] section as it stands: up to the next section.
        const section = /^\[default\]\n(?:[^[].*\n?)*/m.exec(config)?.[0];
        if (file === 'config') assert.equal(section, own, config);
        else assert.equal(section, undefined, config);
      });
    }
  });
}

describe('configure sso with a server on its generated certificate authority', () => {
  let server: TestServer;
  const h = tempHome();

  before(async () => {
    const passwordHash = await hash(PASSWORD);
    server = await startTestServer({
      settings: { tls: 'true' },
      seed: async (deps) => {
        await seedOrg(deps.ctx, {
          ...SMALL_ORG,
          users: (SMALL_ORG.users ?? []).map((u) => ({ ...u, passwordHash })),
        });
      },
    });
  });
  after(async () => {
    h.cleanup();
    await server?.stop();
  });

  it('--ca-bundle reaches it, and the profile names the bundle so the stock tools trust it', async () => {
    const caFile = server.tlsCaPath as string;
    const res = await fetchTrusting(caFile)(`${server.url}/.well-known/idcenter-configuration`);
    assert.equal(((await res.json()) as Record<string, unknown>).generated_ca, true);
    const pty = startPty(
      ['configure', 'sso', '--use-device-code', '--no-browser', '--ca-bundle', caFile, '--profile', 'dev'],
      cliEnv(h.home),
    );
    await pty.answer('SSO session name (Recommended): ', 'corp');
    await pty.answer('SSO start URL [None]: ', `${server.url}/start`);
    await pty.answer('SSO region [us-east-1]: ', '');
    await pty.answer('SSO registration scopes [sso:account:access]: ', '');
    const code = (await pty.expect(/Then enter the code:\n\n([A-Z]{4}-[A-Z]{4})\n/))[1] as string;
    const web = await signedIn(server.url, 'alice', PASSWORD, undefined, fetchTrusting(caFile));
    assert.match((await decideDevice(web, code)).text, /Request approved/);
    await pty.expect('There are 2 AWS accounts available to you.');
    pty.send('\r');
    await pty.expect('There are 2 roles available to you.');
    pty.send('\r');
    await pty.answer('Default client Region [us-east-1]: ', '');
    await pty.answer('CLI default output format (json if not specified) [json]: ', '');
    assert.equal(await pty.exited, 0, pty.text);
    assert.doesNotMatch(pty.text, /plain http/);
    const config = fs.readFileSync(path.join(h.home, '.aws', 'config'), 'utf8');
    assert.match(
      config,
      new RegExp(`\\[profile dev\\][^[]*ca_bundle = ${caFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`),
    );
    // No AWS_CA_BUNDLE: the profile's ca_bundle is all the AWS CLI and boto3 need.
    const cli = await run('aws', ['sts', 'get-caller-identity', '--profile', 'dev'], { env: cliEnv(h.home) });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).Account, DEV);
  });
});
