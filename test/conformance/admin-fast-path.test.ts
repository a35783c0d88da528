/**
 * The admin APIs on the fast path (`src/http/fast-path.ts`) answer exactly as their Fastify
 * route does, and what the answerer keeps between calls (the caller with its permission set's
 * policies and allowed decisions, the instance row) never outlives a change that takes access
 * away. On SQLite and PostgreSQL.
 *
 * Two servers share one store, one data directory (so one set of credential-sealing keys) and
 * one manual clock: one with the fast path, one without it (`fastPath: false`). The same calls
 * go to each from boto3 and from the JS SDK (@aws-sdk/client-identitystore, and the sso-admin and
 * organizations clients), each client signing for the server it calls, and everything a client
 * or an operator sees is compared: status, headers (but the request id and date), bodies with
 * the request id and the values minted per call normalised, the audit rows each call wrote, the
 * one request log line of each call and the request-duration and security-event metrics.
 * Which path answered is seen in the raw header names boto3 received: the fast path writes
 * `x-amzn-RequestId` as AWS spells it, Fastify lowercases every header name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateUserCommand, ListUsersCommand } from '@aws-sdk/client-identitystore';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import {
  DeleteInlinePolicyFromPermissionSetCommand,
  ListPermissionSetsCommand,
  PutInlinePolicyToPermissionSetCommand,
} from '@aws-sdk/client-sso-admin';
import { noteRevocations } from '../../src/app/admin/who.ts';
import { MAX_CREDENTIAL_LIFETIME_MS } from '../../src/app/revocation.ts';
import { revokeOwnSessions, revokeUserEverything } from '../../src/app/sessions.ts';
import { disableUser, enableUser } from '../../src/app/users.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import {
  ADMIN_ORG,
  identityStoreClient,
  identityStoreId,
  instanceArn,
  organizationsClient,
  roleCredentials,
  ssoAdminClient,
} from '../helpers/admin.ts';
import { applyText } from '../helpers/apply.ts';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';
import type { RoleCredentials } from '../helpers/sts.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * boto3 against one server: every call's status, raw header names, headers and body (request
 * id, NextToken and a created user's id normalised), and the request id. Signed at the
 * servers' (manual) time. Prints one JSON object, by call name.
 */
const BOTO3_CALLS = `
import json, sys, re, datetime, boto3, botocore.auth
from botocore.config import Config
a = json.loads(sys.argv[1])
fixed = datetime.datetime.fromtimestamp(a['at'] / 1000, datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda *x, **k: fixed
cfg = Config(retries={'total_max_attempts': 1}, parameter_validation=False)
last = {}
def hook(http_response, **kw):
    last['raw'] = http_response
def client(service, c, **kw):
    cl = boto3.client(service, region_name='us-east-1', endpoint_url=a['url'], config=cfg,
                      aws_access_key_id=c['accessKeyId'], aws_secret_access_key=c['secretAccessKey'],
                      aws_session_token=c['sessionToken'])
    cl.meta.events.register('after-call', hook)
    return cl
out = {}
def call(name, f):
    last.clear()
    try:
        f()
    except Exception as e:
        if getattr(e, 'response', None) is None:
            out[name] = {'exception': type(e).__name__, 'text': str(e)}
            return
    r = last['raw']
    names = list(r.raw.headers.keys())
    rid = r.headers.get('x-amzn-requestid', '')
    headers = {k.lower(): v for k, v in r.headers.items() if k.lower() not in ('x-amzn-requestid', 'date', 'keep-alive', 'content-length')}
    body = r.content.decode('utf-8').replace(rid, '(request id)')
    body = re.sub(r'"NextToken":"[^"]+"', '"NextToken":"(token)"', body)
    body = re.sub(r'"UserId":"[0-9a-f]{10}-[0-9a-f-]{36}"', '"UserId":"(id)"', body)
    out[name] = {'status': r.status_code, 'names': names, 'headers': headers, 'body': body, 'requestId': rid,
                 'length': int(r.headers.get('content-length', '-1')) == len(r.content)}
alice = client('identitystore', a['alice'])
bob = client('identitystore', a['bob'])
wrong = client('identitystore', dict(a['alice'], secretAccessKey='x' * 40))
store = a['store']
call('ListUsers filtered', lambda: alice.list_users(IdentityStoreId=store, Filters=[{'AttributePath': 'UserName', 'AttributeValue': 'Bob'}]))
call('ListUsers page', lambda: alice.list_users(IdentityStoreId=store, MaxResults=2))
nxt = alice.list_users(IdentityStoreId=store, MaxResults=2)['NextToken']
call('ListUsers next page', lambda: alice.list_users(IdentityStoreId=store, MaxResults=2, NextToken=nxt))
call('ListUsers bad NextToken', lambda: alice.list_users(IdentityStoreId=store, NextToken='bm90IGEgdG9rZW4'))
call('ListUsers MaxResults 0', lambda: alice.list_users(IdentityStoreId=store, MaxResults=0))
call('ListUsers filter on Email', lambda: alice.list_users(IdentityStoreId=store, Filters=[{'AttributePath': 'Emails', 'AttributeValue': 'x'}]))
call('ListUsers other store', lambda: alice.list_users(IdentityStoreId='d-0000000000'))
call('DescribeUser unknown', lambda: alice.describe_user(IdentityStoreId=store, UserId='0123456789-01234567-89ab-cdef-0123-456789abcdef'))
call('GetUserId', lambda: alice.get_user_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'userName', 'AttributeValue': 'carol'}}))
call('CreateUser read-only', lambda: bob.create_user(IdentityStoreId=store, UserName='mallory', DisplayName='Mallory'))
call('ListUsers wrong secret', lambda: wrong.list_users(IdentityStoreId=store))
call('CreateUser', lambda: alice.create_user(IdentityStoreId=store, UserName=a['newUser'], DisplayName='New', Name={'GivenName': 'N', 'FamilyName': 'U'}))
uid = alice.get_user_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'userName', 'AttributeValue': a['newUser']}})['UserId']
call('DeleteUser', lambda: alice.delete_user(IdentityStoreId=store, UserId=uid))
call('ListInstances', lambda: client('sso-admin', a['alice']).list_instances())
call('DescribeOrganization', lambda: client('organizations', a['alice']).describe_organization())
print(json.dumps(out))
`;

/** The same calls' outcome through the JS SDK: result or error, the request id checked. */
async function sdkOutcome(
  p: Promise<{ $metadata: { requestId?: string | undefined; httpStatusCode?: number | undefined } }>,
): Promise<unknown> {
  return p.then(
    (r) => {
      const { $metadata, ...rest } = r;
      assert.match($metadata.requestId ?? '', UUID);
      return {
        ...rest,
        NextToken: 'NextToken' in rest ? '(token)' : undefined,
        status: $metadata.httpStatusCode,
      };
    },
    (e: Error & { $metadata?: { httpStatusCode?: number; requestId?: string } }) => {
      assert.match(e.$metadata?.requestId ?? '', UUID);
      return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
    },
  );
}

interface Seen {
  boto3: Record<string, Record<string, unknown> & { requestId: string; names: string[] }>;
  sdk: Record<string, unknown>;
  logs: string[];
  metrics: Record<string, number>;
}

for (const kind of STORE_KINDS) {
  describe(`admin APIs on the fast path (${kind})`, () => {
    let temp: TempStoreUrl;
    let fast: TestServer;
    let storeId: string;
    const clock = new ManualClock(Date.now());
    const seen: Record<'fast' | 'fastify', Seen> = {
      fast: { boto3: {}, sdk: {}, logs: [], metrics: {} },
      fastify: { boto3: {}, sdk: {}, logs: [], metrics: {} },
    };

    before(async () => {
      temp = await tempStoreUrl(kind);
      fast = await startTestServer({
        store: kind,
        reuse: temp,
        clock,
        seed: async (deps) => void (await applyText(deps.ctx, ADMIN_ORG)),
      });
      storeId = await identityStoreId(fast);
    });
    after(async () => {
      await fast?.stop();
      await temp?.cleanup();
    });

    /** The request-duration counts of `POST /` and the security events of a server. */
    const metricsOf = async (server: TestServer) => {
      const out: Record<string, number> = {};
      for (const v of (await server.deps.metrics.httpDuration.get()).values) {
        if (v.metricName !== 'idcenter_http_request_duration_seconds_count' || v.labels.route !== '/')
          continue;
        out[`${v.labels.method} ${v.labels.route} ${v.labels.status}`] = v.value;
      }
      for (const v of (await server.deps.metrics.securityEvents.get()).values) {
        out[`security ${v.labels.kind}`] = v.value;
      }
      return out;
    };

    const drive = async (
      server: TestServer,
      which: 'fast' | 'fastify',
      alice: RoleCredentials,
      bob: RoleCredentials,
    ) => {
      const home = tempHome();
      try {
        const r = await python(
          BOTO3_CALLS,
          [
            JSON.stringify({
              url: server.url,
              at: clock.now(),
              alice,
              bob,
              store: storeId,
              newUser: 'newcomer',
            }),
          ],
          cleanAwsEnv(home.home),
        );
        assert.equal(r.code, 0, r.stderr);
        seen[which].boto3 = JSON.parse(r.stdout);
      } finally {
        home.cleanup();
      }
      const ids = identityStoreClient(server.url, alice);
      const readOnly = identityStoreClient(server.url, bob);
      const wrong = identityStoreClient(server.url, { ...alice, secretAccessKey: 'x'.repeat(40) });
      const sso = ssoAdminClient(server.url, alice);
      const orgs = organizationsClient(server.url, alice);
      for (const c of [ids, readOnly, wrong, sso, orgs])
        c.config.systemClockOffset = clock.now() - Date.now();
      try {
        seen[which].sdk = {
          filtered: await sdkOutcome(
            ids.send(
              new ListUsersCommand({
                IdentityStoreId: storeId,
                Filters: [{ AttributePath: 'UserName', AttributeValue: 'erin' }],
              }),
            ),
          ),
          page: await sdkOutcome(ids.send(new ListUsersCommand({ IdentityStoreId: storeId, MaxResults: 3 }))),
          badToken: await sdkOutcome(
            ids.send(new ListUsersCommand({ IdentityStoreId: storeId, NextToken: 'bm90IGEgdG9rZW4' })),
          ),
          validation: await sdkOutcome(ids.send(new ListUsersCommand({ IdentityStoreId: 'not-a-store' }))),
          readOnlyDenied: await sdkOutcome(
            readOnly.send(
              new CreateUserCommand({
                IdentityStoreId: storeId,
                UserName: 'mallory',
                DisplayName: 'Mallory',
              }),
            ),
          ),
          wrongSecret: await sdkOutcome(wrong.send(new ListUsersCommand({ IdentityStoreId: storeId }))),
          permissionSets: await sdkOutcome(
            sso.send(new ListPermissionSetsCommand({ InstanceArn: await instanceArn(server) })),
          ),
          organization: await sdkOutcome(orgs.send(new DescribeOrganizationCommand({}))),
        };
      } finally {
        for (const c of [ids, readOnly, wrong, sso, orgs]) c.destroy();
      }
    };

    it('boto3 and the JS SDK get the same answers from both paths', async () => {
      const alice = await roleCredentials(fast, 'alice', 'Administrator');
      const bob = await roleCredentials(fast, 'bob', 'AdminReadOnly');
      // The two servers one after the other on the store (a SQLite file takes one server at a
      // time); the credentials verify on both (one data directory: the same sealing keys).
      await drive(fast, 'fast', alice, bob);
      seen.fast.logs = [...fast.logs];
      seen.fast.metrics = await metricsOf(fast);
      await fast.stop();
      const fastify = await startTestServer({ store: kind, reuse: temp, clock, fastPath: false });
      try {
        await drive(fastify, 'fastify', alice, bob);
        seen.fastify.logs = [...fastify.logs];
        seen.fastify.metrics = await metricsOf(fastify);
      } finally {
        await fastify.stop();
        fast = await startTestServer({ store: kind, reuse: temp, clock });
      }
      const f = seen.fast.boto3;
      const s = seen.fastify.boto3;
      assert.deepEqual(Object.keys(f), Object.keys(s));
      for (const name of Object.keys(f)) {
        const a = f[name]!;
        const b = s[name]!;
        assert.ok(a.names, `${name}: ${JSON.stringify(a)}`);
        assert.ok(a.names.includes('x-amzn-RequestId'), `${name} answered by the fast path: ${a.names}`);
        assert.ok(!b.names.includes('x-amzn-RequestId'), `${name} answered by Fastify: ${b.names}`);
        assert.match(a.requestId, UUID);
        assert.match(b.requestId, UUID);
        assert.equal(a.length, true, `${name}: Content-Length is the body's`);
        const { names: _a, requestId: _ra, ...restA } = a;
        const { names: _b, requestId: _rb, ...restB } = b;
        assert.deepEqual(restA, restB, name);
      }
      assert.deepEqual(seen.fast.sdk, seen.fastify.sdk);

      // What the answers say, so the comparison is about the calls it names.
      const code = (name: string) => (f[name]!.headers as Record<string, string>)['x-amzn-errortype'];
      assert.equal(f['ListUsers filtered']!.status, 200);
      assert.deepEqual(
        (JSON.parse(f['ListUsers filtered']!.body as string).Users as Array<{ UserName: string }>).map(
          (u) => u.UserName,
        ),
        ['bob'],
      );
      assert.match(f['ListUsers page']!.body as string, /"NextToken":"\(token\)"/);
      assert.equal(f['ListUsers next page']!.status, 200);
      assert.equal(code('ListUsers bad NextToken'), 'ValidationException');
      assert.equal(code('ListUsers MaxResults 0'), 'ValidationException');
      assert.equal(code('ListUsers filter on Email'), 'ValidationException');
      assert.equal(code('ListUsers other store'), 'ResourceNotFoundException');
      assert.equal(code('DescribeUser unknown'), 'ResourceNotFoundException');
      assert.equal(f.GetUserId!.status, 200);
      assert.equal(code('CreateUser read-only'), 'AccessDeniedException');
      assert.match(
        f['CreateUser read-only']!.body as string,
        /not authorized to perform: identitystore:CreateUser/,
      );
      assert.equal(code('ListUsers wrong secret'), 'InvalidSignatureException');
      assert.equal(f.CreateUser!.status, 200);
      assert.equal(f.DeleteUser!.status, 200);
      assert.equal(f.ListInstances!.status, 200);
      assert.equal(f.DescribeOrganization!.status, 200);
      assert.deepEqual(
        ['filtered', 'badToken', 'validation', 'readOnlyDenied', 'wrongSecret'].map(
          (k) => (seen.fast.sdk[k] as { name?: string; status: number }).name ?? k,
        ),
        [
          'filtered',
          'ValidationException',
          'ValidationException',
          'AccessDeniedException',
          'InvalidSignatureException',
        ],
      );
    });

    it('writes the same audit rows, log lines and metrics on both paths', async () => {
      const rows = async (ids: string[]) =>
        (
          await fast.deps.ctx.store.db
            .selectFrom('audit_events')
            .select(['request_id', 'actor', 'action', 'target_type', 'target_id', 'detail', 'source_ip'])
            .where('request_id', 'in', ids)
            .execute()
        ).map((r) => {
          const detail = JSON.parse(r.detail ?? '{}') as Record<string, unknown>;
          // A created user's id is minted per call; the row names the call by its request id.
          return {
            call: ids.indexOf(r.request_id ?? ''),
            actor: r.actor,
            action: r.action,
            targetType: r.target_type,
            targetId: r.action.startsWith('user.') ? '(user id)' : r.target_id,
            detail: { ...detail, ...('userId' in detail ? { userId: '(user id)' } : {}) },
            sourceIp: r.source_ip,
          };
        });
      const names = Object.keys(seen.fast.boto3);
      const audit = {
        fast: await rows(names.map((n) => seen.fast.boto3[n]!.requestId)),
        fastify: await rows(names.map((n) => seen.fastify.boto3[n]!.requestId)),
      };
      const sorted = (r: typeof audit.fast) =>
        [...r].sort((x, y) => x.call - y.call || x.action.localeCompare(y.action));
      assert.deepEqual(sorted(audit.fast), sorted(audit.fastify));
      const actions = new Set(audit.fast.map((r) => `${names[r.call]}: ${r.action}`));
      for (const expected of [
        'CreateUser read-only: admin.access_denied',
        'ListUsers wrong secret: admin.signature_failure',
        'CreateUser: user.create',
        'DeleteUser: user.delete',
      ]) {
        assert.ok(actions.has(expected), `${expected} in ${[...actions].join(', ')}`);
      }

      // One request line per call, with its status, on each server.
      for (const which of ['fast', 'fastify'] as const) {
        const lines = seen[which].logs
          .map((l) => JSON.parse(l) as { msg?: string; reqId?: string; res?: { statusCode?: number } })
          .filter((l) => l.msg === 'request completed');
        for (const n of names) {
          const call = seen[which].boto3[n]!;
          const mine = lines.filter((l) => l.reqId === call.requestId);
          assert.equal(mine.length, 1, `${which} ${n}: one request line`);
          assert.equal(mine[0]!.res?.statusCode, call.status, `${which} ${n}`);
        }
      }
      const m = seen.fast.metrics;
      assert.deepEqual(m, seen.fastify.metrics);
      assert.ok((m['POST / 200'] ?? 0) > 0 && (m['POST / 400'] ?? 0) > 0 && (m['POST / 403'] ?? 0) > 0);
      assert.ok((m['security admin_access_denied'] ?? 0) > 0 && (m['security signature_failure'] ?? 0) > 0);
    });

    /** ListUsers as these credentials on the fast path: 'ok' or the error's name. */
    const listAs = async (c: RoleCredentials) => {
      const client = identityStoreClient(fast.url, c);
      client.config.systemClockOffset = clock.now() - Date.now();
      try {
        await client.send(
          new ListUsersCommand({
            IdentityStoreId: storeId,
            Filters: [{ AttributePath: 'UserName', AttributeValue: 'alice' }],
          }),
        );
        return 'ok';
      } catch (err) {
        return (err as Error).name;
      } finally {
        client.destroy();
      }
    };

    it('a changed permission set policy decides the very next call', async () => {
      const bob = await roleCredentials(fast, 'bob', 'AdminReadOnly');
      const alice = await roleCredentials(fast, 'alice', 'Administrator');
      // Twice: the second answer comes from what the first kept.
      assert.equal(await listAs(bob), 'ok');
      assert.equal(await listAs(bob), 'ok');
      const ps = await fast.deps.ctx.store.db
        .selectFrom('permission_sets')
        .select('id')
        .where('name', '=', 'AdminReadOnly')
        .executeTakeFirstOrThrow();
      const inst = await instanceArn(fast);
      const psArn = `${inst.replace(':instance/', ':permissionSet/')}/${ps.id}`;
      const sso = ssoAdminClient(fast.url, alice);
      sso.config.systemClockOffset = clock.now() - Date.now();
      try {
        await sso.send(
          new PutInlinePolicyToPermissionSetCommand({
            InstanceArn: inst,
            PermissionSetArn: psArn,
            InlinePolicy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Deny', Action: 'identitystore:ListUsers', Resource: '*' }],
            }),
          }),
        );
        assert.equal(await listAs(bob), 'AccessDeniedException');
        await sso.send(
          new DeleteInlinePolicyFromPermissionSetCommand({ InstanceArn: inst, PermissionSetArn: psArn }),
        );
        assert.equal(await listAs(bob), 'ok');
      } finally {
        sso.destroy();
      }
      // A change through the organization file (apply) too.
      await applyText(
        fast.deps.ctx,
        ADMIN_ORG.replace(
          '  - name: AdminReadOnly\n',
          '  - name: AdminReadOnly\n    inlinePolicy: { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "identitystore:List*", Resource: "*" }] }\n',
        ),
      );
      assert.equal(await listAs(bob), 'AccessDeniedException');
      await applyText(fast.deps.ctx, ADMIN_ORG);
      assert.equal(await listAs(bob), 'ok');
    });

    it('a revoked or signed-out session and a disabled user are refused on the very next call', async () => {
      const user = async (name: string) =>
        (
          await fast.deps.ctx.store.db
            .selectFrom('users')
            .select('id')
            .where('user_name_lower', '=', name)
            .executeTakeFirstOrThrow()
        ).id;
      // Each use case as the admin console runs it in the server: the revocations it wrote are
      // noted in the server's view at once.
      const note = (
        revocations: Array<{ kind: 'user' | 'session' | 'family' | 'access' | 'all'; subject: string }>,
        at: number,
      ) => {
        for (const r of revocations)
          fast.deps.credentials.revocations.note(r.kind, r.subject, at, at + MAX_CREDENTIAL_LIFETIME_MS);
      };

      let bob = await roleCredentials(fast, 'bob', 'AdminReadOnly');
      assert.equal(await listAs(bob), 'ok');
      assert.equal(await listAs(bob), 'ok');
      const everything = await revokeUserEverything(fast.deps.ctx, 'bob', 'test');
      assert.ok(everything);
      note(everything.revocations, everything.at);
      assert.equal(await listAs(bob), 'UnrecognizedClientException');

      clock.advance(1000);
      bob = await roleCredentials(fast, 'bob', 'AdminReadOnly');
      assert.equal(await listAs(bob), 'ok');
      const signedOut = await revokeOwnSessions(fast.deps.ctx, {
        userId: await user('bob'),
        which: 'all',
        sourceIp: null,
        requestId: null,
      });
      note(signedOut.revocations, signedOut.at);
      assert.equal(await listAs(bob), 'UnrecognizedClientException');

      clock.advance(1000);
      bob = await roleCredentials(fast, 'bob', 'AdminReadOnly');
      assert.equal(await listAs(bob), 'ok');
      const disabled = await disableUser(fast.deps.ctx, await user('bob'), 'test');
      noteRevocations(fast.deps.credentials, disabled.written);
      assert.equal(await listAs(bob), 'UnrecognizedClientException');
      await enableUser(fast.deps.ctx, await user('bob'), 'test');
    });

    it('a disabled user is refused on the next call even before the revocation reaches this server', async () => {
      clock.advance(1000);
      const bob = await roleCredentials(fast, 'bob', 'AdminReadOnly');
      assert.equal(await listAs(bob), 'ok');
      assert.equal(await listAs(bob), 'ok');
      // As another replica or the command line would: the store changes, this server's view of
      // revocations does not (it catches up on its own poll); the store generation moves.
      await fast.deps.ctx.store.db
        .updateTable('users')
        .set({ status: 'DISABLED' })
        .where('user_name_lower', '=', 'bob')
        .execute();
      assert.equal(await listAs(bob), 'UnrecognizedClientException');
      await fast.deps.ctx.store.db
        .updateTable('users')
        .set({ status: 'ENABLED' })
        .where('user_name_lower', '=', 'bob')
        .execute();
      assert.equal(await listAs(bob), 'ok');
    });

    it('expired credentials get ExpiredTokenException from both paths', async () => {
      const alice = await roleCredentials(fast, 'alice', 'Administrator');
      clock.advance(13 * 3600 * 1000);
      const expired = async (server: TestServer) => {
        const client = identityStoreClient(server.url, alice);
        client.config.systemClockOffset = clock.now() - Date.now();
        try {
          return await sdkOutcome(client.send(new ListUsersCommand({ IdentityStoreId: storeId })));
        } finally {
          client.destroy();
        }
      };
      const onFastPath = await expired(fast);
      await fast.stop();
      const fastify = await startTestServer({ store: kind, reuse: temp, clock, fastPath: false });
      try {
        assert.deepEqual(await expired(fastify), onFastPath);
      } finally {
        await fastify.stop();
        fast = await startTestServer({ store: kind, reuse: temp, clock });
      }
      assert.equal((onFastPath as { name: string }).name, 'ExpiredTokenException');
    });
  });
}
