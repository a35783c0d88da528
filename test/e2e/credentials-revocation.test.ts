/**
 * Revocation beyond AWS, end to end: `idcenter sessions revoke` (the built binary, a separate
 * process) ends the portal session, refresh and access tokens at once and stops role
 * credentials already issued on every replica within the revocation refresh window; disabling a
 * user and removing an assignment with `idcenter apply` do the same for what they took away.
 * Two replicas share one PostgreSQL; on SQLite the CLI writes the file a running server uses.
 * `idcenter audit tail` shows it all, as text or CloudTrail-like JSON.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetRoleCredentialsCommand, ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { loadConfig } from '../../src/config/load.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { createLogger, type RunningServer, startServer } from '../../src/http/server.ts';
import { run } from '../helpers/python.ts';
import { issueBearerToken } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const BIN = path.resolve('bin/idcenter.js');
const KEYS = `k1:${Buffer.alloc(32, 0x11).toString('base64')}`;
/** Longer than the revocation view's 30 s staleness bound, well inside the promised 60 s. */
const REFRESH_WINDOW_MS = 31_000;

function orgYaml(withAliceAdmin: boolean): string {
  return `accounts:
  - { id: "111111111111", name: Production, email: prod@example.com }
  - { id: "222222222222", name: Staging, email: staging@example.com }
groups:
  - { name: Developers }
users:
  - { userName: alice, displayName: Alice Doe, givenName: Alice, familyName: Doe, email: alice@example.com, groups: [Developers] }
permissionSets:
  - { name: ReadOnly, sessionDuration: PT2H }
  - { name: Admin, sessionDuration: PT1H }
assignments:
  - { group: Developers, permissionSet: ReadOnly, accounts: ["111111111111"] }
${withAliceAdmin ? '  - { user: alice, permissionSet: Admin, accounts: ["222222222222"] }\n' : ''}`;
}

async function cli(args: string[], databaseUrl: string) {
  const r = await run(process.execPath, [BIN, ...args, '--database-url', databaseUrl], {
    env: { ...process.env, IDCENTER_LOG_LEVEL: 'silent' },
    timeoutMs: 30_000,
  });
  return r;
}

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

async function roleCredentials(
  server: RunningServer,
  token: string,
  accountId: string,
  roleName: string,
): Promise<Creds> {
  const sso = new SSOClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
  try {
    const r = await sso.send(new GetRoleCredentialsCommand({ accessToken: token, accountId, roleName }));
    const c = r.roleCredentials!;
    return {
      accessKeyId: c.accessKeyId!,
      secretAccessKey: c.secretAccessKey!,
      sessionToken: c.sessionToken!,
    };
  } finally {
    sso.destroy();
  }
}

/** GetCallerIdentity on a server: the account, or the error code. */
async function whoAmI(server: RunningServer, c: Creds): Promise<string> {
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: server.url,
    maxAttempts: 1,
    credentials: c,
    systemClockOffset: server.deps.ctx.clock.now() - Date.now(),
  });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account!;
  } catch (err) {
    return (err as Error).name;
  } finally {
    sts.destroy();
  }
}

async function portalStatus(server: RunningServer, token: string): Promise<string> {
  const sso = new SSOClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
  try {
    await sso.send(new ListAccountsCommand({ accessToken: token }));
    return 'ok';
  } catch (err) {
    return (err as Error).name;
  } finally {
    sso.destroy();
  }
}

/**
 * Two replicas on one fresh PostgreSQL database with the organization applied by the CLI. Their
 * clocks start at the wall clock and only move forward: credentials minted before a CLI
 * revocation (written at wall-clock time) are older than it; moving the clocks past the
 * revocation view's staleness bound makes the next verification refresh it.
 */
class Replicas {
  a!: TestServer;
  b!: RunningServer;
  dir!: string;
  dbUrl!: string;
  orgFile!: string;
  readonly clockA = new ManualClock(Date.now());
  readonly clockB = new ManualClock(Date.now());

  static async start(): Promise<Replicas> {
    const r = new Replicas();
    r.a = await startTestServer({ store: 'postgres', clock: r.clockA, settings: { credentialKeys: KEYS } });
    r.dbUrl = r.a.config.databaseUrl;
    r.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-replica-'));
    r.b = await startServer(
      loadConfig(
        {
          host: '127.0.0.1',
          port: '0',
          dataDir: r.dir,
          databaseUrl: r.dbUrl,
          credentialKeys: KEYS,
          logLevel: 'silent',
        },
        {},
      ),
      { clock: r.clockB, logger: createLogger('silent') },
    );
    r.orgFile = path.join(r.dir, 'org.yaml');
    fs.writeFileSync(r.orgFile, orgYaml(true));
    const applied = await cli(['apply', '-f', r.orgFile], r.dbUrl);
    assert.equal(applied.code, 0, applied.stderr);
    return r;
  }

  async stop(): Promise<void> {
    await this.b?.close();
    await this.a?.stop();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Let both replicas' revocation views go stale, so the next verification refreshes them. */
  passRefreshWindow(): void {
    this.clockA.advance(REFRESH_WINDOW_MS);
    this.clockB.advance(REFRESH_WINDOW_MS);
  }

  async aliceToken(on: RunningServer = this.a) {
    const user = await on.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    return issueBearerToken(on.deps.ctx, { userId: user.id, sourceIp: '198.51.100.7' });
  }
}

async function withReplicas(run: (r: Replicas) => Promise<void>): Promise<void> {
  const r = await Replicas.start();
  try {
    await run(r);
  } finally {
    await r.stop();
  }
}

describe('revocation across two replicas on PostgreSQL', () => {
  it('sessions revoke --session: tokens stop at once, role credentials on both replicas within the window', () =>
    withReplicas(async (r) => {
      const { a, b, dbUrl } = r;
      const t = await r.aliceToken();
      const c = await roleCredentials(a, t.accessToken, '111111111111', 'ReadOnly');
      assert.equal(await whoAmI(b, c), '111111111111', 'minted on one replica, verified on the other');
      assert.equal(await whoAmI(a, c), '111111111111');

      const listed = await cli(['sessions', 'list', '--user', 'alice'], dbUrl);
      assert.equal(listed.code, 0, listed.stderr);
      const line = listed.stdout.split('\n').find((l) => l.startsWith(t.sessionId));
      assert.ok(line, listed.stdout);
      assert.match(line, /alice/);
      assert.match(line, /198\.51\.100\.7/);
      assert.match(line, new RegExp(t.clientId));
      assert.match(listed.stdout.split('\n')[0]!, /^SESSION\s+USER\s+CREATED\s+EXPIRES\s+SOURCE IP\s+CLIENT/);

      const revoked = await cli(['sessions', 'revoke', '--session', t.sessionId], dbUrl);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /Revoked session/);

      // The portal session, access and refresh tokens stop at once, on both replicas.
      assert.equal(await portalStatus(b, t.accessToken), 'UnauthorizedException');
      assert.equal(await portalStatus(a, t.accessToken), 'UnauthorizedException');
      const refresh = await a.deps.ctx.store.db
        .selectFrom('refresh_tokens')
        .select('revoked_at')
        .where('family_id', '=', t.familyId)
        .execute();
      assert.ok(refresh.length > 0 && refresh.every((x) => x.revoked_at !== null));
      // Role credentials stop once each replica's revocation view refreshes.
      r.passRefreshWindow();
      assert.equal(await whoAmI(b, c), 'InvalidClientTokenId');
      assert.equal(await whoAmI(a, c), 'InvalidClientTokenId');
      assert.equal(
        (await cli(['sessions', 'list', '--user', 'alice'], dbUrl)).stdout,
        'No live sessions for alice.\n',
      );
    }));

  it('disabling a user stops their tokens and role credentials', () =>
    withReplicas(async (r) => {
      const t = await r.aliceToken();
      const c = await roleCredentials(r.a, t.accessToken, '222222222222', 'Admin');
      assert.equal(await whoAmI(r.b, c), '222222222222');
      const disabled = await cli(['user', 'disable', 'alice'], r.dbUrl);
      assert.equal(disabled.code, 0, disabled.stderr);
      assert.equal(await portalStatus(r.b, t.accessToken), 'UnauthorizedException');
      r.passRefreshWindow();
      assert.equal(await whoAmI(r.b, c), 'InvalidClientTokenId');
      assert.equal(await whoAmI(r.a, c), 'InvalidClientTokenId');
    }));

  it('removing an assignment (idcenter apply --prune) stops only the role it took away', () =>
    withReplicas(async (r) => {
      const t = await r.aliceToken();
      const readOnly = await roleCredentials(r.a, t.accessToken, '111111111111', 'ReadOnly');
      const admin = await roleCredentials(r.b, t.accessToken, '222222222222', 'Admin');
      assert.equal(await whoAmI(r.b, admin), '222222222222');
      fs.writeFileSync(r.orgFile, orgYaml(false));
      const applied = await cli(['apply', '-f', r.orgFile, '--prune'], r.dbUrl);
      assert.equal(applied.code, 0, applied.stderr);
      r.passRefreshWindow();
      assert.equal(await whoAmI(r.b, admin), 'InvalidClientTokenId');
      assert.equal(await whoAmI(r.a, admin), 'InvalidClientTokenId');
      assert.equal(await whoAmI(r.b, readOnly), '111111111111', 'what was not taken away keeps working');
      assert.equal(await portalStatus(r.b, t.accessToken), 'ok');
    }));

  it('sessions revoke --user ends every session and credential of the user; they may sign in again; audit tail shows it', () =>
    withReplicas(async (r) => {
      const t1 = await r.aliceToken(r.a);
      const t2 = await r.aliceToken(r.b);
      const c1 = await roleCredentials(r.a, t1.accessToken, '111111111111', 'ReadOnly');
      const c2 = await roleCredentials(r.b, t2.accessToken, '222222222222', 'Admin');
      const res = await cli(['sessions', 'revoke', '--user', 'alice'], r.dbUrl);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /2 session\(s\)/);
      assert.equal(await portalStatus(r.a, t1.accessToken), 'UnauthorizedException');
      assert.equal(await portalStatus(r.b, t2.accessToken), 'UnauthorizedException');
      r.passRefreshWindow();
      assert.equal(await whoAmI(r.a, c2), 'InvalidClientTokenId');
      assert.equal(await whoAmI(r.b, c1), 'InvalidClientTokenId');
      // A new sign-in after the revocation works.
      const t3 = await r.aliceToken(r.a);
      const c3 = await roleCredentials(r.a, t3.accessToken, '111111111111', 'ReadOnly');
      assert.equal(await whoAmI(r.b, c3), '111111111111');

      const text = await cli(['audit', 'tail', '-n', '200'], r.dbUrl);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        /credentials\.issue {2}user:alice ROLE:111111111111\/ReadOnly from 127\.0\.0\.1/,
      );
      // People by name, not by id.
      assert.match(text.stdout, /user\.sessions_revoke {2}cli:\S+ USER:alice /);
      assert.match(text.stdout, /sts\.signature_failure {2}key:ASIA/);

      const json = await cli(['audit', 'tail', '-n', '200', '--json'], r.dbUrl);
      assert.equal(json.code, 0, json.stderr);
      const records = json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const issue = records.find(
        (x) =>
          x.eventName === 'GetRoleCredentials' &&
          (x.requestParameters as { accessKeyId: string }).accessKeyId === c1.accessKeyId,
      ) as {
        eventTime: string;
        sourceIPAddress: string;
        userIdentity: { type: string; principalId: string; userName: string };
        requestParameters: { accountId: string; roleName: string; expiration: string };
        awsRegion: string;
      };
      assert.ok(issue, json.stdout);
      assert.match(issue.eventTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.equal(issue.sourceIPAddress, '127.0.0.1');
      assert.equal(issue.userIdentity.type, 'IdentityCenterUser');
      assert.equal(issue.userIdentity.userName, 'alice');
      assert.equal(issue.requestParameters.accountId, '111111111111');
      assert.equal(issue.requestParameters.roleName, 'ReadOnly');
      assert.match(issue.requestParameters.expiration, /Z$/);
      assert.equal(issue.awsRegion, 'us-east-1');
      const failure = records.find((x) => x.idcenterAction === 'sts.signature_failure') as {
        errorCode: string;
        eventSource: string;
        userIdentity: { accessKeyId: string };
      };
      assert.equal(failure.errorCode, 'InvalidClientTokenId');
      assert.equal(failure.eventSource, 'sts.amazonaws.com');
      assert.match(failure.userIdentity.accessKeyId, /^ASIA/);
      assert.ok(records.some((x) => x.idcenterAction === 'user.sessions_revoke'));
      assert.ok(!json.stdout.includes(c1.secretAccessKey) && !json.stdout.includes(c1.sessionToken));
    }));

  it('refuses bad revoke arguments with the syntax exit code and unknown targets with a clear message; audit tail --follow streams', () =>
    withReplicas(async (r) => {
      const none = await cli(['sessions', 'revoke'], r.dbUrl);
      assert.equal(none.code, 252);
      assert.match(none.stderr, /exactly one of --user/);
      const both = await cli(['sessions', 'revoke', '--user', 'alice', '--session', 'x'], r.dbUrl);
      assert.equal(both.code, 252);
      const unknown = await cli(['sessions', 'revoke', '--session', 'no-such-session'], r.dbUrl);
      assert.equal(unknown.code, 254);
      assert.match(unknown.stderr, /no session with id no-such-session/);
      const nobody = await cli(['sessions', 'revoke', '--user', 'nobody'], r.dbUrl);
      assert.equal(nobody.code, 254);
      assert.match(nobody.stderr, /no user named "nobody"/);
      const badN = await cli(['audit', 'tail', '-n', 'many'], r.dbUrl);
      assert.equal(badN.code, 252);

      const child = spawn(
        process.execPath,
        [BIN, 'audit', 'tail', '-n', '1', '--follow', '--database-url', r.dbUrl],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      try {
        const waitFor = async (pred: () => boolean, what: string) => {
          const deadline = Date.now() + 15_000;
          while (!pred()) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${out}`);
            await new Promise((res) => setTimeout(res, 50));
          }
        };
        await waitFor(() => out.includes('\n'), 'the first event');
        const t = await r.aliceToken();
        const c = await roleCredentials(r.b, t.accessToken, '111111111111', 'ReadOnly');
        await waitFor(() => out.includes(c.accessKeyId), 'the new credentials.issue event');
        const code = await new Promise<number | null>((resolve) => {
          child.once('exit', (x) => resolve(x));
          child.kill('SIGINT');
        });
        assert.equal(code, 130);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    }));
});

describe('revocation on SQLite while the server runs', () => {
  let server: TestServer;
  const clock = new ManualClock(Date.now());

  before(async () => {
    server = await startTestServer({ store: 'sqlite', clock });
    const file = path.join(server.config.dataDir, 'org.yaml');
    fs.writeFileSync(file, orgYaml(true));
    const applied = await cli(['apply', '-f', file], server.config.databaseUrl);
    assert.equal(applied.code, 0, applied.stderr);
    clock.set(Date.now());
  });
  after(async () => server?.stop());

  it('the CLI revokes a session in the file the server uses; its credentials stop at the next refresh', async () => {
    const user = await server.deps.ctx.store.db
      .selectFrom('users')
      .select('id')
      .where('user_name', '=', 'alice')
      .executeTakeFirstOrThrow();
    const t = await issueBearerToken(server.deps.ctx, { userId: user.id });
    const c = await roleCredentials(server, t.accessToken, '222222222222', 'Admin');
    assert.equal(await whoAmI(server, c), '222222222222');
    const r = await cli(['sessions', 'revoke', '--session', t.sessionId], server.config.databaseUrl);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await portalStatus(server, t.accessToken), 'UnauthorizedException');
    clock.advance(REFRESH_WINDOW_MS);
    assert.equal(await whoAmI(server, c), 'InvalidClientTokenId');
  });
});
