/**
 * The portal API's error catalog through a real client: boto3's `sso` client (GetRoleCredentials,
 * ListAccounts, ListAccountRoles, Logout) against a test server, on SQLite and PostgreSQL. A
 * disabled user's token, a revoked sign-in and a role the user may not use answer the model's
 * errors; and every domain error the application can raise — injected where every operation
 * first reads the store (`Store.generation`, behind the bearer-token check) — leaves as the one
 * error of the portal's catalog, with its public message and never its private detail, where
 * codes such as conflict, locked_out, access_denied or invalid_grant used to become 500s.
 * GetRoleCredentials goes through the fast path, the others through Fastify.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { run } from '../helpers/python.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { loadServiceModel, operationErrors, type ServiceModel } from '../helpers/service-model.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const ACCOUNT = '111122223333';
const UNASSIGNED = '444455556666';
const OPERATIONS = ['GetRoleCredentials', 'ListAccounts', 'ListAccountRoles', 'Logout'] as const;
type Operation = (typeof OPERATIONS)[number];
const UNAUTHORIZED = 'Session token not found or invalid';

/** [exception, status, message] as botocore reports it, or 'ok'. */
type Outcome = [string, string, number] | 'ok';

/** Run each call of `calls` with boto3's sso client, in order; one attempt each. */
async function boto3Sso(
  url: string,
  calls: Array<{ op: Operation; token: string; account: string }>,
): Promise<Outcome[]> {
  const script = `
import json, sys, boto3
from botocore.config import Config
a = json.load(sys.stdin)
c = boto3.client('sso', region_name='us-east-1', endpoint_url=a['url'],
                 config=Config(retries={'total_max_attempts': 1}))
ops = {
    'GetRoleCredentials': lambda t, acct: c.get_role_credentials(accessToken=t, accountId=acct, roleName='ReadOnly'),
    'ListAccounts': lambda t, acct: c.list_accounts(accessToken=t),
    'ListAccountRoles': lambda t, acct: c.list_account_roles(accessToken=t, accountId=acct),
    'Logout': lambda t, acct: c.logout(accessToken=t),
}
out = []
for call in a['calls']:
    try:
        ops[call['op']](call['token'], call['account'])
        out.append('ok')
    except c.exceptions.ClientError as e:
        r = e.response
        out.append([r['Error']['Code'], r['Error']['Message'], r['ResponseMetadata']['HTTPStatusCode']])
print(json.dumps(out))
`;
  const r = await run('python3', ['-c', script], { input: JSON.stringify({ url, calls }) });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Outcome[];
}

/** What each injected domain error must answer: exception, status, and the message ('own': its own). */
const EXPECTED: Record<DomainErrorCode, [string, number, string]> = {
  validation: ['InvalidRequestException', 400, 'own'],
  invalid_request: ['InvalidRequestException', 400, 'own'],
  invalid_client_metadata: ['InvalidRequestException', 400, 'own'],
  invalid_redirect_uri: ['InvalidRequestException', 400, 'own'],
  invalid_scope: ['InvalidRequestException', 400, 'own'],
  unsupported_grant_type: ['InvalidRequestException', 400, 'own'],
  conflict: ['InvalidRequestException', 400, 'own'],
  directory_owned: ['InvalidRequestException', 400, 'own'],
  not_found: ['ResourceNotFoundException', 404, 'own'],
  unauthorized: ['UnauthorizedException', 401, UNAUTHORIZED],
  expired_token: ['UnauthorizedException', 401, UNAUTHORIZED],
  invalid_client: ['UnauthorizedException', 401, UNAUTHORIZED],
  invalid_grant: ['UnauthorizedException', 401, UNAUTHORIZED],
  unauthorized_client: ['UnauthorizedException', 401, UNAUTHORIZED],
  authorization_pending: ['UnauthorizedException', 401, UNAUTHORIZED],
  locked_out: ['UnauthorizedException', 401, 'own'],
  forbidden: ['ForbiddenException', 403, 'No access'],
  access_denied: ['ForbiddenException', 403, 'own'],
  throttled: ['TooManyRequestsException', 429, 'own'],
  slow_down: ['TooManyRequestsException', 429, 'own'],
  unavailable: ['ServiceUnavailableException', 503, 'own'],
  internal: ['InternalServerException', 500, 'An internal error occurred'],
};

/** The one the model does not let an operation answer: Logout has no ResourceNotFoundException. */
function expected(code: DomainErrorCode, op: Operation): [string, number, string] {
  if (code === 'not_found' && op === 'Logout') return ['UnauthorizedException', 401, UNAUTHORIZED];
  return EXPECTED[code];
}

/** Errors AWS sends on these operations that the model does not list (see error-catalogs.test.ts). */
const UNMODELED = new Map([
  ['ForbiddenException', 403],
  ['ServiceUnavailableException', 503],
  ['InternalServerException', 500],
]);

for (const kind of STORE_KINDS) {
  describe(`SSO portal API errors through boto3 (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let model: ServiceModel;
    const clock = new ManualClock(T0);

    before(async () => {
      model = await loadServiceModel('sso');
      server = await startTestServer({
        store: kind,
        clock,
        seed: async (deps) => {
          org = await seedOrg(deps.ctx, {
            groups: [{ name: 'Dev' }],
            users: [
              { userName: 'alice', groups: ['Dev'] },
              { userName: 'carol', groups: ['Dev'], status: 'DISABLED' },
            ],
            accounts: [
              { id: ACCOUNT, name: 'Dev account' },
              { id: UNASSIGNED, name: 'Someone else' },
            ],
            permissionSets: [{ name: 'ReadOnly' }],
            assignments: [{ group: 'Dev', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
          });
        },
      });
    });
    after(async () => {
      await server?.stop();
    });

    /** An outcome against the model: an error the operation lists, with its status, or a documented one. */
    function assertModeled(op: Operation, o: Outcome) {
      if (o === 'ok') return;
      const [code, , status] = o;
      const modeled = operationErrors(model, op);
      const want = modeled.has(code) ? modeled.get(code) : UNMODELED.get(code);
      assert.ok(want !== undefined || modeled.has(code), `${op}: ${code} is not an error of the operation`);
      if (want !== undefined) assert.equal(status, want, `${op}: ${code} status`);
    }

    it("a disabled user's token, a revoked sign-in and a role without access answer the model's errors", async () => {
      const ctx = server.deps.ctx;
      const disabled = await issueBearerToken(ctx, { userId: org.users.carol! });
      const revoked = await issueBearerToken(ctx, { userId: org.users.alice! });
      await ctx.store.db
        .updateTable('portal_sessions')
        .set({ revoked_at: clock.now() })
        .where('id', '=', revoked.sessionId)
        .execute();
      const alice = await issueBearerToken(ctx, { userId: org.users.alice! });
      const calls = [
        ...OPERATIONS.map((op) => ({ op, token: disabled.accessToken, account: ACCOUNT })),
        ...OPERATIONS.map((op) => ({ op, token: revoked.accessToken, account: ACCOUNT })),
        { op: 'GetRoleCredentials' as const, token: alice.accessToken, account: UNASSIGNED },
      ];
      const out = await boto3Sso(server.url, calls);
      const unauthorized: Outcome = ['UnauthorizedException', UNAUTHORIZED, 401];
      assert.deepEqual(out, [...Array(8).fill(unauthorized), ['ForbiddenException', 'No access', 403]]);
      out.forEach((o, i) => {
        assertModeled(calls[i]!.op, o);
      });
    });

    it('every domain error leaves as its catalog error with its public message, never as a 500 or its detail', async () => {
      const token = (await issueBearerToken(server.deps.ctx, { userId: org.users.alice! })).accessToken;
      const store = server.deps.ctx.store;
      const codes = Object.keys(EXPECTED) as DomainErrorCode[];
      const calls = codes.flatMap((code) => OPERATIONS.map((op) => ({ code, op, token, account: ACCOUNT })));
      // Each call reads the store generation first (behind the bearer token): the queue's next
      // error is raised there, in the order boto3 makes the calls.
      const queue = calls.map(
        ({ code }) =>
          new DomainError(code, `Public text for ${code}`, { detail: `private-detail-${code} at 10.9.8.7` }),
      );
      const generation = store.generation;
      store.generation = () => {
        const err = queue.shift();
        if (!err) throw new Error('more store reads than calls');
        throw err;
      };
      let out: Outcome[];
      try {
        out = await boto3Sso(server.url, calls);
      } finally {
        store.generation = generation;
      }
      assert.equal(queue.length, 0, 'one store read per call');
      // Side by side, so that every call that answers otherwise shows at once.
      const answered = calls.map(({ code, op }, i) => [`${code} on ${op}`, out[i]]);
      const wanted = calls.map(({ code, op }) => {
        const [type, status, message] = expected(code, op);
        return [`${code} on ${op}`, [type, message === 'own' ? `Public text for ${code}` : message, status]];
      });
      assert.deepEqual(answered, wanted);
      calls.forEach(({ op }, i) => {
        assertModeled(op, out[i]!);
      });
      assert.doesNotMatch(JSON.stringify(out), /private-detail|10\.9\.8\.7/);
      // The detail is for operators: in the log, with the request.
      const logs = server.logs.join('');
      for (const code of ['locked_out', 'conflict', 'access_denied', 'internal']) {
        assert.match(logs, new RegExp(`private-detail-${code}`), `${code}'s detail is logged`);
      }
    });

    it('a failure inside the server answers InternalServerException without its text', async () => {
      const token = (await issueBearerToken(server.deps.ctx, { userId: org.users.alice! })).accessToken;
      const store = server.deps.ctx.store;
      const generation = store.generation;
      store.generation = () => {
        throw new Error('could not connect to 10.9.8.7:5432 as idcenter');
      };
      let out: Outcome[];
      try {
        out = await boto3Sso(
          server.url,
          OPERATIONS.map((op) => ({ op, token, account: ACCOUNT })),
        );
      } finally {
        store.generation = generation;
      }
      assert.deepEqual(out, Array(4).fill(['InternalServerException', 'An internal error occurred', 500]));
    });
  });
}
