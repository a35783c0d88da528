/**
 * `idcenter credential-keys list|rotate|prune` (the built binary, a separate process) against the
 * key file of a server running on SQLite: after `rotate` the server seals new credentials under
 * the new key without a restart while credentials sealed before still verify through botocore's
 * STS client; after `prune` the old key's credentials are refused as InvalidClientTokenId. A
 * key file made unusable meanwhile leaves the server on the keys it had. Bad input: exit codes,
 * messages, the file unchanged; secrets never printed; the file stays 0600.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KEY_FILE_CHECK_INTERVAL_MS } from '../../src/app/credentials/service.ts';
import { runKeysPrune } from '../../src/cli/commands/credential-keys-run.ts';
import { cleanAwsEnv, python, run, tempHome } from '../helpers/python.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const BIN = path.resolve('bin/idcenter.js');
const ACCOUNT = '111111111111';
const K1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const K0 = `k0:${Buffer.alloc(32, 2).toString('base64')}`;

/** botocore's STS client with static credentials: the account, or the error code. */
const BOTOCORE_WHOAMI = `
import json, sys, botocore.session
from botocore.config import Config
c, url = json.loads(sys.argv[1]), sys.argv[2]
sts = botocore.session.get_session().create_client(
    'sts', region_name='us-east-1', endpoint_url=url, config=Config(retries={'total_max_attempts': 1}),
    aws_access_key_id=c['accessKeyId'], aws_secret_access_key=c['secretAccessKey'],
    aws_session_token=c['sessionToken'])
try:
    print(json.dumps({'Account': sts.get_caller_identity()['Account']}))
except botocore.exceptions.ClientError as e:
    print(json.dumps({'error': e.response['Error']['Code']}))
`;

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** The key id in a session token's header (seal.ts: version, id length, id, …). */
function keyIdOf(sessionToken: string): string {
  const bytes = Buffer.from(sessionToken, 'base64url');
  return bytes.subarray(2, 2 + bytes[1]!).toString('utf8');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idcenter credential-keys with a running server (SQLite)', () => {
  let server: TestServer;
  let org: SeededOrg;
  let home: ReturnType<typeof tempHome>;
  let file: string;
  let bearer: string;

  before(async () => {
    server = await startTestServer({
      store: 'sqlite',
      seed: async (deps) => {
        org = await seedOrg(deps.ctx, {
          users: [{ userName: 'alice' }],
          accounts: [{ id: ACCOUNT }],
          permissionSets: [{ name: 'ReadOnly' }],
          assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
        });
      },
    });
    file = path.join(server.config.dataDir, 'credential-keys.json');
    home = tempHome();
    bearer = (await issueBearerToken(server.deps.ctx, { userId: org.users.alice! })).accessToken;
  });
  after(async () => {
    home?.cleanup();
    await server?.stop();
  });

  /** The CLI without IDCENTER_* from outside, on the server's data directory unless told. */
  function cli(args: string[], env: Record<string, string> = {}) {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IDCENTER_')) clean[k] = v;
    return run(process.execPath, [BIN, 'credential-keys', ...args], {
      env: { ...clean, IDCENTER_DATA_DIR: server.config.dataDir, ...env },
      timeoutMs: 30_000,
    });
  }

  async function getRoleCredentials(): Promise<Creds> {
    const res = await fetch(`${server.url}/federation/credentials?account_id=${ACCOUNT}&role_name=ReadOnly`, {
      headers: { 'x-amz-sso_bearer_token': bearer },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { roleCredentials: Creds }).roleCredentials;
  }

  async function whoAmI(c: Creds): Promise<string> {
    const r = await python(BOTOCORE_WHOAMI, [JSON.stringify(c), server.url], cleanAwsEnv(home.home));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { Account?: string; error?: string };
    return out.Account ?? out.error!;
  }

  const secrets = () =>
    (JSON.parse(fs.readFileSync(file, 'utf8')) as { keys: Array<{ secret: string }> }).keys.map(
      (k) => k.secret,
    );
  const mode = () => fs.statSync(file).mode & 0o777;

  let old: Creds;
  let oldKey: string;
  let fresh: Creds;
  let newKey: string;

  it('list prints ids, which one seals and when each was made, never a secret', async () => {
    old = await getRoleCredentials();
    oldKey = keyIdOf(old.sessionToken);
    assert.equal(await whoAmI(old), ACCOUNT);

    const text = await cli(['list']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ID\s+SEALS\s+CREATED$/m);
    assert.match(text.stdout, new RegExp(`^${oldKey}\\s+yes\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'));
    const json = await cli(['list', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const listed = JSON.parse(json.stdout);
    assert.equal(listed.source, 'file');
    assert.equal(listed.file, file);
    assert.deepEqual(
      listed.keys.map((k: { id: string; seals: boolean }) => [k.id, k.seals]),
      [[oldKey, true]],
    );
    for (const s of secrets()) {
      for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) assert.ok(!out.includes(s));
    }
  });

  it('rotate: the running server seals new credentials under the new key; both verify through botocore', async () => {
    const r = await cli(['rotate']);
    assert.equal(r.code, 0, r.stderr);
    newKey = /New sealing key (\S+),/.exec(r.stdout)?.[1] ?? '';
    assert.notEqual(newKey, '');
    assert.notEqual(newKey, oldKey);
    assert.match(
      r.stdout,
      new RegExp(`older keys \\(${oldKey}\\) keep verifying the tokens they sealed until pruned`),
    );
    assert.equal(mode(), 0o600);
    for (const s of secrets()) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s));

    await sleep(KEY_FILE_CHECK_INTERVAL_MS + 100);
    fresh = await getRoleCredentials();
    assert.equal(keyIdOf(fresh.sessionToken), newKey, 'sealed under the new key, no restart');
    assert.equal(await whoAmI(fresh), ACCOUNT);
    assert.equal(await whoAmI(old), ACCOUNT, 'the old key still verifies what it sealed');

    const listed = JSON.parse((await cli(['list', '--json'])).stdout);
    assert.deepEqual(
      listed.keys.map((k: { id: string; seals: boolean }) => [k.id, k.seals]),
      [
        [newKey, true],
        [oldKey, false],
      ],
    );
    assert.ok(server.logs.some((l) => l.includes('keys reloaded') && l.includes(newKey)));
  });

  it('bad input: unknown flag, bad duration, a corrupt key file (the server keeps its keys)', async () => {
    const before = fs.readFileSync(file, 'utf8');
    const unknown = await cli(['prune', '--olderthan', '1h']);
    assert.equal(unknown.code, 252);
    assert.match(unknown.stderr, /unknown option '--olderthan'/);
    const duration = await cli(['prune', '--older-than', '12 hours']);
    assert.equal(duration.code, 252);
    assert.match(duration.stderr, /--older-than: "12 hours" is not a duration; write e\.g\. 12h/);
    assert.equal(fs.readFileSync(file, 'utf8'), before);

    const corrupt = before.slice(0, before.length / 2);
    fs.writeFileSync(file, corrupt);
    for (const args of [['rotate'], ['prune', '--older-than', '0s'], ['list']]) {
      const r = await cli(args);
      assert.equal(r.code, 253, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /credential-keys\.json is not JSON/);
      assert.equal(fs.readFileSync(file, 'utf8'), corrupt, `${args.join(' ')} left the file as it was`);
    }
    assert.deepEqual(
      fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.tmp')),
      [],
    );

    await sleep(KEY_FILE_CHECK_INTERVAL_MS + 100);
    const during = await getRoleCredentials();
    assert.equal(keyIdOf(during.sessionToken), newKey, 'the server keeps the keys it had');
    assert.equal(await whoAmI(during), ACCOUNT);
    assert.equal(await whoAmI(old), ACCOUNT);
    const reported = server.logs.filter((l) => l.includes('cannot be used'));
    assert.equal(reported.length, 1, 'reported once');
    for (const s of JSON.parse(before).keys.map((k: { secret: string }) => k.secret)) {
      assert.ok(!server.logs.some((l) => l.includes(s)), 'no secret in the logs');
    }
    fs.writeFileSync(file, before);
  });

  it('prune with the default margin keeps the old key; --dry-run writes nothing; 13 h later it would go', async () => {
    await sleep(KEY_FILE_CHECK_INTERVAL_MS + 100);
    const kept = await cli(['prune']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, new RegExp(`Kept ${oldKey}: stopped sealing .*; prunable from `));
    const before = fs.readFileSync(file, 'utf8');
    const dry = await cli(['prune', '--older-than', '0s', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`Would remove ${oldKey} `));
    assert.equal(fs.readFileSync(file, 'utf8'), before);

    // The command's own clock, 13 h on: the default margin (12 h) has passed.
    const out: string[] = [];
    const sink = { write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WritableStream;
    runKeysPrune(
      { dataDir: server.config.dataDir, dryRun: true },
      { out: sink, err: sink, now: () => Date.now() + 13 * 3600_000 },
    );
    assert.match(out.join(''), new RegExp(`Would remove ${oldKey} `));
  });

  it('prune --older-than 0s removes the old key: its credentials are refused, the new ones verify', async () => {
    const r = await cli(['prune', '--older-than', '0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Removed ${oldKey} \\(stopped sealing `));
    assert.match(r.stderr, /shorter than the longest credential lifetime/);
    assert.equal(mode(), 0o600);
    assert.deepEqual(
      JSON.parse(fs.readFileSync(file, 'utf8')).keys.map((k: { id: string }) => k.id),
      [newKey],
    );
    await sleep(KEY_FILE_CHECK_INTERVAL_MS + 100);
    assert.equal(await whoAmI(old), 'InvalidClientTokenId');
    assert.equal(await whoAmI(fresh), ACCOUNT);
    const again = await cli(['prune', '--older-than', '0s']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`Only the sealing key ${newKey} is listed: nothing to prune`));
  });

  it('with IDCENTER_CREDENTIAL_KEYS: list shows the configured ids; rotate and prune refuse', async () => {
    const before = fs.readFileSync(file, 'utf8');
    const env = { IDCENTER_CREDENTIAL_KEYS: `${K1},${K0}` };
    const listed = await cli(['list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /come from IDCENTER_CREDENTIAL_KEYS/);
    assert.match(listed.stdout, /^k1\s+yes$/m);
    assert.match(listed.stdout, /^k0\s+no$/m);
    assert.ok(!listed.stdout.includes(K1.slice(3)) && !listed.stdout.includes(K0.slice(3)));
    const json = JSON.parse((await cli(['list', '--json'], env)).stdout);
    assert.deepEqual(json, {
      source: 'config',
      file: null,
      keys: [
        { id: 'k1', seals: true, createdAt: null },
        { id: 'k0', seals: false, createdAt: null },
      ],
    });
    const rotate = await cli(['rotate'], env);
    assert.equal(rotate.code, 253);
    assert.match(rotate.stderr, /prepend a new entry to IDCENTER_CREDENTIAL_KEYS/);
    const prune = await cli(['prune'], env);
    assert.equal(prune.code, 253);
    assert.match(prune.stderr, /remove its entry from IDCENTER_CREDENTIAL_KEYS/);
    const bad = await cli(['list'], { IDCENTER_CREDENTIAL_KEYS: 'k1:short' });
    assert.equal(bad.code, 253);
    assert.match(bad.stderr, /IDCENTER_CREDENTIAL_KEYS/);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  });

  it('every subcommand has --help', async () => {
    for (const sub of ['list', 'rotate', 'prune']) {
      const r = await cli([sub, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: idcenter credential-keys ${sub} \\[options\\]`));
      assert.match(r.stdout, /--data-dir <dir>/);
    }
    const group = await cli(['--help']);
    assert.match(group.stdout, /list \[options\][\s\S]*rotate \[options\][\s\S]*prune \[options\]/);
  });
});
