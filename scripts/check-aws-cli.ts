/**
 * `npm run check:aws-cli -- [path to aws]`: an AWS CLI v2 of 2.22 or later against idcenter, end
 * to end, as a person uses it. The test suite runs the AWS CLI v2 that Debian packages (2.9,
 * older than endpoint overrides, PKCE and start-URL resolution); this check covers the releases
 * the suite cannot install. It runs the `aws` given, or the one on PATH.
 *
 * It starts idcenter over HTTPS with a CA of its own (the CLI trusts it through AWS_CA_BUNDLE)
 * and a small organization, in a temporary HOME whose config already holds a profile of its
 * own, and then runs:
 * 1. `aws configure sso` in a terminal: the CLI's prompts, the start URL resolved with `HEAD`
 *    (2.35.13 and later), the authorization code with PKCE approved in the pages, the account
 *    and role menus, and the profile and sso-session it writes;
 * 2. `aws sts get-caller-identity` with that profile, endpoints from `AWS_ENDPOINT_URL_*`;
 * 3. the same call from a profile with a `[services]` section and no environment;
 * 4. `aws sso login --no-browser` (PKCE) and `aws sso login --use-device-code`;
 * 5. `aws sso list-accounts` across pages, `list-account-roles`, `get-role-credentials`, and a
 *    role that is not assigned (ForbiddenException);
 * 6. `aws sso login` with an AWS-owned start URL registered as an alias (no `HEAD` then);
 * 7. `aws sso logout`, after which the profile has no token.
 *
 * Every endpoint is the local server: nothing leaves the machine. Each step prints ✓ or ✗ with
 * what went wrong; the first failure stops the run. Exit status 0 when every step passes, 1 when
 * one fails, 2 when the CLI cannot be checked.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hash } from '@node-rs/argon2';
import { chooseStagingFirstRole, developersOrg, PASSWORD, PtySession } from '../test/e2e/cli-harness.ts';
import { decideDevice, FormClient, fetchTrusting, hiddenOf } from '../test/helpers/oidc.ts';
import { cleanAwsEnv, run, start, tempHome } from '../test/helpers/python.ts';
import { seedOrg } from '../test/helpers/seed.ts';
import { startTestServer, type TestServer } from '../test/helpers/server.ts';

const PRODUCTION = '111111111111';
const STAGING = '222222222222';
const UNASSIGNED = '333333333333';
const REGION = 'us-east-1';
const PROFILE = 'checked';
/** An AWS-owned start URL registered as an alias: the CLI sends no HEAD for it. */
const ALIAS = 'https://d-0000000000.awsapps.com/start';
const AUTHORIZE_URL = /(https:\/\/\S+\/authorize\?\S+)/;
const DEVICE_CODE = /\n([A-Z0-9]{4}-[A-Z0-9]{4})\s*\n/;

/** `aws --version` as [major, minor, patch], or null when it is not an AWS CLI. */
function versionOf(text: string): [number, number, number] | null {
  const m = /^aws-cli\/(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function atLeast(v: [number, number, number], w: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== w[i]) return (v[i] ?? 0) > (w[i] ?? 0);
  return true;
}

/** The person's side of `/authorize`: Allow on the consent page, then the CLI's loopback gets the code. */
async function approveAuthorize(web: FormClient, authorizeUrl: string): Promise<void> {
  const url = new URL(authorizeUrl);
  const page = await web.get(url.pathname + url.search);
  assert.equal(page.status, 200, `the authorize page answered ${page.status} ${page.location ?? ''}`);
  const form = /<form method="post" action="[^"]*\/authorize">([\s\S]*?)<\/form>/.exec(page.text)?.[1];
  assert.ok(form, 'the authorize page has no consent form');
  const fields: Record<string, string> = { decision: 'allow' };
  for (const input of form.match(/<input[^>]+>/g) ?? []) {
    const name = /name="([^"]+)"/.exec(input)?.[1];
    if (name) fields[name] = hiddenOf(input, name);
  }
  const consent = await web.post(url.pathname, fields);
  assert.equal(consent.status, 302, `the consent answered ${consent.status}`);
  const callback = consent.location ?? '';
  assert.match(callback, /^http:\/\/(127\.0\.0\.1|\[::1\]):\d+\/oauth\/callback\?code=/);
  const delivered = await fetch(callback);
  assert.equal(delivered.status, 200, `the CLI's loopback answered ${delivered.status}`);
}

/** What `aws sts get-caller-identity` must say for alice in `account` as `role`. */
function assertCallerIdentity(stdout: string, account: string, role: string): void {
  const identity = JSON.parse(stdout) as { UserId: string; Account: string; Arn: string };
  assert.equal(identity.Account, account);
  assert.match(identity.UserId, /^AROA[0-9A-Z]{17}:alice$/);
  assert.match(
    identity.Arn,
    new RegExp(`^arn:aws:sts::${account}:assumed-role/AWSReservedSSO_${role}_[0-9a-f]{16}/alice$`),
  );
}

async function main(): Promise<number> {
  const aws = process.argv[2] ?? 'aws';
  const version = await run(aws, ['--version']).catch((err: Error) => ({
    code: -1,
    stdout: '',
    stderr: err.message,
  }));
  const v = versionOf(version.stdout.trim());
  if (version.code !== 0 || !v) {
    console.error(`${aws} --version did not answer as the AWS CLI: ${version.stderr.trim()}`);
    return 2;
  }
  if (!atLeast(v, [2, 22, 0])) {
    console.error(
      `${version.stdout.trim()}: this check needs AWS CLI v2 2.22 or later (PKCE and endpoint overrides); ` +
        'older releases are covered by test/e2e/aws-cli-v2.test.ts.',
    );
    return 2;
  }
  console.log(`Checking ${version.stdout.trim()} (${aws})`);
  const resolves = atLeast(v, [2, 35, 13]);

  const home = tempHome();
  let server: TestServer | undefined;
  const running: Array<{ kill(): void }> = [];
  try {
    const passwordHash = await hash(PASSWORD);
    server = await startTestServer({
      settings: { tls: 'true', region: REGION, startUrlAliases: ALIAS },
      seed: async (deps) => {
        await seedOrg(deps.ctx, developersOrg(passwordHash, [{ id: UNASSIGNED, name: 'Elsewhere' }]));
      },
    });
    const url = server.url;
    const startUrl = server.config.startUrl;
    const ca = path.join(server.config.dataDir, 'tls', 'ca.pem');
    const configFile = path.join(home.home, '.aws', 'config');
    const theirs = '[profile theirs]\nregion = eu-west-1\n';
    fs.writeFileSync(configFile, theirs);
    const base = { AWS_PAGER: '', AWS_CA_BUNDLE: ca, BROWSER: '/bin/true' };
    const env = cleanAwsEnv(home.home, {
      ...base,
      AWS_ENDPOINT_URL_SSO_OIDC: url,
      AWS_ENDPOINT_URL_SSO: url,
      AWS_ENDPOINT_URL_STS: url,
    });
    const awsRun = (args: string[], e = env) => run(aws, args, { env: e, timeoutMs: 90_000 });
    const web = new FormClient(url, fetchTrusting(ca));
    const signIn = await web.signIn('alice', PASSWORD);
    assert.equal(signIn.status, 303, 'alice signs in to the portal');

    const steps: Array<[string, () => Promise<string | undefined>]> = [
      [
        'aws configure sso: prompts, PKCE sign-in, account and role menus, the profile written',
        async () => {
          const term = new PtySession([aws, 'configure', 'sso', '--profile', PROFILE], env);
          running.push(term);
          await term.answer('SSO session name (Recommended):', PROFILE);
          await term.answer('SSO start URL [None]:', startUrl);
          // From 2.35.13 the CLI resolves the start URL with HEAD and takes the region from it.
          const next = await term.expect(/SSO region \[None\]:|SSO registration scopes \[[^\]]*\]:/);
          const resolved = !next[0].startsWith('SSO region');
          assert.ok(
            resolved || !resolves,
            'the CLI asked for the region: its HEAD resolution of the start URL (2.35.13 and later) failed',
          );
          if (!resolved) {
            term.send(`${REGION}\r`);
            await term.expect(/SSO registration scopes \[[^\]]*\]:/);
          }
          term.send('\r');
          await approveAuthorize(web, (await term.expect(AUTHORIZE_URL))[1] ?? '');
          assert.equal(await chooseStagingFirstRole(term), 'Admin', 'the first role of the menu');
          await term.answer(/default client Region \[[^\]]*\]:/i, REGION);
          await term.answer(/default output format.*\[[^\]]*\]:/i, 'json');
          assert.equal(await term.exited, 0, term.text);
          const config = fs.readFileSync(configFile, 'utf8');
          assert.ok(config.startsWith(theirs), 'the profile that was there is kept');
          assert.match(
            config,
            new RegExp(
              `\\[profile ${PROFILE}\\]\\nsso_session = ${PROFILE}\\nsso_account_id = ${STAGING}\\nsso_role_name = Admin\\n`,
            ),
          );
          assert.match(config, new RegExp(`\\[sso-session ${PROFILE}\\]\\nsso_start_url = ${startUrl}\\n`));
          assert.match(config, new RegExp(`\\nsso_region = ${REGION}\\n`));
          return resolved ? 'start URL resolved by HEAD' : 'no start-URL resolution before 2.35.13';
        },
      ],
      [
        'aws sts get-caller-identity, endpoints from AWS_ENDPOINT_URL_*',
        async () => {
          const r = await awsRun(['sts', 'get-caller-identity', '--profile', PROFILE]);
          assert.equal(r.code, 0, r.stderr);
          assertCallerIdentity(r.stdout, STAGING, 'Admin');
          return undefined;
        },
      ],
      [
        'aws sts get-caller-identity, endpoints from a [services] section',
        async () => {
          fs.appendFileSync(
            configFile,
            `\n[profile ${PROFILE}-services]\nsso_session = ${PROFILE}\nsso_account_id = ${PRODUCTION}\n` +
              `sso_role_name = ReadOnly\nregion = ${REGION}\nservices = ${PROFILE}-local\n\n` +
              `[services ${PROFILE}-local]\nsso =\n  endpoint_url = ${url}\nsso_oidc =\n  endpoint_url = ${url}\n` +
              `sts =\n  endpoint_url = ${url}\n`,
          );
          const r = await awsRun(
            ['sts', 'get-caller-identity', '--profile', `${PROFILE}-services`],
            cleanAwsEnv(home.home, base),
          );
          assert.equal(r.code, 0, r.stderr);
          assertCallerIdentity(r.stdout, PRODUCTION, 'ReadOnly');
          return undefined;
        },
      ],
      [
        'aws sso login --no-browser (authorization code with PKCE)',
        async () => {
          const login = start(aws, ['sso', 'login', '--profile', PROFILE, '--no-browser'], env);
          running.push(login);
          await approveAuthorize(web, (await login.waitFor(AUTHORIZE_URL))[1] ?? '');
          assert.equal(await login.exited, 0, login.stderr);
          assert.match(login.stdout, /Successfully logged into Start URL/);
          return undefined;
        },
      ],
      [
        'aws sso login --use-device-code',
        async () => {
          const login = start(
            aws,
            ['sso', 'login', '--profile', PROFILE, '--use-device-code', '--no-browser'],
            env,
          );
          running.push(login);
          const code = (await login.waitFor(DEVICE_CODE))[1] ?? '';
          assert.match((await decideDevice(web, code)).text, /Request approved/);
          assert.equal(await login.exited, 0, login.stderr);
          assert.match(login.stdout, /Successfully logged into Start URL/);
          return undefined;
        },
      ],
      [
        'aws sso list-accounts (pages of 1), list-account-roles, get-role-credentials, a refusal',
        async () => {
          const cache = path.join(
            home.home,
            '.aws',
            'sso',
            'cache',
            `${createHash('sha1').update(PROFILE).digest('hex')}.json`,
          );
          const token = (JSON.parse(fs.readFileSync(cache, 'utf8')) as { accessToken: string }).accessToken;
          const portal = (args: string[]) =>
            awsRun(['sso', ...args, '--access-token', token, '--region', REGION]);
          const accounts = await portal(['list-accounts', '--page-size', '1']);
          assert.equal(accounts.code, 0, accounts.stderr);
          const listed = JSON.parse(accounts.stdout) as { accountList: Array<{ accountId: string }> };
          assert.deepEqual(
            listed.accountList.map((a) => a.accountId),
            [PRODUCTION, STAGING],
          );
          const roles = await portal(['list-account-roles', '--account-id', STAGING]);
          assert.equal(roles.code, 0, roles.stderr);
          const roleList = (JSON.parse(roles.stdout) as { roleList: Array<{ roleName: string }> }).roleList;
          assert.deepEqual(
            roleList.map((r) => r.roleName),
            ['Admin', 'ReadOnly'],
          );
          const before = Date.now();
          const got = await portal([
            'get-role-credentials',
            '--account-id',
            PRODUCTION,
            '--role-name',
            'ReadOnly',
          ]);
          assert.equal(got.code, 0, got.stderr);
          const c = (JSON.parse(got.stdout) as { roleCredentials: Record<string, string | number> })
            .roleCredentials;
          assert.match(String(c.accessKeyId), /^ASIA[A-Z0-9]{16}$/);
          assert.equal(String(c.secretAccessKey).length, 40);
          const expiration = Number(c.expiration);
          assert.ok(
            expiration > before + 3590_000 && expiration <= Date.now() + 3600_000,
            `expiration ${expiration}`,
          );
          const refused = await portal([
            'get-role-credentials',
            '--account-id',
            UNASSIGNED,
            '--role-name',
            'ReadOnly',
          ]);
          assert.notEqual(refused.code, 0);
          assert.match(refused.stderr, /ForbiddenException/);
          return undefined;
        },
      ],
      [
        'aws sso login and get-caller-identity with an AWS-owned alias start URL',
        async () => {
          fs.appendFileSync(
            configFile,
            `\n[profile ${PROFILE}-alias]\nsso_session = ${PROFILE}-alias\nsso_account_id = ${PRODUCTION}\n` +
              `sso_role_name = ReadOnly\nregion = ${REGION}\n\n[sso-session ${PROFILE}-alias]\n` +
              `sso_start_url = ${ALIAS}\nsso_region = ${REGION}\nsso_registration_scopes = sso:account:access\n`,
          );
          const login = start(aws, ['sso', 'login', '--profile', `${PROFILE}-alias`, '--no-browser'], env);
          running.push(login);
          await approveAuthorize(web, (await login.waitFor(AUTHORIZE_URL))[1] ?? '');
          assert.equal(await login.exited, 0, login.stderr);
          const r = await awsRun(['sts', 'get-caller-identity', '--profile', `${PROFILE}-alias`]);
          assert.equal(r.code, 0, r.stderr);
          assertCallerIdentity(r.stdout, PRODUCTION, 'ReadOnly');
          return undefined;
        },
      ],
      [
        'aws sso logout, then the profile has no token',
        async () => {
          const out = await awsRun(['sso', 'logout', '--profile', PROFILE]);
          assert.equal(out.code, 0, out.stderr);
          const after = await awsRun(['sts', 'get-caller-identity', '--profile', PROFILE]);
          assert.notEqual(after.code, 0, after.stdout);
          assert.match(after.stderr, /Token for \S+ does not exist|Error loading SSO Token/);
          return undefined;
        },
      ],
    ];

    for (const [name, body] of steps) {
      const t = performance.now();
      try {
        const remark = await body();
        const seconds = ((performance.now() - t) / 1000).toFixed(1);
        console.log(`✓ ${name} (${seconds} s)${remark ? `: ${remark}` : ''}`);
      } catch (err) {
        console.log(`✗ ${name}\n${err instanceof Error ? err.message : String(err)}`);
        return 1;
      }
    }
    console.log(`All ${steps.length} steps passed.`);
    return 0;
  } finally {
    for (const r of running) r.kill();
    await server?.stop();
    home.cleanup();
  }
}

process.exitCode = await main();
