/**
 * `idcenter sessions revoke --all` (the built CLI, another process) against a running server,
 * on both stores: every portal session and bearer token stops at once, every role credential
 * issued until then — whoever holds it — stops verifying once the server's revocation view
 * refreshes (STS through the AWS SDK's client), users may sign in again and what they get then
 * works. It is how an operator cuts what was issued before a restore.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listSessions } from '../../src/app/sessions.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { idcenter } from '../helpers/apply.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { getRoleCredentials, whoAmI } from '../helpers/sts.ts';

const ACCOUNT = '111111111111';

for (const kind of STORE_KINDS) {
  describe(`sessions revoke --all (${kind})`, () => {
    const clock = new ManualClock(Date.now());
    let server: TestServer;
    let org: SeededOrg;

    before(async () => {
      server = await startTestServer({
        store: kind,
        clock,
        seed: async (deps) => {
          org = await seedOrg(deps.ctx, {
            users: [{ userName: 'alice' }, { userName: 'bob' }],
            accounts: [{ id: ACCOUNT }],
            permissionSets: [{ name: 'ReadOnly' }],
            assignments: [
              { user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] },
              { user: 'bob', permissionSet: 'ReadOnly', accounts: [ACCOUNT] },
            ],
          });
        },
      });
    });
    after(async () => server?.stop());

    const bearerOf = async (user: string) =>
      (await issueBearerToken(server.deps.ctx, { userId: org.users[user]! })).accessToken;
    const portalStatus = async (bearer: string) =>
      (
        await fetch(`${server.url}/assignment/accounts?max_result=5`, {
          headers: { 'x-amz-sso_bearer_token': bearer },
        })
      ).status;

    it('ends every session and token at once, and every role credential issued until then', async () => {
      const bearers = [await bearerOf('alice'), await bearerOf('bob')];
      const creds = await Promise.all(
        bearers.map((b) => getRoleCredentials(server.url, b, ACCOUNT, 'ReadOnly')),
      );
      for (const c of creds) assert.equal(await whoAmI(server.url, c), ACCOUNT);

      const storeFlag =
        kind === 'sqlite'
          ? ['--data-dir', server.config.dataDir]
          : ['--database-url', server.config.databaseUrl];
      const r = await idcenter(['sessions', 'revoke', '--all', ...storeFlag]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^Revoked everything issued until \S+: 2 live session\(s\) and every refresh and access token stopped now; every role credential issued until now stops verifying within 60 s on every server\. Users may sign in again\.\n$/,
      );
      for (const b of bearers) assert.equal(await portalStatus(b), 401);
      assert.deepEqual(await listSessions(server.deps.ctx), []);

      // Past the revocation view's longest staleness, and after the revocation instant.
      clock.set(Date.now() + 31_000);
      for (const c of creds) assert.equal(await whoAmI(server.url, c), 'InvalidClientTokenId');

      const again = await bearerOf('alice');
      assert.equal(await portalStatus(again), 200);
      assert.equal(
        await whoAmI(server.url, await getRoleCredentials(server.url, again, ACCOUNT, 'ReadOnly')),
        ACCOUNT,
      );
      const audit = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select(['actor', 'detail'])
        .where('action', '=', 'sessions.revoke_all')
        .execute();
      assert.equal(audit.length, 1);
      assert.match(audit[0]!.actor, /^cli:/);
      assert.deepEqual(JSON.parse(audit[0]!.detail!), { sessions: 2, reason: 'revoked by an administrator' });
    });

    it('refuses --all with --user or --session (exit code 252)', async () => {
      const r = await idcenter([
        'sessions',
        'revoke',
        '--all',
        '--user',
        'alice',
        '--data-dir',
        server.config.dataDir,
      ]);
      assert.equal(r.code, 252);
      assert.match(r.stderr, /give exactly one of --user <userName>, --session <id> or --all/);
    });
  });
}
