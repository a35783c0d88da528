/**
 * Two servers in one process, each on a store of its own, share nothing they keep in memory
 * between requests (`app/memory.ts`, the credential service): a bearer token or an OIDC client
 * that one server has just read and kept is unknown to the other, even though both stores hold
 * the same organization at the same store generation (the key a kept answer is checked against).
 * Driven with the AWS SDK's SSO and SSO OIDC clients. SQLite only: what is checked lives in the
 * process, not in the store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetRoleCredentialsCommand, ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import {
  InvalidClientException,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { ManualClock } from '../../src/domain/runtime.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ACCOUNT = '111111111111';

describe('two servers in one process', () => {
  const servers: TestServer[] = [];
  const orgs: SeededOrg[] = [];
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12, 0, 0));

  before(async () => {
    for (let i = 0; i < 2; i++) {
      servers.push(
        await startTestServer({
          clock,
          seed: async (deps) => {
            orgs.push(
              await seedOrg(deps.ctx, {
                users: [{ userName: 'alice' }],
                accounts: [{ id: ACCOUNT }],
                permissionSets: [{ name: 'ReadOnly' }],
                assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
              }),
            );
          },
        }),
      );
    }
  });
  after(async () => {
    for (const s of servers) await s.stop();
  });

  const sso = (server: TestServer) =>
    new SSOClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
  const oidc = (server: TestServer) =>
    new SSOOIDCClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });

  it('a token one server has resolved and kept is refused by the other', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    assert.equal(
      await a.deps.ctx.store.generation(),
      await b.deps.ctx.store.generation(),
      'both stores at one generation',
    );
    const { accessToken } = await issueBearerToken(a.deps.ctx, { userId: orgs[0]!.users.alice! });
    const onA = sso(a);
    const onB = sso(b);
    try {
      const listed = await onA.send(new ListAccountsCommand({ accessToken }));
      assert.deepEqual(
        listed.accountList?.map((x) => x.accountId),
        [ACCOUNT],
      );
      const creds = await onA.send(
        new GetRoleCredentialsCommand({ accessToken, accountId: ACCOUNT, roleName: 'ReadOnly' }),
      );
      assert.ok(creds.roleCredentials?.accessKeyId);
      await assert.rejects(onB.send(new ListAccountsCommand({ accessToken })), {
        name: 'UnauthorizedException',
      });
      await assert.rejects(
        onB.send(new GetRoleCredentialsCommand({ accessToken, accountId: ACCOUNT, roleName: 'ReadOnly' })),
        { name: 'UnauthorizedException' },
      );
    } finally {
      onA.destroy();
      onB.destroy();
    }
  });

  it('an OIDC client one server has read and kept is unknown to the other', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const onA = oidc(a);
    const onB = oidc(b);
    try {
      const reg = await onA.send(
        new RegisterClientCommand({ clientName: 'two-servers', clientType: 'public' }),
      );
      const client = { clientId: reg.clientId, clientSecret: reg.clientSecret };
      const started = await onA.send(
        new StartDeviceAuthorizationCommand({ ...client, startUrl: a.config.startUrl }),
      );
      assert.ok(started.deviceCode);
      await assert.rejects(
        onB.send(new StartDeviceAuthorizationCommand({ ...client, startUrl: b.config.startUrl })),
        InvalidClientException,
      );
    } finally {
      onA.destroy();
      onB.destroy();
    }
  });
});
