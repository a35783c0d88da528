/**
 * `idcenter backup` and `idcenter restore` (the built binary, a separate
 * process), and the PostgreSQL procedure the README gives.
 *
 * SQLite: a backup taken while the server runs (archive mode 0600, `tar tzf` lists the store,
 * the key file and the TLS files) restores into a fresh data directory (modes 0700/0600) where a
 * password + TOTP sign-in works and a role credential issued before the backup still verifies
 * through the AWS SDK's STS client — as does one revoked after the backup: the restore warns so,
 * and `--revoke-issued-before-now` stops it. Refusals: a data directory with a store (without
 * --force), a running server, an archive without the keys the store needs, a damaged archive.
 * PostgreSQL: `backup`/`restore` say what to do; pg_dump + pg_restore + the key file bring
 * credentials back, and `idcenter sessions revoke --all` cuts what was issued before.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import { listSessions } from '../../src/app/sessions.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { enrolTotp, signedIn, totpNow } from '../helpers/oidc.ts';
import { createTempDatabase, type TempDatabase } from '../helpers/pg.ts';
import { run } from '../helpers/python.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';
import { getRoleCredentials, type RoleCredentials, whoAmI } from '../helpers/sts.ts';

const ACCOUNT = '111111111111';
const PASSWORD = 'backup-test-password-1';
const K1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const K2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;
const STEP = 30_000;

const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** Every path under `dir` whose mode is not private (dirs 0700, files 0600). */
function notPrivate(dir: string): string[] {
  const out = mode(dir) === 0o700 ? [] : [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...notPrivate(p));
    else if (mode(p) !== 0o600) out.push(p);
  }
  return out;
}

/** The CLI with these IDCENTER_* variables and no others. */
function cli(args: string[], env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IDCENTER_')) clean[k] = v;
  return run(process.execPath, [path.resolve('bin/idcenter.js'), ...args], {
    env: { ...clean, ...env },
    timeoutMs: 60_000,
  });
}

async function tarList(archive: string): Promise<string[]> {
  const r = await run('tar', ['tzf', archive]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').sort();
}

const ORG = (passwordHash: string) => ({
  users: [{ userName: 'alice', passwordHash }],
  accounts: [{ id: ACCOUNT }],
  permissionSets: [{ name: 'ReadOnly' }],
  assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
});

/** GetRoleCredentials' status for a bearer token. */
async function portalStatus(url: string, bearer: string): Promise<number> {
  const res = await fetch(`${url}/federation/credentials?account_id=${ACCOUNT}&role_name=ReadOnly`, {
    headers: { 'x-amz-sso_bearer_token': bearer },
  });
  await res.arrayBuffer();
  return res.status;
}

describe('idcenter backup and restore (SQLite, server running)', () => {
  const clock = new ManualClock(Date.now());
  let outer: string;
  let source: TempStoreUrl;
  let server: TestServer | undefined;
  let org: SeededOrg;
  let secret: string;
  let bearer: string;
  let creds: RoleCredentials;
  let samlMetadata: string;
  let archive: string;
  let keySecrets: string[];

  before(async () => {
    outer = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-backup-'));
    source = await tempStoreUrl('sqlite');
    const passwordHash = await hash(PASSWORD);
    server = await startTestServer({
      reuse: source,
      clock,
      seed: async (deps) => {
        org = await seedOrg(deps.ctx, ORG(passwordHash));
      },
    });
    archive = path.join(outer, 'backup.tar.gz');
  });
  after(async () => {
    await server?.stop();
    await source?.cleanup();
    fs.rmSync(outer, { recursive: true, force: true });
  });

  /** Sign in with password and a TOTP code of a later step (each code is taken once). */
  async function signInWithMfa(url: string) {
    clock.advance(STEP);
    return signedIn(url, 'alice', PASSWORD, () => totpNow(secret, clock.now()));
  }

  it('backs up a running server into one archive of mode 0600 holding the store, the keys and the TLS files', async () => {
    const s = server!;
    const web = await signedIn(s.url, 'alice', PASSWORD);
    secret = await enrolTotp(web, clock.now());
    bearer = (await issueBearerToken(s.deps.ctx, { userId: org.users.alice! })).accessToken;
    creds = await getRoleCredentials(s.url, bearer, ACCOUNT, 'ReadOnly');
    assert.equal(await whoAmI(s.url, creds), ACCOUNT);
    // Stand-ins for the generated TLS files (`idcenter server --tls`).
    fs.mkdirSync(path.join(source.dataDir, 'tls'), { mode: 0o700 });
    fs.writeFileSync(path.join(source.dataDir, 'tls', 'ca.pem'), 'CA\n', { mode: 0o600 });
    // The SAML signing key, generated by the server when its metadata is first asked for.
    samlMetadata = await (await fetch(`${s.url}/saml/metadata`)).text();
    assert.match(samlMetadata, /<ds:X509Certificate>/);

    const r = await cli(['backup', '--data-dir', source.dataDir, '-o', archive]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /copying the store .*idcenter\.db \(an online backup: servers keep running\)/);
    assert.match(r.stderr, /integrity check ok/);
    assert.match(
      r.stdout,
      /^Backup written to .*backup\.tar\.gz \(\d+ bytes, mode 0600\): the store as of .*credential keys k\S+, 1 TLS file\(s\), the SAML signing key\./,
    );
    assert.equal(mode(archive), 0o600);
    assert.deepEqual(await tarList(archive), [
      'credential-keys.json',
      'idcenter.db',
      'manifest.json',
      'saml/signing-cert.pem',
      'saml/signing-key.pem',
      'tls/ca.pem',
    ]);
    assert.deepEqual(
      fs.readdirSync(outer).filter((n) => n !== 'backup.tar.gz'),
      [],
      'no temporary file or directory left',
    );
    keySecrets = JSON.parse(
      fs.readFileSync(path.join(source.dataDir, 'credential-keys.json'), 'utf8'),
    ).keys.map((k: { secret: string }) => k.secret);
    for (const k of keySecrets) assert.ok(!r.stdout.includes(k) && !r.stderr.includes(k));

    const again = await cli(['backup', '--data-dir', source.dataDir, '-o', archive]);
    assert.equal(again.code, 253, again.stdout + again.stderr);
    assert.match(again.stderr, /backup\.tar\.gz exists: give another file name, or --force/);

    // After the backup: alice's sign-ins and credentials are revoked in the live store.
    const revoke = await cli(['sessions', 'revoke', '--user', 'alice', '--data-dir', source.dataDir]);
    assert.equal(revoke.code, 0, revoke.stderr);
  });

  it('refuses to restore while the server runs, and over a store without --force', async () => {
    const running = await cli(['restore', archive, '--force', '--data-dir', source.dataDir]);
    assert.equal(running.code, 253, running.stdout + running.stderr);
    assert.match(
      running.stderr,
      /an idcenter server \(pid \d+\) is running on .*idcenter\.db: stop it before restoring/,
    );
    await server?.close();
    server = undefined;
    const db = path.join(source.dataDir, 'idcenter.db');
    const before = fs.statSync(db);
    const existing = await cli(['restore', archive, '--data-dir', source.dataDir]);
    assert.equal(existing.code, 253, existing.stdout + existing.stderr);
    assert.match(
      existing.stderr,
      /idcenter\.db and .*credential-keys\.json exist: restoring replaces them.*--force/,
    );
    assert.equal(fs.statSync(db).mtimeMs, before.mtimeMs, 'the store is untouched');
  });

  it('restores into a fresh data directory: sign-in with MFA works and a credential issued before verifies', async () => {
    const dataDir = path.join(outer, 'restored', 'data');
    const r = await cli(['restore', archive, '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Restored the store as of \S+ into .*idcenter\.db, with credential keys k\S+ in .*credential-keys\.json and 1 TLS file\(s\) and the SAML signing key\./,
    );
    assert.match(
      r.stderr,
      /warning: what happened after \S+ is gone, revocations included: .*idcenter sessions revoke --all .*--revoke-issued-before-now/,
    );
    assert.deepEqual(notPrivate(dataDir), []);
    assert.deepEqual(fs.readdirSync(dataDir).sort(), [
      'credential-keys.json',
      'idcenter.db',
      'idcenter.db.server-lock',
      'saml',
      'tls',
    ]);
    assert.equal(fs.readFileSync(path.join(dataDir, 'tls', 'ca.pem'), 'utf8'), 'CA\n');

    const restored = await startTestServer({
      reuse: { url: `sqlite:${dataDir}/idcenter.db`, dataDir, async cleanup() {} },
      clock,
    });
    try {
      const web = await signInWithMfa(restored.url);
      assert.equal((await web.get('/start')).status, 200);
      // The same SAML key: IAM providers made from the old metadata keep trusting the server.
      const certificate = (xml: string) => /<ds:X509Certificate>([^<]+)</.exec(xml)?.[1];
      const restoredMetadata = await (await fetch(`${restored.url}/saml/metadata`)).text();
      assert.equal(certificate(restoredMetadata), certificate(samlMetadata));
      // The revocation made after the backup is gone with everything else after it.
      assert.equal(await whoAmI(restored.url, creds), ACCOUNT);
      assert.equal(await portalStatus(restored.url, bearer), 200);
    } finally {
      await restored.stop();
    }
  });

  it('--revoke-issued-before-now stops every credential and sign-in issued before the restore', async () => {
    const dataDir = path.join(outer, 'restored-cut');
    const r = await cli(['restore', archive, '--data-dir', dataDir, '--revoke-issued-before-now']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /Revoked everything issued until \S+: 2 live session\(s\) and every refresh and access token stopped now/,
    );
    assert.doesNotMatch(r.stderr, /warning/);
    // The restore cut everything issued until its own (real) time: the server's clock must not
    // run behind it, or what it issues next would fall before the cut.
    clock.set(Math.max(clock.now(), Date.now()) + 1000);
    const restored = await startTestServer({
      reuse: { url: `sqlite:${dataDir}/idcenter.db`, dataDir, async cleanup() {} },
      clock,
    });
    try {
      assert.equal(await whoAmI(restored.url, creds), 'InvalidClientTokenId');
      assert.equal(await portalStatus(restored.url, bearer), 401);
      assert.deepEqual(await listSessions(restored.deps.ctx), []);
      // Signing in again works, and what is issued now verifies.
      await signInWithMfa(restored.url);
      const fresh = (await issueBearerToken(restored.deps.ctx, { userId: org.users.alice! })).accessToken;
      assert.equal(
        await whoAmI(restored.url, await getRoleCredentials(restored.url, fresh, ACCOUNT, 'ReadOnly')),
        ACCOUNT,
      );
    } finally {
      await restored.stop();
    }
  });
});

describe('idcenter restore refuses an archive without the keys or a damaged one (SQLite)', () => {
  let outer: string;
  let archive: string;

  before(async () => {
    outer = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-restore-keys-'));
    const source = await tempStoreUrl('sqlite');
    // Keys from the setting: a backup cannot hold them.
    const s = await startTestServer({ reuse: source, settings: { credentialKeys: K1 } });
    await s.stop();
    archive = path.join(outer, 'no-keys.tar.gz');
    const r = await cli(['backup', '--data-dir', source.dataDir, '-o', archive], {
      IDCENTER_CREDENTIAL_KEYS: K1,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /credential keys NOT included \(they come from IDCENTER_CREDENTIAL_KEYS: keep its value, keys k1/,
    );
    await source.cleanup();
  });
  after(() => fs.rmSync(outer, { recursive: true, force: true }));

  it('without IDCENTER_CREDENTIAL_KEYS holding a key of the store, restores nothing', async () => {
    assert.deepEqual(await tarList(archive), ['idcenter.db', 'manifest.json']);
    const dataDir = path.join(outer, 'target');
    const none = await cli(['restore', archive, '--data-dir', dataDir]);
    assert.equal(none.code, 253, none.stdout + none.stderr);
    assert.match(
      none.stderr,
      /used with the credential keys k1, which came from IDCENTER_CREDENTIAL_KEYS .*set IDCENTER_CREDENTIAL_KEYS to those keys/,
    );
    const wrong = await cli(['restore', archive, '--data-dir', dataDir], { IDCENTER_CREDENTIAL_KEYS: K2 });
    assert.equal(wrong.code, 253, wrong.stdout + wrong.stderr);
    assert.match(
      wrong.stderr,
      /IDCENTER_CREDENTIAL_KEYS holds k2, but the backed-up store was used with the credential keys k1/,
    );
    assert.equal(fs.statSync(path.join(dataDir, 'idcenter.db'), { throwIfNoEntry: false }), undefined);
    assert.equal(fs.existsSync(path.join(dataDir, 'credential-keys.json')), false);
    const right = await cli(['restore', archive, '--data-dir', dataDir], { IDCENTER_CREDENTIAL_KEYS: K1 });
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /with credential keys k1 from IDCENTER_CREDENTIAL_KEYS/);
  });

  it('a damaged archive or another file is refused', async () => {
    const work = path.join(outer, 'tamper');
    fs.mkdirSync(work);
    assert.equal((await run('tar', ['xzf', archive, '-C', work])).code, 0, 'tar');
    fs.appendFileSync(path.join(work, 'idcenter.db'), 'x');
    const tampered = path.join(outer, 'tampered.tar.gz');
    assert.equal(
      (await run('tar', ['czf', tampered, '-C', work, 'manifest.json', 'idcenter.db'])).code,
      0,
      'tar',
    );
    const env = { IDCENTER_CREDENTIAL_KEYS: K1 };
    const bad = await cli(['restore', tampered, '--data-dir', path.join(outer, 't1')], env);
    assert.equal(bad.code, 253, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /tampered\.tar\.gz is damaged: idcenter\.db does not match its checksum/);

    fs.symlinkSync('/etc/passwd', path.join(work, 'credential-keys.json'));
    const linked = path.join(outer, 'linked.tar.gz');
    assert.equal(
      (await run('tar', ['czf', linked, '-C', work, 'manifest.json', 'credential-keys.json'])).code,
      0,
    );
    const link = await cli(['restore', linked, '--data-dir', path.join(outer, 't2')], env);
    assert.equal(link.code, 253, link.stdout + link.stderr);
    assert.match(
      link.stderr,
      /is not an idcenter backup: unexpected entry "credential-keys\.json" \(SymbolicLink\)/,
    );

    const other = path.join(outer, 'other.tar.gz');
    fs.writeFileSync(other, 'not an archive');
    const junk = await cli(['restore', other, '--data-dir', path.join(outer, 't3')], env);
    assert.equal(junk.code, 253, junk.stdout + junk.stderr);
    assert.match(junk.stderr, /other\.tar\.gz is not a readable backup archive/);
    for (const t of ['t1', 't2', 't3']) {
      assert.equal(
        fs.existsSync(path.join(outer, t, 'idcenter.db')) &&
          fs.statSync(path.join(outer, t, 'idcenter.db')).size > 0,
        false,
      );
    }
  });
});

describe('--help of the backup and restore commands', () => {
  it('says what each does and lists its options, exit code 0', async () => {
    const expected: Array<[string[], RegExp[]]> = [
      [
        ['backup'],
        [/Usage: idcenter backup \[options\]/, /mode 0600/, /-o, --output <file>/, /--force/, /--data-dir/],
      ],
      [
        ['restore'],
        [/Usage: idcenter restore \[options\] <archive>/, /--revoke-issued-before-now/, /--force/],
      ],
      [
        ['credential-keys', 'adopt'],
        [/Usage: idcenter credential-keys adopt/, /stops verifying/, /--database-url/],
      ],
      [['sessions', 'revoke'], [/--all\s+every session, token and role credential of every user/]],
    ];
    for (const [command, patterns] of expected) {
      const r = await cli([...command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      for (const p of patterns) assert.match(r.stdout, p, command.join(' '));
    }
  });
});

describe('backup and restore on PostgreSQL', () => {
  let server: TestServer | undefined;
  let source: TempStoreUrl;
  let copy: TempDatabase;
  let outer: string;
  let org: SeededOrg;
  let bearer: string;
  let creds: RoleCredentials;

  before(async () => {
    outer = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-backup-pg-'));
    source = await tempStoreUrl('postgres');
    copy = await createTempDatabase();
    server = await startTestServer({
      reuse: source,
      seed: async (deps) => {
        org = await seedOrg(deps.ctx, ORG(await hash(PASSWORD)));
      },
    });
    bearer = (await issueBearerToken(server.deps.ctx, { userId: org.users.alice! })).accessToken;
    creds = await getRoleCredentials(server.url, bearer, ACCOUNT, 'ReadOnly');
  });
  after(async () => {
    await server?.stop();
    await source?.cleanup();
    await copy?.drop();
    fs.rmSync(outer, { recursive: true, force: true });
  });

  it('idcenter backup and restore say how to do it with pg_dump and pg_restore', async () => {
    const flags = ['--database-url', source.url, '--data-dir', source.dataDir];
    const b = await cli(['backup', ...flags]);
    assert.equal(b.code, 253, b.stdout + b.stderr);
    assert.match(b.stderr, /this store is PostgreSQL/);
    assert.match(b.stderr, /pg_dump --format=custom --file=idcenter\.dump/);
    assert.ok(b.stderr.includes(path.join(source.dataDir, 'credential-keys.json')));
    const r = await cli(['restore', path.join(outer, 'x.tar.gz'), ...flags]);
    assert.equal(r.code, 253, r.stdout + r.stderr);
    assert.match(r.stderr, /pg_restore --clean --if-exists --no-owner/);
    assert.match(r.stderr, /idcenter sessions revoke --all/);
  });

  it('pg_dump, pg_restore and the key file bring credentials back; sessions revoke --all cuts them', async () => {
    const dump = path.join(outer, 'idcenter.dump');
    const d = await run('pg_dump', ['--format=custom', `--file=${dump}`, source.url]);
    assert.equal(d.code, 0, d.stderr);
    await server?.close();
    server = undefined;
    const r = await run('pg_restore', ['--clean', '--if-exists', '--no-owner', `--dbname=${copy.url}`, dump]);
    assert.equal(r.code, 0, r.stderr);
    const dataDir = path.join(outer, 'data');
    const restored = { url: copy.url, dataDir, async cleanup() {} };
    // Without the key file the server refuses to start, naming it.
    await assert.rejects(startTestServer({ reuse: restored }), /credential-keys\.json does not exist/);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(
      path.join(source.dataDir, 'credential-keys.json'),
      path.join(dataDir, 'credential-keys.json'),
    );
    fs.chmodSync(path.join(dataDir, 'credential-keys.json'), 0o600);
    let s = await startTestServer({ reuse: restored });
    try {
      assert.equal(await whoAmI(s.url, creds), ACCOUNT);
      assert.equal(await portalStatus(s.url, bearer), 200);
    } finally {
      await s.stop();
    }

    const cut = await cli(['sessions', 'revoke', '--all', '--database-url', copy.url]);
    assert.equal(cut.code, 0, cut.stderr);
    assert.match(cut.stdout, /Revoked everything issued until \S+: 1 live session\(s\)/);
    s = await startTestServer({ reuse: restored });
    try {
      assert.equal(await whoAmI(s.url, creds), 'InvalidClientTokenId');
      assert.equal(await portalStatus(s.url, bearer), 401);
      const audit = await s.deps.ctx.store.db
        .selectFrom('audit_events')
        .select('action')
        .where('action', '=', 'sessions.revoke_all')
        .execute();
      assert.equal(audit.length, 1);
    } finally {
      await s.stop();
    }
  });
});
