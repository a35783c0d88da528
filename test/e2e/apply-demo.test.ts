/**
 * The demo organization: `examples/demo-org.yaml` is valid, loads only into an empty store, and
 * `idcenter server --demo` (what `npm start` runs) prints the banner with the portal and start
 * URLs, the region, the demo user and password and the client commands with endpoint overrides.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verify } from '@node-rs/argon2';
import { listAllAccess } from '../../src/app/access.ts';
import { DEMO_PASSWORD, DEMO_USER, demoFile, loadDemoIfEmpty } from '../../src/app/demo.ts';
import { parseOrgFile } from '../../src/app/org-file/index.ts';
import { count } from '../helpers/apply.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS, tempStoreUrl } from '../helpers/stores.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/idcenter.js');

describe('examples/demo-org.yaml', () => {
  it('is a valid organization with three permission sets of different durations', () => {
    const parsed = parseOrgFile(fs.readFileSync(demoFile(), 'utf8'));
    assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.problems));
    if (!parsed.ok) return;
    const durations = parsed.org.permissionSets.map((p) => p.sessionDuration);
    assert.equal(new Set(durations).size, 3);
    assert.ok(parsed.org.users.some((u) => u.userName === DEMO_USER && u.password === DEMO_PASSWORD));
    assert.ok(parsed.org.ous.length >= 2);
  });
});

for (const kind of STORE_KINDS) {
  describe(`demo on ${kind}`, () => {
    let server: TestServer;
    let banner = '';
    before(async () => {
      server = await startTestServer({
        store: kind,
        seed: async (deps) => {
          banner = await loadDemoIfEmpty(deps.ctx, deps.config);
        },
      });
    });
    after(async () => {
      await server.stop();
    });

    it('loads into the empty store, once', async () => {
      const store = server.deps.ctx.store;
      assert.equal(await count(store, 'accounts'), 4);
      assert.equal(await count(store, 'users'), 3);
      assert.equal(await count(store, 'permission_sets'), 3);
      const alice = await store.db
        .selectFrom('users')
        .selectAll()
        .where('user_name', '=', DEMO_USER)
        .executeTakeFirstOrThrow();
      assert.equal(await verify(alice.password_hash ?? '', DEMO_PASSWORD), true);
      const access = await listAllAccess(store, alice.id);
      assert.equal(access.length, 4, 'alice sees every account');
      assert.match(banner, /examples\/demo-org\.yaml was loaded/);

      const audits = await count(store, 'audit_events');
      const again = await loadDemoIfEmpty(server.deps.ctx, server.deps.config);
      assert.equal(await count(store, 'audit_events'), audits, 'not loaded again');
      assert.match(again, /already had data; the demo was not loaded again/);
    });

    it('prints where to go and what to type', () => {
      const url = server.url;
      for (const needle of [
        `Access portal  ${url}/start`,
        `Start URL      ${url}/start`,
        'SSO region     us-east-1',
        `${DEMO_USER}   password ${DEMO_PASSWORD}`,
        `export AWS_ENDPOINT_URL_SSO=${url}`,
        `export AWS_ENDPOINT_URL_SSO_OIDC=${url}`,
        `export AWS_ENDPOINT_URL_STS=${url}`,
        `npm install -g ${url}/client/idcenter-client.tgz`,
        '  idcenter configure sso --profile demo',
        '  idcenter sso login --profile demo',
        'aws sts get-caller-identity --profile demo',
        'IDCENTER_START_URL_ALIASES=https://d-0000000000.awsapps.com/start',
      ]) {
        assert.ok(banner.includes(needle), `banner lacks "${needle}":\n${banner}`);
      }
      // The package name idcenter on the npm registry is not this project's.
      assert.doesNotMatch(banner, /npx/);
    });
  });
}

describe('idcenter server --demo (npm start)', () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    const temp = await tempStoreUrl('sqlite');
    dataDir = temp.dataDir;
    cleanup = temp.cleanup;
  });
  after(async () => cleanup());

  it('loads the demo into a fresh data directory and prints the banner', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'server', '--demo', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${stderr}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/aws sts get-caller-identity --profile demo/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const url = /idcenter is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    assert.ok(url, stderr);
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.match(stderr, new RegExp(`Start URL {6}${url}/start`));
    assert.match(stderr, /alice {3}password idcenter-demo-1 {3}\(examples\/demo-org\.yaml was loaded\)/);
    child.kill('SIGTERM');
    await exited;
  });
});
