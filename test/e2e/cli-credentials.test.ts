/**
 * The idcenter CLI handing credentials to other tools, against a real server on SQLite and
 * PostgreSQL: export-credentials in every format (parsed back and used), credential-process
 * used by botocore and the AWS CLI, exec, sts get-caller-identity, status, refresh (also two
 * CLIs at once), logout, and every bad input of the brief with its message and exit code.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/python.ts';
import type { SeededOrg } from '../helpers/seed.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  BIN,
  cliEnv,
  DEV,
  PROD,
  runCli,
  type SignedInHome,
  sessionConfig,
  sha1,
  signInWithoutBrowser,
  startPty,
  startSeededServer,
  tempHome,
  writeConfig,
} from './cli-harness.ts';

const NO_ACCESS = '333333333333';

function profiles(): Record<string, Record<string, string>> {
  return {
    dev: {
      sso_session: 'corp',
      sso_account_id: DEV,
      sso_role_name: 'Admin',
      region: 'eu-west-1',
      services: 'local',
    },
    'dev-ro': {
      sso_session: 'corp',
      sso_account_id: DEV,
      sso_role_name: 'ReadOnly',
      region: 'eu-west-1',
      services: 'local',
    },
    prod: {
      sso_session: 'corp',
      sso_account_id: PROD,
      sso_role_name: 'Admin',
      region: 'eu-west-1',
      services: 'local',
    },
    nope: {
      sso_session: 'corp',
      sso_account_id: NO_ACCESS,
      sso_role_name: 'Admin',
      region: 'eu-west-1',
      services: 'local',
    },
    orphan: { sso_session: 'missing', sso_account_id: DEV, sso_role_name: 'Admin', region: 'eu-west-1' },
    'via-process': {
      credential_process: `${process.execPath} ${BIN} credential-process --profile dev`,
      region: 'eu-west-1',
      services: 'local',
    },
    badurl: {
      sso_start_url: 'idc.example.com/start',
      sso_region: 'us-east-1',
      sso_account_id: DEV,
      sso_role_name: 'Admin',
    },
    offline: {
      sso_session: 'corp',
      sso_account_id: DEV,
      sso_role_name: 'Admin',
      region: 'eu-west-1',
      services: 'dead',
    },
  };
}

function configText(server: TestServer): string {
  const p = profiles();
  // A [services] block whose endpoints nothing listens on (port 9 is discard; nothing binds it).
  return `${sessionConfig(server, p)}[services dead]\nsso =\n  endpoint_url = http://127.0.0.1:9\nsts =\n  endpoint_url = http://127.0.0.1:9\n`;
}

function pythonSts(profile: string, env: NodeJS.ProcessEnv) {
  return run(
    'python3',
    [
      '-c',
      'import boto3, json, sys; print(json.dumps(boto3.Session(profile_name=sys.argv[1]).client("sts").get_caller_identity()))',
      profile,
    ],
    { env },
  );
}

for (const kind of STORE_KINDS) {
  describe(`idcenter CLI credentials for other tools (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let home: string;
    let cleanup: () => void;
    let env: NodeJS.ProcessEnv;
    let signed: SignedInHome;
    let configFile: string;

    before(async () => {
      ({ server, org } = await startSeededServer(kind));
      ({ home, cleanup } = tempHome());
      env = cliEnv(home);
      configFile = writeConfig(home, configText(server));
      signed = await signInWithoutBrowser(server, org.users.alice as string, home);
    });
    after(async () => {
      cleanup?.();
      await server?.stop();
    });

    function clearCredentialCache(): void {
      fs.rmSync(path.join(home, '.aws', 'cli', 'cache'), { recursive: true, force: true });
    }

    it('export-credentials: every format parses back to the same credentials, which STS accepts', async () => {
      const proc = await runCli(
        ['configure', 'export-credentials', '--profile', 'dev', '--format', 'process'],
        env,
      );
      assert.equal(proc.code, 0, proc.stderr);
      const p = JSON.parse(proc.stdout) as Record<string, string | number>;
      assert.equal(p.Version, 1);
      assert.match(String(p.AccessKeyId), /^ASIA[A-Z0-9]{16}$/);
      assert.match(String(p.Expiration), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      assert.ok(Date.parse(String(p.Expiration)) > Date.now() + 30 * 60_000);
      const expected: Record<string, string> = {
        AWS_ACCESS_KEY_ID: String(p.AccessKeyId),
        AWS_SECRET_ACCESS_KEY: String(p.SecretAccessKey),
        AWS_SESSION_TOKEN: String(p.SessionToken),
        AWS_CREDENTIAL_EXPIRATION: String(p.Expiration),
        // Credentials only this server accepts carry its STS endpoint and the profile's region.
        AWS_ENDPOINT_URL_STS: server.url,
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
      };
      const patterns: Record<string, RegExp> = {
        env: /^export (\w+)=(.*)$/,
        'env-no-export': /^(\w+)=(.*)$/,
        powershell: /^\$Env:(\w+)="(.*)"$/,
        'windows-cmd': /^set (\w+)=(.*)$/,
        fish: /^set -gx (\w+) "(.*)"$/,
      };
      for (const [format, re] of Object.entries(patterns)) {
        const r = await runCli(
          ['configure', 'export-credentials', '--profile', 'dev', '--format', format],
          env,
        );
        assert.equal(r.code, 0, r.stderr);
        const got: Record<string, string> = {};
        for (const line of r.stdout.trim().split('\n')) {
          const m = re.exec(line);
          assert.ok(m, `${format}: ${line}`);
          got[m[1] as string] = m[2] as string;
        }
        assert.deepEqual(got, expected, format);
      }
      // The env format, evaluated by a shell, is all the AWS CLI needs.
      const sh = await run(
        'sh',
        [
          '-c',
          `eval "$(${process.execPath} ${BIN} configure export-credentials --profile dev --format env)" && aws sts get-caller-identity`,
        ],
        { env },
      );
      assert.equal(sh.code, 0, sh.stderr);
      assert.equal(JSON.parse(sh.stdout).Account, DEV);
    });

    it('reuses cached role credentials in the AWS CLI v2 layout until 5 minutes before expiry', async () => {
      clearCredentialCache();
      const first = JSON.parse((await runCli(['credential-process', '--profile', 'prod'], env)).stdout);
      // Key computed independently with Python, the way the AWS CLI v2 names the file.
      const key = await run('python3', [
        '-c',
        'import hashlib, json, sys; print(hashlib.sha1(json.dumps({"accountId": sys.argv[1], "roleName": "Admin", "sessionName": "corp"}, sort_keys=True, separators=(",", ":")).encode()).hexdigest())',
        PROD,
      ]);
      const file = path.join(home, '.aws', 'cli', 'cache', `${key.stdout.trim()}.json`);
      const cached = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.equal(cached.ProviderType, 'sso');
      assert.equal(cached.Credentials.AccessKeyId, first.AccessKeyId);
      assert.equal(cached.Credentials.AccountId, PROD);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const second = JSON.parse((await runCli(['credential-process', '--profile', 'prod'], env)).stdout);
      assert.equal(second.AccessKeyId, first.AccessKeyId, 'cached credentials reused');
      // Four minutes left: inside the 5-minute margin, so new credentials are fetched.
      cached.Credentials.Expiration = new Date(Date.now() + 4 * 60_000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
      fs.writeFileSync(file, JSON.stringify(cached));
      const third = JSON.parse((await runCli(['credential-process', '--profile', 'prod'], env)).stdout);
      assert.notEqual(third.AccessKeyId, first.AccessKeyId);
    });

    it('credential-process: botocore and the AWS CLI use it through credential_process', async () => {
      const py = await pythonSts('via-process', env);
      assert.equal(py.code, 0, py.stderr);
      assert.equal(JSON.parse(py.stdout).Account, DEV);
      assert.match(JSON.parse(py.stdout).Arn, /assumed-role\/AWSReservedSSO_Admin_[0-9a-f]{16}\/alice$/);
      const cli = await run('aws', ['sts', 'get-caller-identity', '--profile', 'via-process'], { env });
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(JSON.parse(cli.stdout).Account, DEV);
    });

    it('exec: credentials and region in the environment, no profile, exit code passed through', async () => {
      const script =
        'const e=process.env;console.log(JSON.stringify({k:e.AWS_ACCESS_KEY_ID,s:!!e.AWS_SECRET_ACCESS_KEY,t:!!e.AWS_SESSION_TOKEN,x:e.AWS_CREDENTIAL_EXPIRATION,r:e.AWS_REGION,p:e.AWS_PROFILE??null}));process.exit(7)';
      const r = await runCli(['exec', '--profile', 'dev', '--', process.execPath, '-e', script], {
        ...env,
        AWS_PROFILE: 'prod',
      });
      assert.equal(r.code, 7, r.stderr);
      const seen = JSON.parse(r.stdout);
      assert.match(seen.k, /^ASIA/);
      assert.equal(seen.s, true);
      assert.equal(seen.t, true);
      assert.ok(Date.parse(seen.x) > Date.now());
      assert.equal(seen.r, 'eu-west-1');
      assert.equal(seen.p, null, 'AWS_PROFILE is removed so SDKs use the keys');
      const aws = await runCli(
        ['exec', '--profile', 'dev-ro', '--', 'aws', 'sts', 'get-caller-identity'],
        env,
      );
      assert.equal(aws.code, 0, aws.stderr);
      assert.match(JSON.parse(aws.stdout).Arn, /AWSReservedSSO_ReadOnly_/);
      const missing = await runCli(['exec', '--profile', 'dev', '--', 'no-such-command-here'], env);
      assert.equal(missing.code, 127);
      assert.match(missing.stderr, /command not found: no-such-command-here/);
    });

    it('sts get-caller-identity in json and text', async () => {
      const j = await runCli(['sts', 'get-caller-identity', '--profile', 'prod'], env);
      assert.equal(j.code, 0, j.stderr);
      const id = JSON.parse(j.stdout);
      assert.deepEqual(Object.keys(id), ['UserId', 'Account', 'Arn']);
      assert.equal(id.Account, PROD);
      const t = await runCli(['sts', 'get-caller-identity', '--profile', 'prod', '--output', 'text'], env);
      assert.equal(t.stdout, `${id.Account}\t${id.Arn}\t${id.UserId}\n`);
    });

    it('status: the session, its start URL, token expiry and cached credentials', async () => {
      const r = await runCli(['sso', 'status', '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout).sessions as Array<Record<string, unknown>>;
      const corp = s.find((x) => x.name === 'corp') as Record<string, unknown>;
      assert.equal(corp.startUrl, `${server.url}/start`);
      assert.equal(corp.tokenState, 'valid');
      assert.ok(Date.parse(String(corp.tokenExpiresAt)) > Date.now());
      const prod = (corp.profiles as Array<Record<string, unknown>>).find((p) => p.name === 'prod');
      assert.equal(prod?.credentialsState, 'valid');
      const text = await runCli(['sso', 'status'], env);
      assert.match(text.stdout, /sso-session corp/);
      assert.match(text.stdout, new RegExp(`start URL: +${server.url}/start`));
      assert.match(text.stdout, /token: +valid until .* UTC/);
      assert.match(text.stdout, /profile prod: credentials cached until/);
      assert.match(
        text.stdout,
        /sso-session missing\n {2}not configured: there is no \[sso-session missing\] section; used by profile orphan/,
      );
    });

    it('refreshes an expired token with its refresh token, once, even with two CLIs at the same time', async () => {
      clearCredentialCache();
      const before = JSON.parse(fs.readFileSync(signed.tokenFile, 'utf8'));
      before.expiresAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      fs.writeFileSync(signed.tokenFile, JSON.stringify(before));
      const [a, b] = await Promise.all([
        runCli(['credential-process', '--profile', 'dev'], env),
        runCli(['credential-process', '--profile', 'dev-ro'], env),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const afterToken = JSON.parse(fs.readFileSync(signed.tokenFile, 'utf8'));
      assert.notEqual(afterToken.accessToken, before.accessToken);
      assert.notEqual(afterToken.refreshToken, before.refreshToken);
      assert.ok(Date.parse(afterToken.expiresAt) > Date.now() + 30 * 60_000);
      assert.equal(afterToken.clientId, before.clientId);
      assert.equal(afterToken.registrationExpiresAt, before.registrationExpiresAt);
      // The server saw exactly one refresh: the family has the original refresh token (used) and
      // one new one, and it was not revoked for reuse.
      const db = server.deps.ctx.store.db;
      const family = await db
        .selectFrom('token_families')
        .selectAll()
        .where('id', '=', signed.familyId)
        .executeTakeFirstOrThrow();
      assert.equal(family.revoked_at, null);
      const refreshRows = await db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('family_id', '=', signed.familyId)
        .execute();
      assert.equal(refreshRows.length, 2, 'one refresh');
      assert.equal(refreshRows.filter((r) => r.used_at !== null).length, 1);
      assert.equal(fs.existsSync(`${signed.tokenFile}.lock`), false, 'lock released');
      // botocore (boto3) reads the rewritten token file.
      const py = await pythonSts('dev', env);
      assert.equal(py.code, 0, py.stderr);
    });

    it('botocore and the JS SDK refresh the token file the CLI wrote; sso login refreshes too', async () => {
      const setExpiry = (ms: number) => {
        const t = JSON.parse(fs.readFileSync(signed.tokenFile, 'utf8'));
        t.expiresAt = new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
        fs.writeFileSync(signed.tokenFile, JSON.stringify(t));
        return t.accessToken as string;
      };
      const read = () => JSON.parse(fs.readFileSync(signed.tokenFile, 'utf8'));
      // botocore refreshes with less than 10 minutes left.
      let old = setExpiry(5 * 60_000);
      const py = await pythonSts('dev-ro', env);
      assert.equal(py.code, 0, py.stderr);
      assert.notEqual(read().accessToken, old, 'botocore refreshed the token');
      // The JS SDK refreshes with 5 minutes or less left.
      old = setExpiry(2 * 60_000);
      const js = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const { fromSSO } = await import('@aws-sdk/credential-providers'); const c = await fromSSO()(); console.log(c.accessKeyId.slice(0, 4));",
        ],
        { env: { ...env, AWS_PROFILE: 'dev-ro' }, cwd: process.cwd() },
      );
      assert.equal(js.code, 0, js.stderr);
      assert.notEqual(read().accessToken, old, 'the JS SDK refreshed the token');
      // And the token they wrote is still ours to use and refresh.
      old = setExpiry(-60_000);
      const login = await runCli(['sso', 'login', '--profile', 'dev'], env);
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Refreshed the token for corp\.\nSuccessfully logged into Start URL: /);
      assert.notEqual(read().accessToken, old);
      const again = await runCli(['sso', 'login', '--profile', 'dev'], env);
      assert.match(
        again.stdout,
        /Already signed in to .*\(corp\); the token is valid for another (59 min|1 h 00 min)\./,
      );
    });

    it('bad input: a malformed config names the line and is left untouched', async () => {
      const original = fs.readFileSync(configFile, 'utf8');
      const broken = `${original}this line is not an option\n`;
      fs.writeFileSync(configFile, broken);
      const mtime = fs.statSync(configFile).mtimeMs;
      const line = broken.split('\n').length - 1;
      try {
        for (const args of [
          ['credential-process', '--profile', 'dev'],
          ['configure', 'populate'],
          ['sso', 'login', '--profile', 'dev'],
        ]) {
          const r = await runCli(args, env);
          assert.equal(r.code, 253, `${args.join(' ')}: ${r.stderr}`);
          assert.match(
            r.stderr,
            new RegExp(`line ${line}: expected "key = value" or a \\[section\\] header`),
          );
          assert.match(r.stderr, /left untouched/);
          assert.equal(fs.readFileSync(configFile, 'utf8'), broken);
          assert.equal(fs.statSync(configFile).mtimeMs, mtime);
        }
      } finally {
        fs.writeFileSync(configFile, original);
      }
    });

    it('bad input: an unreadable config (not UTF-8, or a directory)', async () => {
      const bad = path.join(home, 'latin1-config');
      fs.writeFileSync(
        bad,
        Buffer.concat([
          Buffer.from('[default]\nregion = us-east-1\n# caf'),
          Buffer.from([0xe9]),
          Buffer.from('\n'),
        ]),
      );
      const r = await runCli(['credential-process'], { ...env, AWS_CONFIG_FILE: bad });
      assert.equal(r.code, 253);
      assert.match(r.stderr, /line 3: not valid UTF-8/);
      const dir = await runCli(['credential-process'], { ...env, AWS_CONFIG_FILE: home });
      assert.equal(dir.code, 253);
      assert.match(dir.stderr, /cannot read the config file .*: it is a directory/);
    });

    it('bad input: unknown profile, missing sso-session, no access', async () => {
      const ghost = await runCli(['credential-process', '--profile', 'ghost'], env);
      assert.equal(ghost.code, 253);
      assert.match(ghost.stderr, /The config profile \(ghost\) could not be found/);
      const orphan = await runCli(['credential-process', '--profile', 'orphan'], env);
      assert.equal(orphan.code, 253);
      assert.match(orphan.stderr, /The specified sso-session does not exist: "missing"/);
      const login = await runCli(['sso', 'login', '--sso-session', 'missing'], env);
      assert.equal(login.code, 253);
      assert.match(login.stderr, /The specified sso-session does not exist: "missing"/);
      const nope = await runCli(['credential-process', '--profile', 'nope'], env);
      assert.equal(nope.code, 254);
      assert.match(nope.stderr, /ForbiddenException.*GetRoleCredentials.*No access/);
    });

    it('--debug traces the wire with every secret redacted', async () => {
      clearCredentialCache();
      const token = JSON.parse(fs.readFileSync(signed.tokenFile, 'utf8'));
      const r = await runCli(['credential-process', '--profile', 'prod', '--debug'], env);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.match(
        r.stderr,
        /debug: > GetRoleCredentials: GET http:\/\/127\.0\.0\.1:\d+\/federation\/credentials\?role_name=Admin&account_id=222222222222/,
      );
      assert.match(r.stderr, /x-amz-sso_bearer_token: <redacted>/);
      assert.match(r.stderr, /debug: < 200 GetRoleCredentials/);
      assert.match(r.stderr, /"secretAccessKey":"<redacted>"/);
      for (const secret of [
        token.accessToken,
        token.refreshToken,
        token.clientSecret,
        out.SecretAccessKey,
        out.SessionToken,
      ]) {
        assert.equal(r.stderr.includes(secret), false, 'no secret in the trace');
      }
    });

    it('colour only on a terminal', async () => {
      const colourEnv = { ...env, NO_COLOR: '' };
      const piped = await runCli(['sso', 'status'], colourEnv);
      assert.equal(piped.code, 0);
      assert.equal(piped.stdout.includes('\u001b['), false, 'no escape codes into a pipe');
      const tty = startPty(['sso', 'status'], colourEnv);
      assert.equal(await tty.exited, 0);
      assert.ok(tty.rawText.includes('\u001b[1msso-session corp\u001b[22m'), 'bold title on a terminal');
      const noColor = startPty(['sso', 'status'], env);
      assert.equal(await noColor.exited, 0);
      assert.equal(noColor.rawText.includes('\u001b['), false, 'NO_COLOR is honoured');
    });

    it('bad input: a configured start URL that is not a URL', async () => {
      const r = await runCli(['sso', 'login', '--profile', 'badurl', '--no-browser'], env);
      assert.equal(r.code, 253);
      assert.match(
        r.stderr,
        /The sso_start_url "idc\.example\.com\/start" in \[profile badurl\] is not a URL .*run: idcenter configure sso --profile badurl/,
      );
    });

    it('bad input: the server unreachable', async () => {
      clearCredentialCache();
      const r = await runCli(['credential-process', '--profile', 'offline'], env);
      assert.equal(r.code, 255);
      assert.match(
        r.stderr,
        /Could not connect to the endpoint URL http:\/\/127\.0\.0\.1:9 \(GetRoleCredentials\): connection refused/,
      );
    });

    it('logout revokes at the server, deletes tokens and credentials; then a clear message', async () => {
      await runCli(['credential-process', '--profile', 'dev'], env);
      const token = JSON.parse(fs.readFileSync(signed.tokenFile, 'utf8'));
      const r = await runCli(['sso', 'logout'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Signed out of ${server.url}/start`));
      assert.equal(fs.existsSync(signed.tokenFile), false);
      assert.deepEqual(fs.readdirSync(path.join(home, '.aws', 'cli', 'cache')), []);
      // The server no longer accepts the access token or the refresh token.
      const portal = await fetch(`${server.url}/assignment/accounts`, {
        headers: { 'x-amz-sso_bearer_token': token.accessToken },
      });
      assert.equal(portal.status, 401);
      const refresh = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grantType: 'refresh_token',
          clientId: token.clientId,
          clientSecret: token.clientSecret,
          refreshToken: token.refreshToken,
        }),
      });
      assert.equal(refresh.status, 400);
      assert.equal(refresh.headers.get('x-amzn-errortype'), 'InvalidGrantException');
      const after = await runCli(['credential-process', '--profile', 'dev'], env);
      assert.equal(after.code, 255);
      assert.match(
        after.stderr,
        /Token for corp does not exist\. To sign in, run: idcenter sso login --profile dev/,
      );
    });

    it('bad input: an expired token whose refresh token is dead says to sign in again', async () => {
      await signInWithoutBrowser(server, org.users.alice as string, home, {
        expiresAt: Date.now() - 60_000,
        refreshToken: 'not-a-live-refresh-token',
      });
      clearCredentialCache();
      const r = await runCli(['credential-process', '--profile', 'dev'], env);
      assert.equal(r.code, 255);
      assert.match(
        r.stderr,
        /Token has expired and refresh failed \(InvalidGrantException\)\. To sign in again, run: idcenter sso login --profile dev/,
      );
      const key = sha1('corp');
      assert.ok(
        fs.existsSync(path.join(home, '.aws', 'sso', 'cache', `${key}.json`)),
        'token file kept for a later login',
      );
    });
  });
}
