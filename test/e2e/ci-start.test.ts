/**
 * idcenter in CI, the steps of docs/ci.md run as a job runs them: start the server with
 * `--port 0 --ready-file`, apply an organization, sign a user in with `idcenter user sso-token`
 * (no browser; it writes the AWS SSO token cache), then the AWS CLI v1 and boto3 get credentials
 * from ~/.aws/config and that cache alone. The sign-in is in the audit log, made by the
 * administrator; a user who does not exist is refused and nothing is written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/python.ts';
import { BIN, cliEnv, sha1, waitFor } from './cli-harness.ts';

const ACCOUNT = '123456789012';

describe('idcenter in CI: one-command start, apply, sign-in without a browser', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-ci-'));
  const dataDir = path.join(work, 'data');
  const home = path.join(work, 'home');
  const readyFile = path.join(work, 'ready.json');
  let child: ReturnType<typeof spawn>;
  let ready: { url: string; port: number; startUrl: string; region: string; pid: number };
  const env = cliEnv(home);

  before(async () => {
    fs.mkdirSync(home);
    child = spawn(
      process.execPath,
      [BIN, 'server', '--demo', '--port', '0', '--data-dir', dataDir, '--ready-file', readyFile],
      { stdio: ['ignore', 'ignore', 'pipe'], env: cliEnv(work, { IDCENTER_LOG_LEVEL: 'warn' }) },
    );
    ready = await waitFor(() =>
      fs.existsSync(readyFile) ? JSON.parse(fs.readFileSync(readyFile, 'utf8')) : undefined,
    );
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('the ready file names where the server listens, and it answers there', async () => {
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(ready.port, 0);
    assert.equal(ready.url, `http://127.0.0.1:${ready.port}`);
    assert.equal(ready.startUrl, `${ready.url}/start`);
    assert.equal(ready.region, 'us-east-1');
    assert.equal(ready.pid, child.pid);
    assert.equal((await fetch(`${ready.url}/readyz`)).status, 200);
  });

  it('apply, sso-token, then the AWS CLI v1 and boto3 answer from the server', async () => {
    const applied = await run(
      process.execPath,
      [BIN, 'apply', '-f', 'examples/ci/org.yaml', '--data-dir', dataDir],
      {
        env,
      },
    );
    assert.equal(applied.code, 0, applied.stderr);

    const token = await run(
      process.execPath,
      [
        BIN,
        'user',
        'sso-token',
        'ci-bot',
        '--sso-session',
        'ci',
        '--start-url',
        ready.startUrl,
        '--data-dir',
        dataDir,
      ],
      { env },
    );
    assert.equal(token.code, 0, token.stderr);
    const cacheFile = path.join(home, '.aws', 'sso', 'cache', `${sha1('ci')}.json`);
    assert.match(
      token.stdout,
      /Signed in ci-bot for sso-session ci: the token is valid until .* and refreshable/,
    );
    assert.ok(token.stdout.includes(cacheFile));
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    assert.equal(cached.startUrl, ready.startUrl);
    assert.match(cached.accessToken, /^aoa/);
    assert.equal(typeof cached.refreshToken, 'string');
    assert.equal(fs.statSync(cacheFile).mode & 0o777, 0o600);
    assert.ok(!token.stdout.includes(cached.accessToken), 'the token is never printed');

    const config = fs.readFileSync('examples/ci/aws-config', 'utf8').replaceAll('$IDCENTER_URL', ready.url);
    fs.writeFileSync(path.join(home, '.aws', 'config'), config);
    const cli = await run('aws', ['sts', 'get-caller-identity', '--profile', 'ci'], { env });
    assert.equal(cli.code, 0, cli.stderr);
    const id = JSON.parse(cli.stdout);
    assert.equal(id.Account, ACCOUNT);
    assert.match(id.Arn, /assumed-role\/AWSReservedSSO_ReadOnly_[0-9a-f]+\/ci-bot$/);
    const boto = await run(
      'python3',
      [
        '-c',
        'import boto3; print(boto3.Session(profile_name="ci").client("sts").get_caller_identity()["Account"])',
      ],
      { env },
    );
    assert.equal(boto.code, 0, boto.stderr);
    assert.equal(boto.stdout.trim(), ACCOUNT);

    const audit = await run(
      process.execPath,
      [BIN, 'audit', 'tail', '-n', '50', '--json', '--data-dir', dataDir],
      { env },
    );
    assert.equal(audit.code, 0, audit.stderr);
    const issued = audit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => JSON.stringify(e).includes('administrator'));
    assert.ok(issued.length >= 1, audit.stdout);
    assert.match(JSON.stringify(issued), /cli:/);
  });

  it('a user who does not exist is refused; no token is written', async () => {
    const other = path.join(work, 'other-home');
    const r = await run(
      process.execPath,
      [BIN, 'user', 'sso-token', 'nobody', '--sso-session', 'ci', '--data-dir', dataDir],
      { env: cliEnv(other) },
    );
    assert.equal(r.code, 254, r.stderr);
    assert.match(r.stderr, /no user named "nobody"/);
    assert.doesNotMatch(r.stderr, /unexpected error/);
    assert.equal(fs.existsSync(path.join(other, '.aws')), false);
  });
});
