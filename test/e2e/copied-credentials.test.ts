/**
 * Credentials copied out of idcenter work as pasted, in a clean environment (only PATH, and HOME
 * an empty directory): every tab of the portal's access-keys dialog, read in Debian's chromium,
 * and every `idcenter configure export-credentials` format. For a `local` account they carry this
 * server's STS endpoint and region, so the AWS CLI (v1, on PATH) and boto3 with nothing else set
 * get an answer from this server, not from AWS; the credentials-file option comes with the
 * matching ~/.aws/config lines. A federated (`access: aws`) account's credentials are real AWS
 * ones (moto stands in for AWS STS and IAM) and come with nothing extra.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { applyText } from '../helpers/apply.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { cleanAwsEnv, python, type RunResult, run } from '../helpers/python.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { runCli, sessionConfig, signInWithoutBrowser, writeConfig } from './cli-harness.ts';
import { signIn } from './portal-fixtures.ts';

const LOCAL = '111111111111';
const FEDERATED = '123456789012'; // moto's default account

const ORG = `
accounts:
  - { id: "${LOCAL}", name: Local, email: local@example.com }
  - { id: "${FEDERATED}", name: Federated, email: fed@example.com, access: aws }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe }
permissionSets:
  - { name: Admin, sessionDuration: PT1H }
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${LOCAL}", "${FEDERATED}"] }
`;

/** The IAM side in moto: the SAML provider from the server's metadata, the role trusting it. */
const SETUP_IAM = `
import boto3, json, sys
url, metadata = sys.argv[1], sys.argv[2]
iam = boto3.client('iam', endpoint_url=url, region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')
provider = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name='idcenter')['SAMLProviderArn']
trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Federated': provider},
  'Action': ['sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity']}]}
iam.create_role(RoleName='idcenter-Admin', Path='/idcenter/', MaxSessionDuration=7200,
  AssumeRolePolicyDocument=json.dumps(trust))
`;

const BOTO3_IDENTITY =
  'import boto3, json; r = boto3.client("sts").get_caller_identity(); r.pop("ResponseMetadata"); print(json.dumps(r))';
const BOTO3_PROFILE_IDENTITY =
  'import boto3, json, sys; r = boto3.Session(profile_name=sys.argv[1]).client("sts").get_caller_identity(); r.pop("ResponseMetadata"); print(json.dumps(r))';

type Shell = 'unix' | 'windows' | 'powershell';
const TABS: [string, Shell][] = [
  ['macOS and Linux', 'unix'],
  ['Windows', 'windows'],
  ['PowerShell', 'powershell'],
];

/** A clean environment: PATH, and HOME an empty directory of its own. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-clean-'));
  return { PATH: process.env.PATH, HOME: home, ...extra };
}

/** `set K=V` and `$Env:K="V"` lines (the Windows and PowerShell tabs) as the shell would set them. */
function parseAssignments(kind: 'windows' | 'powershell' | 'fish', text: string): Record<string, string> {
  const re =
    kind === 'windows'
      ? /^set (\w+)=(.*)$/
      : kind === 'powershell'
        ? /^\$Env:(\w+)="(.*)"$/
        : /^set -gx (\w+) "(.*)"$/;
  const out: Record<string, string> = {};
  for (const line of text.trim().split('\n')) {
    const m = re.exec(line);
    assert.ok(m, `${kind}: unexpected line ${JSON.stringify(line)}`);
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

function identity(r: RunResult, what: string): { Account: string; Arn: string } {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The AWS CLI and boto3, in `env` and nothing else: both must answer from this server, as alice in LOCAL. */
async function assertAnswersHere(env: NodeJS.ProcessEnv, what: string, prelude?: string): Promise<void> {
  const viaCli = prelude
    ? await run('bash', ['-c', `${prelude}\naws sts get-caller-identity`], { env })
    : await run('aws', ['sts', 'get-caller-identity'], { env });
  const viaBoto3 = prelude
    ? await run('bash', ['-c', `${prelude}\npython3 -c '${BOTO3_IDENTITY}'`], { env })
    : await run('python3', ['-c', BOTO3_IDENTITY], { env });
  for (const [id, client] of [
    [identity(viaCli, `${what}, AWS CLI`), 'AWS CLI'],
    [identity(viaBoto3, `${what}, boto3`), 'boto3'],
  ] as const) {
    assert.equal(id.Account, LOCAL, `${what}, ${client}`);
    assert.match(
      id.Arn,
      /^arn:aws:sts::111111111111:assumed-role\/AWSReservedSSO_Admin_[0-9a-f]{16}\/alice$/,
    );
  }
}

describe('copied credentials work as pasted', () => {
  let moto: Moto;
  let server: TestServer;
  let browser: TestBrowser;
  let page: Page;
  const dirs: string[] = [];

  before(async () => {
    moto = await startMoto();
    server = await startTestServer({
      settings: { awsStsEndpoint: moto.url, awsStsTimeout: '5s' },
      seed: async (deps) => void (await applyText(deps.ctx, ORG)),
    });
    const metadata = await (await fetch(`${server.url}/saml/metadata`)).text();
    const setup = await python(SETUP_IAM, [moto.url, metadata], cleanAwsEnv(os.tmpdir()));
    assert.equal(setup.code, 0, setup.stderr);
    browser = await launchBrowser();
    browser.context.setDefaultTimeout(15_000);
    const alice = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    const who = await signIn(server.deps, alice.id);
    await browser.context.addCookies([{ name: who.cookieName, value: who.token, url: server.url }]);
    page = await browser.context.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await moto?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function openDialog(accountName: string): Promise<Locator> {
    await page.goto(`${server.url}/start`);
    await page.getByRole('button', { name: new RegExp(`^${accountName}`) }).click();
    await page.getByRole('button', { name: `Access keys for Admin in ${accountName}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Get credentials for Admin' });
    await dialog.locator('[data-state="ready"]').waitFor();
    return dialog;
  }

  async function fieldText(scope: Locator, name: string): Promise<string> {
    return (await scope.locator(`[data-field="${name}"]`).first().textContent()) ?? '';
  }

  it('local account: each tab, pasted into a clean shell, reaches this server with the AWS CLI and boto3', async () => {
    const dialog = await openDialog('Local');
    for (const [tab, shell] of TABS) {
      await dialog.getByRole('tab', { name: tab }).click();
      const panel = dialog.getByRole('tabpanel', { name: tab });
      const text = await fieldText(panel, `env-${shell}`);
      const env = cleanEnv();
      dirs.push(env.HOME as string);
      if (shell === 'unix') {
        // Pasted into bash as it is.
        assert.match(text, new RegExp(`^export AWS_ENDPOINT_URL_STS="${server.url}"$`, 'm'));
        await assertAnswersHere(env, tab, text);
      } else {
        const vars = parseAssignments(shell, text);
        assert.deepEqual(Object.keys(vars), [
          'AWS_ACCESS_KEY_ID',
          'AWS_SECRET_ACCESS_KEY',
          'AWS_SESSION_TOKEN',
          'AWS_ENDPOINT_URL_STS',
          'AWS_REGION',
          'AWS_DEFAULT_REGION',
        ]);
        await assertAnswersHere({ ...env, ...vars }, tab);
      }

      // Option 2: the credentials-file profile with its ~/.aws/config lines, used by name.
      const credentialsFile = await fieldText(panel, 'profile');
      const configFile = await fieldText(panel, 'config-profile');
      assert.equal(await panel.locator('[data-field="config-profile"]').isVisible(), true);
      const home = cleanEnv();
      dirs.push(home.HOME as string);
      fs.mkdirSync(path.join(home.HOME as string, '.aws'));
      fs.writeFileSync(path.join(home.HOME as string, '.aws', 'credentials'), `${credentialsFile}\n`);
      fs.writeFileSync(path.join(home.HOME as string, '.aws', 'config'), `${configFile}\n`);
      const name = `${LOCAL}_Admin`;
      for (const [id, client] of [
        [
          identity(await run('aws', ['sts', 'get-caller-identity', '--profile', name], { env: home }), tab),
          'CLI',
        ],
        [identity(await run('python3', ['-c', BOTO3_PROFILE_IDENTITY, name], { env: home }), tab), 'boto3'],
      ] as const) {
        assert.equal(id.Account, LOCAL, `${tab} option 2, ${client}`);
      }

      // Option 3: the endpoint and region beside the keys.
      assert.equal(await fieldText(panel, 'sts-endpoint'), server.url);
      assert.equal(await fieldText(panel, 'region'), 'us-east-1');
    }
    await page.keyboard.press('Escape');
  });

  it('federated account: the credentials alone, which AWS (moto here) knows as the assumed role', async () => {
    const dialog = await openDialog('Federated');
    for (const [tab, shell] of TABS) {
      await dialog.getByRole('tab', { name: tab }).click();
      const panel = dialog.getByRole('tabpanel', { name: tab });
      const text = await fieldText(panel, `env-${shell}`);
      assert.doesNotMatch(text, /AWS_ENDPOINT_URL|AWS_REGION|AWS_DEFAULT_REGION/, tab);
      assert.equal(text.trim().split('\n').length, 3, tab);
      assert.equal(await panel.locator('[data-field="config-profile"]').isVisible(), false);
      assert.equal(await panel.locator('[data-field="sts-endpoint"]').isVisible(), false);
    }
    const vars = parseAssignments('powershell', await fieldText(dialog, 'env-powershell'));
    // Where real AWS would be, moto answers.
    const env: NodeJS.ProcessEnv = {
      ...cleanEnv(),
      ...vars,
      AWS_ENDPOINT_URL_STS: moto.url,
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    dirs.push(env.HOME as string);
    const id = identity(await run('python3', ['-c', BOTO3_IDENTITY], { env }), 'boto3');
    assert.equal(id.Arn, `arn:aws:sts::${FEDERATED}:assumed-role/idcenter-Admin/alice`);
    await page.keyboard.press('Escape');
  });

  it('configure export-credentials: each format, pasted into a clean environment, reaches this server', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-export-'));
    dirs.push(home);
    writeConfig(
      home,
      sessionConfig(server, {
        dev: {
          sso_session: 'corp',
          sso_account_id: LOCAL,
          sso_role_name: 'Admin',
          region: 'eu-west-1',
          services: 'local',
        },
      }),
    );
    const alice = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    await signInWithoutBrowser(server, alice.id, home);
    const cli = cleanAwsEnv(home, { NO_COLOR: '1' });
    for (const format of ['env', 'env-no-export', 'fish', 'powershell', 'windows-cmd'] as const) {
      const r = await runCli(
        ['configure', 'export-credentials', '--profile', 'dev', '--format', format],
        cli,
      );
      assert.equal(r.code, 0, r.stderr);
      const env = cleanEnv();
      dirs.push(env.HOME as string);
      if (format === 'env') await assertAnswersHere(env, format, r.stdout);
      else if (format === 'env-no-export') await assertAnswersHere(env, format, `set -a\n${r.stdout}set +a`);
      else {
        const vars = parseAssignments(format === 'windows-cmd' ? 'windows' : format, r.stdout);
        assert.equal(vars.AWS_ENDPOINT_URL_STS, server.url);
        assert.equal(vars.AWS_REGION, 'eu-west-1');
        assert.equal(vars.AWS_DEFAULT_REGION, 'eu-west-1');
        await assertAnswersHere({ ...env, ...vars }, format);
      }
    }
  });

  it('configure sso for a federated account: STS stays with AWS, and export-credentials adds nothing', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-fed-'));
    dirs.push(home);
    writeConfig(home, sessionConfig(server, {}));
    const alice = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    await signInWithoutBrowser(server, alice.id, home);
    const cli = cleanAwsEnv(home, { NO_COLOR: '1' });
    // The session exists and is signed in: session name, then the account menu (Federated is 1).
    const r = await runCli(
      ['configure', 'sso', '--profile', 'fed', '--endpoint-url', server.url],
      cli,
      'corp\n1\n\n\n',
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /The account 123456789012 is an AWS account/);
    const config = fs.readFileSync(path.join(home, '.aws', 'config'), 'utf8');
    assert.match(config, /\[profile fed\]\n(?:.*\n)*?services = corp-aws\n/);
    const block = /\[services corp-aws\]\n((?:[ \w].*\n)*)/.exec(config)?.[1] ?? '';
    assert.match(block, /^sso =\n/m);
    assert.match(block, /^sso_oidc =\n/m);
    assert.doesNotMatch(block, /^sts =/m);

    for (const format of ['env', 'powershell', 'windows-cmd'] as const) {
      const out = await runCli(
        ['configure', 'export-credentials', '--profile', 'fed', '--format', format],
        cli,
      );
      assert.equal(out.code, 0, out.stderr);
      assert.doesNotMatch(out.stdout, /AWS_ENDPOINT_URL|AWS_REGION|AWS_DEFAULT_REGION/, format);
    }
    // The stock AWS CLI takes the profile's STS from AWS (moto stands in for it here).
    const aws = await run('aws', ['sts', 'get-caller-identity', '--profile', 'fed'], {
      env: { ...cli, AWS_ENDPOINT_URL_STS: moto.url },
    });
    assert.equal(
      identity(aws, 'aws --profile fed').Arn,
      `arn:aws:sts::${FEDERATED}:assumed-role/idcenter-Admin/alice`,
    );
  });
});
