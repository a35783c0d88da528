/**
 * SSO portal API against real clients (@aws-sdk/client-sso, botocore) on SQLite and
 * PostgreSQL: what a user may see and use, paging, every bearer-token failure, Logout, and the
 * discovery extension with its ETag.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GetRoleCredentialsCommand,
  ListAccountRolesCommand,
  ListAccountsCommand,
  LogoutCommand,
  paginateListAccounts,
  SSOClient,
} from '@aws-sdk/client-sso';
import { revokeFamily } from '../../src/app/auth/tokens.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { scrapeMetrics } from '../helpers/metrics.ts';
import { python } from '../helpers/python.ts';
import { accountIds, issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const GROUP_ACCOUNTS = accountIds(25, 200_000_000_000);
const ADMIN_ACCOUNTS = accountIds(3, 300_000_000_000);
const OTHER_ACCOUNTS = accountIds(5, 400_000_000_000);

for (const kind of STORE_KINDS) {
  describe(`SSO portal API (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let sso: SSOClient;
    let alice: string;
    const clock = new ManualClock(T0);

    before(async () => {
      server = await startTestServer({
        store: kind,
        clock,
        seed: async (deps) => {
          org = await seedOrg(deps.ctx, {
            groups: [{ name: 'Dev' }],
            users: [
              { userName: 'alice', groups: ['Dev'] },
              { userName: 'bob' },
              { userName: 'carol', groups: ['Dev'], status: 'DISABLED' },
            ],
            accounts: [...GROUP_ACCOUNTS, ...ADMIN_ACCOUNTS, ...OTHER_ACCOUNTS].map((id) => ({
              id,
              name: `Acct ${id}`,
            })),
            permissionSets: [{ name: 'ReadOnly', sessionHours: 2 }, { name: 'Admin' }, { name: 'Billing' }],
            assignments: [
              { group: 'Dev', permissionSet: 'ReadOnly', accounts: [...GROUP_ACCOUNTS, ADMIN_ACCOUNTS[0]!] },
              { user: 'alice', permissionSet: 'Admin', accounts: ADMIN_ACCOUNTS },
              { user: 'bob', permissionSet: 'Billing', accounts: OTHER_ACCOUNTS.slice(0, 1) },
            ],
          });
        },
      });
      sso = new SSOClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
      alice = (await issueBearerToken(server.deps.ctx, { userId: org.users.alice! })).accessToken;
    });
    after(async () => {
      sso?.destroy();
      await server?.stop();
    });

    const raw = (path: string, token?: string, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: { ...(token ? { 'x-amz-sso_bearer_token': token } : {}), ...(init.headers ?? {}) },
      });

    async function expectError(res: Response, status: number, type: string, message?: RegExp) {
      assert.equal(res.status, status);
      assert.equal(res.headers.get('x-amzn-errortype'), type);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const body = (await res.json()) as { message: string };
      if (message) assert.match(body.message, message);
    }

    it('ListAccounts pages through exactly the accounts assigned directly or through groups, in a stable order', async () => {
      const seen: string[] = [];
      for await (const page of paginateListAccounts({ client: sso, pageSize: 7 }, { accessToken: alice })) {
        assert.ok((page.accountList?.length ?? 0) <= 7);
        for (const a of page.accountList ?? []) {
          seen.push(a.accountId!);
          assert.equal(a.accountName, `Acct ${a.accountId}`);
          assert.equal(a.emailAddress, `aws+${a.accountId}@example.com`);
        }
      }
      const expected = [...GROUP_ACCOUNTS, ...ADMIN_ACCOUNTS].sort();
      assert.deepEqual(seen, expected);
      const first = await sso.send(new ListAccountsCommand({ accessToken: alice }));
      assert.equal(first.accountList?.length, 20, 'default page size 20');
      assert.ok(first.nextToken);
      const all = await sso.send(new ListAccountsCommand({ accessToken: alice, maxResults: 100 }));
      assert.equal(all.accountList?.length, 28);
      assert.equal(all.nextToken, undefined, 'no token on the last page');
    });

    it('ListAccounts refuses page sizes out of range and foreign or broken tokens', async () => {
      for (const m of ['0', '101', '-1', 'ten', '1.5']) {
        await expectError(
          await raw(`/assignment/accounts?max_result=${m}`, alice),
          400,
          'InvalidRequestException',
          /max_result/,
        );
      }
      await expectError(
        await raw('/assignment/accounts?next_token=%%%', alice),
        400,
        'InvalidRequestException',
      );
      // A well-formed token whose position is not an account id (here a NUL byte, which
      // PostgreSQL would refuse) is refused before it reaches the store.
      const forged = Buffer.from(JSON.stringify({ v: 1, k: 'accounts', a: '\u0000' })).toString('base64url');
      await expectError(
        await raw(`/assignment/accounts?next_token=${forged}`, alice),
        400,
        'InvalidRequestException',
      );
      const roles = await sso.send(
        new ListAccountRolesCommand({ accessToken: alice, accountId: ADMIN_ACCOUNTS[0], maxResults: 1 }),
      );
      assert.ok(roles.nextToken);
      await expectError(
        await raw(`/assignment/accounts?next_token=${encodeURIComponent(roles.nextToken)}`, alice),
        400,
        'InvalidRequestException',
        /next_token/,
      );
    });

    it('ListAccountRoles lists the permission sets of one account by name, paged', async () => {
      const both = await sso.send(
        new ListAccountRolesCommand({ accessToken: alice, accountId: ADMIN_ACCOUNTS[0] }),
      );
      assert.deepEqual(
        both.roleList?.map((r) => [r.roleName, r.accountId]),
        [
          ['Admin', ADMIN_ACCOUNTS[0]],
          ['ReadOnly', ADMIN_ACCOUNTS[0]],
        ],
      );
      const p1 = await sso.send(
        new ListAccountRolesCommand({ accessToken: alice, accountId: ADMIN_ACCOUNTS[0], maxResults: 1 }),
      );
      const p2 = await sso.send(
        new ListAccountRolesCommand({
          accessToken: alice,
          accountId: ADMIN_ACCOUNTS[0],
          maxResults: 1,
          nextToken: p1.nextToken,
        }),
      );
      assert.deepEqual([p1.roleList?.[0]?.roleName, p2.roleList?.[0]?.roleName], ['Admin', 'ReadOnly']);
      assert.equal(p2.nextToken, undefined);
      const none = await sso.send(
        new ListAccountRolesCommand({ accessToken: alice, accountId: OTHER_ACCOUNTS[0] }),
      );
      assert.deepEqual(none.roleList, []);
      await expectError(await raw('/assignment/roles', alice), 400, 'InvalidRequestException', /account_id/);
      await expectError(
        await raw('/assignment/roles?account_id=12ab', alice),
        400,
        'InvalidRequestException',
      );
    });

    it('GetRoleCredentials returns ASIA credentials that expire after the session duration, in ms', async () => {
      const res = await sso.send(
        new GetRoleCredentialsCommand({
          accessToken: alice,
          accountId: GROUP_ACCOUNTS[3],
          roleName: 'ReadOnly',
        }),
      );
      const c = res.roleCredentials!;
      assert.match(c.accessKeyId!, /^ASIA[A-Z0-9]{16}$/);
      assert.equal(c.secretAccessKey!.length, 40);
      assert.ok(c.sessionToken!.length > 100);
      assert.equal(c.expiration, clock.now() + 2 * 3600_000);
    });

    it('GetRoleCredentials waits for its audit commit, which /metrics reports', async () => {
      const sample = async (name: string) =>
        (await scrapeMetrics(server.url, server.config.metricsToken))(`${name}{result="committed"}`);
      const events = () => sample('idcenter_audit_commit_events_sum');
      const commits = () => sample('idcenter_audit_commit_duration_seconds_count');
      const seconds = () => sample('idcenter_audit_commit_duration_seconds_sum');
      const [events0, commits0, seconds0] = [await events(), await commits(), await seconds()];
      const issued = await Promise.all(
        GROUP_ACCOUNTS.slice(0, 6).map((accountId) =>
          sso.send(new GetRoleCredentialsCommand({ accessToken: alice, accountId, roleName: 'ReadOnly' })),
        ),
      );
      const keys = issued.map((r) => r.roleCredentials!.accessKeyId!);
      // Each answer left after its event was committed: the rows are there, and counted.
      const rows = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select('detail')
        .where('action', '=', 'credentials.issue')
        .execute();
      for (const key of keys)
        assert.ok(
          rows.some((r) => r.detail?.includes(key)),
          `no audit row for ${key}`,
        );
      assert.equal((await events()) - events0, 6);
      const commitsMade = (await commits()) - commits0;
      assert.ok(commitsMade >= 1 && commitsMade <= 6, `${commitsMade} commits for 6 events`);
      assert.ok((await seconds()) > seconds0);
    });

    it('GetRoleCredentials without access is ForbiddenException "No access" and mints nothing', async () => {
      const count = async () =>
        (
          await server.deps.ctx.store.db
            .selectFrom('audit_events')
            .select('id')
            .where('action', '=', 'credentials.issue')
            .execute()
        ).length;
      const before = await count();
      const cases = [
        `account_id=${OTHER_ACCOUNTS[0]}&role_name=Billing`, // someone else's assignment
        `account_id=${GROUP_ACCOUNTS[0]}&role_name=Admin`, // a role assigned elsewhere
        `account_id=${GROUP_ACCOUNTS[0]}&role_name=NoSuchRole`,
        `account_id=999999999999&role_name=ReadOnly`,
      ];
      for (const q of cases) {
        await expectError(
          await raw(`/federation/credentials?${q}`, alice),
          403,
          'ForbiddenException',
          /^No access$/,
        );
      }
      await expectError(
        await raw(`/federation/credentials?account_id=${GROUP_ACCOUNTS[0]}`, alice),
        400,
        'InvalidRequestException',
        /role_name/,
      );
      await expectError(
        await raw(`/federation/credentials?role_name=ReadOnly`, alice),
        400,
        'InvalidRequestException',
        /account_id/,
      );
      await expectError(
        await raw(
          `/federation/credentials?role_name=${'x'.repeat(40)}&account_id=${GROUP_ACCOUNTS[0]}`,
          alice,
        ),
        400,
        'InvalidRequestException',
      );
      assert.equal(await count(), before);
    });

    it('refuses missing, malformed, unknown, expired, logged-out and revoked bearer tokens and disabled users', async () => {
      const ctx = server.deps.ctx;
      const short = await issueBearerToken(ctx, { userId: org.users.alice!, accessTtlMs: 1000 });
      const revoked = await issueBearerToken(ctx, { userId: org.users.alice! });
      await revokeFamily(ctx.store.db, revoked.familyId, clock.now(), 'test');
      const sessionRevoked = await issueBearerToken(ctx, { userId: org.users.alice! });
      await ctx.store.db
        .updateTable('portal_sessions')
        .set({ revoked_at: clock.now() })
        .where('id', '=', sessionRevoked.sessionId)
        .execute();
      const loggedOut = await issueBearerToken(ctx, { userId: org.users.alice! });
      await sso.send(new LogoutCommand({ accessToken: loggedOut.accessToken }));
      const disabled = await issueBearerToken(ctx, { userId: org.users.carol! });
      clock.advance(1001);
      const tokens: Array<[string, string | undefined]> = [
        ['missing', undefined],
        ['malformed', 'x'],
        ['unknown', `aoa${'A'.repeat(43)}`],
        ['expired', short.accessToken],
        ['family revoked', revoked.accessToken],
        ['portal session revoked', sessionRevoked.accessToken],
        ['logged out', loggedOut.accessToken],
        ['user disabled', disabled.accessToken],
      ];
      for (const [label, token] of tokens) {
        for (const path of [
          '/assignment/accounts',
          `/assignment/roles?account_id=${GROUP_ACCOUNTS[0]}`,
          `/federation/credentials?account_id=${GROUP_ACCOUNTS[0]}&role_name=ReadOnly`,
          '/idcenter/v1/access',
        ]) {
          const res = await raw(path, token);
          assert.equal(res.status, 401, `${label} on ${path}`);
          await expectError(res, 401, 'UnauthorizedException', /^Session token not found or invalid$/);
        }
      }
      await assert.rejects(sso.send(new ListAccountsCommand({ accessToken: short.accessToken })), {
        name: 'UnauthorizedException',
      });
    });

    it('Logout ends the access token and every refresh token of its family', async () => {
      const ctx = server.deps.ctx;
      const t = await issueBearerToken(ctx, { userId: org.users.alice! });
      const other = await issueBearerToken(ctx, { userId: org.users.alice! });
      await sso.send(new LogoutCommand({ accessToken: t.accessToken }));
      const refresh = await ctx.store.db
        .selectFrom('refresh_tokens')
        .select(['revoked_at'])
        .where('family_id', '=', t.familyId)
        .execute();
      assert.ok(refresh.length > 0);
      assert.ok(refresh.every((r) => r.revoked_at !== null));
      await assert.rejects(sso.send(new ListAccountsCommand({ accessToken: t.accessToken })), {
        name: 'UnauthorizedException',
      });
      // Another login of the same user is untouched.
      const still = await sso.send(
        new ListAccountsCommand({ accessToken: other.accessToken, maxResults: 1 }),
      );
      assert.equal(still.accountList?.length, 1);
      await expectError(
        await raw('/logout', t.accessToken, { method: 'POST' }),
        401,
        'UnauthorizedException',
      );
      const audit = await ctx.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'token.logout')
        .where('target_id', '=', t.familyId)
        .execute();
      assert.equal(audit.length, 1);
    });

    it('discovery returns every account with its roles in one response, with an ETag and 304', async () => {
      const res = await raw('/idcenter/v1/access', alice);
      assert.equal(res.status, 200);
      const etag = res.headers.get('etag');
      assert.match(etag ?? '', /^"[A-Za-z0-9_-]{43}"$/);
      const body = (await res.json()) as {
        accountList: Array<{ accountId: string; accountName: string; roleList: Array<{ roleName: string }> }>;
      };
      assert.equal(body.accountList.length, 28);
      assert.deepEqual(
        body.accountList.map((a) => a.accountId),
        [...GROUP_ACCOUNTS, ...ADMIN_ACCOUNTS].sort(),
      );
      const admin0 = body.accountList.find((a) => a.accountId === ADMIN_ACCOUNTS[0]);
      assert.deepEqual(
        admin0?.roleList.map((r) => r.roleName),
        ['Admin', 'ReadOnly'],
      );
      const again = await raw('/idcenter/v1/access', alice, { headers: { 'if-none-match': etag! } });
      assert.equal(again.status, 304);
      assert.equal(again.headers.get('etag'), etag);
      assert.equal(await again.text(), '');
      // A change to the user's access changes the answer and its ETag.
      const ctx = server.deps.ctx;
      await ctx.store.db
        .insertInto('account_assignments')
        .values({
          id: `extra-${kind}`,
          account_id: OTHER_ACCOUNTS[1]!,
          permission_set_id: org.permissionSets.Billing!,
          principal_type: 'USER',
          principal_id: org.users.alice!,
          created_at: clock.now(),
          created_by: 'test',
        })
        .execute();
      const changed = await raw('/idcenter/v1/access', alice, { headers: { 'if-none-match': etag! } });
      assert.equal(changed.status, 200);
      assert.notEqual(changed.headers.get('etag'), etag);
      const changedBody = (await changed.json()) as { accountList: unknown[] };
      assert.equal(changedBody.accountList.length, 29);
      await ctx.store.db.deleteFrom('account_assignments').where('id', '=', `extra-${kind}`).execute();
    });

    it('botocore maps the errors to their exceptions and pages like the AWS CLI', async () => {
      const script = `
import json, sys, botocore.session
s = botocore.session.get_session()
c = s.create_client('sso', region_name='us-east-1', endpoint_url=sys.argv[1])
out = {}
accounts = []
for page in c.get_paginator('list_accounts').paginate(accessToken=sys.argv[2], PaginationConfig={'PageSize': 9}):
    accounts += [a['accountId'] for a in page['accountList']]
out['accounts'] = accounts
for name, call in [
    ('bad', lambda: c.list_accounts(accessToken='nope-not-a-token-at-all')),
    ('forbidden', lambda: c.get_role_credentials(accessToken=sys.argv[2], accountId=sys.argv[3], roleName='Billing')),
]:
    try:
        call(); out[name] = 'no error'
    except c.exceptions.ClientError as e:
        out[name] = [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
cred = c.get_role_credentials(accessToken=sys.argv[2], accountId=sys.argv[4], roleName='Admin')['roleCredentials']
out['expiration'] = cred['expiration']
print(json.dumps(out))
`;
      const r = await python(script, [server.url, alice, OTHER_ACCOUNTS[0]!, ADMIN_ACCOUNTS[1]!]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out.accounts, [...GROUP_ACCOUNTS, ...ADMIN_ACCOUNTS].sort());
      assert.deepEqual(out.bad, ['UnauthorizedException', 'Session token not found or invalid', 401]);
      assert.deepEqual(out.forbidden, ['ForbiddenException', 'No access', 403]);
      assert.equal(out.expiration, clock.now() + 3600_000);
    });
  });
}
