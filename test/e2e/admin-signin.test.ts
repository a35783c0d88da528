/**
 * The sign-in `idcenter user sso-token` makes, on both stores: its token works at the portal, its
 * refresh token at CreateToken, it is audited as made by the administrator, it ends when the
 * administrator revokes the user's sessions, and a disabled user gets none.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueAdminSignIn } from '../../src/app/auth/admin-signin.ts';
import { revokeUserEverything } from '../../src/app/sessions.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startSeededServer } from './cli-harness.ts';

for (const kind of STORE_KINDS) {
  describe(`administrator sign-in (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      ({ server } = await startSeededServer(kind, {
        users: [{ userName: 'alice' }, { userName: 'gone' }],
        accounts: [{ id: '111111111111', name: 'Dev' }],
        permissionSets: [{ name: 'Admin' }],
        assignments: [{ user: 'alice', permissionSet: 'Admin', accounts: ['111111111111'] }],
      }));
    });
    after(async () => server?.stop());

    const input = (userName: string) => ({
      userName,
      origin: new URL(server.url).origin,
      scopes: ['sso:account:access'],
      clientName: 'idcenter-sso-token-ci',
      accessTokenTtlMs: 3600_000,
      sessionTtlMs: 8 * 3600_000,
      actor: 'cli:ci',
    });

    async function listAccounts(token: string): Promise<number> {
      const res = await fetch(`${server.url}/assignment/accounts?max_result=10`, {
        headers: { 'x-amz-sso_bearer_token': token },
      });
      return res.status;
    }

    it('issues a token the portal accepts and a refresh token CreateToken accepts; audited', async () => {
      const s = await issueAdminSignIn(server.deps.ctx, input('alice'));
      assert.equal(await listAccounts(s.accessToken), 200);
      const refreshed = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          clientId: s.clientId,
          clientSecret: s.clientSecret,
          grantType: 'refresh_token',
          refreshToken: s.refreshToken,
        }),
      });
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
      const rows = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('actor', '=', 'cli:ci')
        .execute();
      const actions = rows.map((r) => r.action).sort();
      assert.deepEqual(actions, ['signin.success', 'token.issue']);
      assert.match(String(rows.find((r) => r.action === 'token.issue')?.detail), /"grant":"administrator"/);

      await revokeUserEverything(server.deps.ctx, 'alice', 'test');
      assert.equal(await listAccounts(s.accessToken), 401);
    });

    it('refuses an unknown or disabled user', async () => {
      await assert.rejects(issueAdminSignIn(server.deps.ctx, input('nobody')), /no user named "nobody"/);
      await server.deps.ctx.store.db
        .updateTable('users')
        .set({ status: 'DISABLED' })
        .where('user_name', '=', 'gone')
        .execute();
      await assert.rejects(issueAdminSignIn(server.deps.ctx, input('gone')), /is disabled/);
    });
  });
}
