/**
 * The client installs on its own: `npm pack ./packages/client`, then `npm install -g` of the
 * tarball into an empty prefix with an empty npm cache and `--offline` (so nothing can come from
 * a registry), and the same package from a running server's `/client/idcenter-client.tgz` with
 * the registry pointed at a closed port. What gets installed is four files and no native module;
 * the installed `idcenter` answers --help with the client commands only and signs in against a
 * real server (device code approved in Debian's chromium), after which its own
 * `sts get-caller-identity` and the stock AWS CLI work. Needs a current build (`npm run build`).
 * Install time and size are measured in bench/client-install.bench.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { run } from '../helpers/python.ts';
import { freePort, type TestServer } from '../helpers/server.ts';
import {
  approveInBrowser,
  cliEnv,
  DEV,
  PtySession,
  runCli,
  sessionConfig,
  startSeededServer,
  tempHome,
  writeConfig,
} from './cli-harness.ts';

const ROOT = process.cwd();
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const INSTALLED_FILES = ['README.md', 'THIRD-PARTY-NOTICES.txt', 'idcenter.cjs', 'package.json'];

/** npm with a cache of its own (empty) and no configuration from this machine. */
function npmEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    npm_config_cache: path.join(dir, 'npm-cache'),
    npm_config_userconfig: path.join(dir, 'npmrc'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

/** Every file under a directory, relative to it. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

describe('the idcenter client installs on its own', () => {
  let work: string;
  let tarball: string;
  let server: TestServer;
  let browser: TestBrowser;
  const homes: (() => void)[] = [];

  before(async () => {
    assert.ok(
      fs.existsSync(path.join(ROOT, 'packages', 'client', 'idcenter.cjs')),
      'packages/client/idcenter.cjs is missing: run npm run build',
    );
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-install-'));
    ({ server } = await startSeededServer('sqlite'));
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of homes) c();
    await browser?.close();
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('npm pack, then npm install -g --offline from the tarball into an empty prefix: no native build', async () => {
    const packed = await run('npm', ['pack', path.join(ROOT, 'packages', 'client'), '--json'], {
      cwd: work,
      env: npmEnv(work, { npm_config_offline: 'true' }),
    });
    assert.equal(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(info);
    assert.deepEqual(info.files.map((f) => f.path).sort(), INSTALLED_FILES);
    tarball = path.join(work, info.filename);
    assert.equal(info.filename, `idcenter-client-${VERSION}.tgz`);

    const prefix = path.join(work, 'prefix');
    const installed = await run('npm', ['install', '-g', '--offline', '--prefix', prefix, tarball], {
      cwd: work,
      env: npmEnv(work),
    });
    assert.equal(installed.code, 0, installed.stderr);
    assert.doesNotMatch(installed.stdout + installed.stderr, /gyp|prebuild|install script/i);
    const pkgDir = path.join(prefix, 'lib', 'node_modules', 'idcenter-client');
    assert.deepEqual(filesUnder(pkgDir), INSTALLED_FILES, 'the package and nothing else: no dependencies');
    assert.deepEqual(
      filesUnder(prefix).filter((f) => f.endsWith('.node')),
      [],
      'no native module',
    );

    const bin = path.join(prefix, 'bin', 'idcenter');
    const version = await run(bin, ['--version'], { cwd: work, env: cliEnv(work) });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);
    const help = await run(bin, ['--help'], { cwd: work, env: cliEnv(work) });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: idcenter /);
    for (const command of ['configure', 'sso', 'credential-process', 'exec', 'sts'])
      assert.match(help.stdout, new RegExp(`\\n  ${command} `), `--help lists ${command}`);
    for (const serverOnly of ['server', 'apply', 'sessions', 'backup', 'credential-keys'])
      assert.doesNotMatch(help.stdout, new RegExp(`\\n  ${serverOnly} `), `no ${serverOnly} in the client`);
    const sub = await run(bin, ['configure', 'sso', '--help'], { cwd: work, env: cliEnv(work) });
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /^Usage: idcenter configure sso /);
  });

  it('the installed client signs in against a real server; its STS call and the AWS CLI then work', async () => {
    assert.ok(tarball, 'the install test ran first');
    const bin = path.join(work, 'prefix', 'bin', 'idcenter');
    const h = tempHome();
    homes.push(h.cleanup);
    writeConfig(
      h.home,
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
    const env = cliEnv(h.home);
    const before = await run(bin, ['sts', 'get-caller-identity', '--profile', 'dev'], { cwd: work, env });
    assert.equal(before.code, 255);
    assert.match(before.stderr, /idcenter sso login/);

    const term = new PtySession(
      [bin, 'sso', 'login', '--profile', 'dev', '--use-device-code', '--no-browser'],
      env,
    );
    const m = await term.expect(/autofill the code upon loading:\n(\S+user_code=[A-Z-]+)/);
    await approveInBrowser(browser, m[1] as string, 'alice');
    await term.expect(`Successfully logged into Start URL: ${server.url}/start`);
    assert.equal(await term.exited, 0, term.text);

    const status = await run(bin, ['sso', 'status'], { cwd: work, env });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /sso-session corp\n.*\n {2}token: {7}valid until/);
    const id = await run(bin, ['sts', 'get-caller-identity', '--profile', 'dev'], { cwd: work, env });
    assert.equal(id.code, 0, id.stderr);
    assert.equal(JSON.parse(id.stdout).Account, DEV);
    const aws = await run('aws', ['sts', 'get-caller-identity', '--profile', 'dev'], { env });
    assert.equal(aws.code, 0, aws.stderr);
    assert.equal(JSON.parse(aws.stdout).Account, DEV);
    const out = await run(bin, ['sso', 'logout'], { cwd: work, env });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`Signed out of ${server.url}/start`));
  });

  it('the server serves the client: instructions at /client, npm install -g from its URL', async () => {
    const page = await fetch(`${server.url}/client`);
    assert.equal(page.status, 200);
    const text = await page.text();
    assert.match(text, new RegExp(`npm install -g ${server.url}/client/idcenter-client\\.tgz`));
    assert.doesNotMatch(text, /npx/);

    const script = await fetch(`${server.url}/client/idcenter.cjs`);
    assert.equal(script.status, 200);
    const body = Buffer.from(await script.arrayBuffer());
    assert.ok(body.equals(fs.readFileSync(path.join(ROOT, 'dist', 'client', 'idcenter.cjs'))));
    const etag = script.headers.get('etag') ?? '';
    assert.ok(etag);
    assert.equal(
      (await fetch(`${server.url}/client/idcenter.cjs`, { headers: { 'if-none-match': etag } })).status,
      304,
    );
    const unknown = await fetch(`${server.url}/client/..%2Fpackage.json`);
    assert.equal(unknown.status, 404);

    // No registry: a closed port. Installing must not need one.
    const closed = await freePort();
    const dir = fs.mkdtempSync(path.join(work, 'from-url-'));
    const installed = await run(
      'npm',
      ['install', '-g', '--prefix', path.join(dir, 'prefix'), `${server.url}/client/idcenter-client.tgz`],
      { cwd: dir, env: npmEnv(dir, { npm_config_registry: `http://127.0.0.1:${closed}/` }) },
    );
    assert.equal(installed.code, 0, installed.stderr);
    const version = await runCliAt(path.join(dir, 'prefix', 'bin', 'idcenter'), ['--version'], dir);
    assert.equal(version.trim(), VERSION);

    // The downloaded single file runs as it is.
    const single = path.join(dir, 'idcenter.cjs');
    fs.writeFileSync(single, body);
    const r = await run(process.execPath, [single, 'sso', 'status'], { cwd: dir, env: cliEnv(dir) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No SSO sessions are configured/);
  });

  it('the full idcenter and the client share their client commands', async () => {
    const h = tempHome();
    homes.push(h.cleanup);
    const full = await runCli(['sso', 'status', '--help'], cliEnv(h.home));
    const client = await run(path.join(work, 'prefix', 'bin', 'idcenter'), ['sso', 'status', '--help'], {
      cwd: work,
      env: cliEnv(h.home),
    });
    assert.equal(client.stdout, full.stdout);
  });
});

async function runCliAt(bin: string, args: string[], cwd: string): Promise<string> {
  const r = await run(bin, args, { cwd, env: cliEnv(cwd) });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}
