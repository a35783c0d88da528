/**
 * STS against real signers on SQLite and PostgreSQL: @aws-sdk/client-sts and botocore's own
 * SigV4 signer (clock frozen to the server's injected clock). Every signed part of a request
 * tampered with, clock skew, presigned expiry, expired, forged, truncated, re-keyed and revoked
 * credentials, unsigned calls — each answers STS error XML with the real code, never a 500.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { GetAccessKeyInfoCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { makeKey, makeKeyRing } from '../../src/app/credentials/keys.ts';
import { sealCredentials } from '../../src/app/credentials/seal.ts';
import { revokeNow } from '../../src/app/credentials/service.ts';
import { vendRoleCredentials } from '../../src/app/credentials/vend.ts';
import { accessSubject } from '../../src/app/revocation.ts';
import { ManualClock, systemRandom } from '../../src/domain/runtime.ts';
import { scrapeMetrics } from '../helpers/metrics.ts';
import { python } from '../helpers/python.ts';
import { type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

/**
 * `text` with its last `n` characters changed, whatever they were (a fixed replacement may equal
 * them). For base64 text, n = 3 changes real bits, not only padding bits.
 */
function otherTail(text: string, n: number): string {
  const tail = 'A'.repeat(n);
  return `${text.slice(0, -n)}${text.endsWith(tail) ? 'B'.repeat(n) : tail}`;
}

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const ACCOUNT = '123456789012';
const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: number;
}

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

/** Send exactly these headers (Host included) to the server. */
function send(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const body = Buffer.from(req.body, 'utf8');
    const r = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, 'Content-Length': String(body.length) },
        setHost: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type']),
            body: text,
          }),
        );
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

function errorCode(res: RawResponse): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(res.body)?.[1];
}

/** Sign requests with botocore's SigV4 signer at a frozen time; returns what it produced. */
async function botocoreSign(args: {
  url: string;
  at: number;
  region?: string;
  creds: Record<string, { akid: string; secret: string; token?: string | null }>;
  body?: string;
  presignExpires?: number;
}): Promise<{ post: Record<string, RawRequest>; presigned: Record<string, string> }> {
  const script = `
import json, sys, datetime, urllib.parse
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
fixed = datetime.datetime.fromtimestamp(a['at'] / 1000, datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda *x, **k: fixed
out = {'post': {}, 'presigned': {}}
host = urllib.parse.urlsplit(a['url']).netloc
for name, c in a['creds'].items():
    creds = Credentials(c['akid'], c['secret'], c.get('token'))
    req = AWSRequest(method='POST', url=a['url'] + '/', data=a['body'].encode(),
                     headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
    botocore.auth.SigV4Auth(creds, 'sts', a['region']).add_auth(req)
    headers = dict(req.headers.items())
    headers['Host'] = host
    out['post'][name] = {'method': 'POST', 'path': '/', 'headers': headers, 'body': a['body']}
    q = AWSRequest(method='GET', url=a['url'] + '/?Action=GetCallerIdentity&Version=2011-06-15')
    botocore.auth.SigV4QueryAuth(creds, 'sts', a['region'], expires=a['expires']).add_auth(q)
    out['presigned'][name] = q.url
print(json.dumps(out))
`;
  const payload = {
    url: args.url,
    at: args.at,
    region: args.region ?? 'us-east-1',
    creds: args.creds,
    body: args.body ?? BODY,
    expires: args.presignExpires ?? 60,
  };
  const r = await python(script, [JSON.stringify(payload)]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function asBotocore(c: Creds) {
  return { akid: c.accessKeyId, secret: c.secretAccessKey, token: c.sessionToken };
}

for (const kind of STORE_KINDS) {
  describe(`STS with SigV4 (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let creds: Creds;
    const clock = new ManualClock(T0);

    const vend = (roleName = 'Admin') =>
      vendRoleCredentials(server.deps, {
        userId: org.users['alice@example.com']!,
        userName: 'alice@example.com',
        accountId: ACCOUNT,
        roleName,
        sessionId: null,
        familyId: null,
        sourceIp: '127.0.0.1',
        channel: 'portal',
      });

    before(async () => {
      server = await startTestServer({
        store: kind,
        clock,
        seed: async (deps) => {
          org = await seedOrg(deps.ctx, {
            users: [{ userName: 'alice@example.com' }],
            accounts: [{ id: ACCOUNT }],
            permissionSets: [{ name: 'Admin' }, { name: 'ReadOnly' }],
            assignments: [
              { user: 'alice@example.com', permissionSet: 'Admin', accounts: [ACCOUNT] },
              { user: 'alice@example.com', permissionSet: 'ReadOnly', accounts: [ACCOUNT] },
            ],
          });
        },
      });
      creds = await vend();
    });
    after(async () => server?.stop());

    const stsClient = (c: Creds, region = 'eu-west-1') =>
      new STSClient({
        region,
        endpoint: server.url,
        maxAttempts: 1,
        systemClockOffset: clock.now() - Date.now(),
        credentials: {
          accessKeyId: c.accessKeyId,
          secretAccessKey: c.secretAccessKey,
          sessionToken: c.sessionToken,
        },
      });

    it('GetCallerIdentity answers the assumed-role identity in any signing region (JS SDK)', async () => {
      const role = await server.deps.ctx.store.db
        .selectFrom('provisioned_roles')
        .selectAll()
        .where('permission_set_id', '=', org.permissionSets.Admin!)
        .executeTakeFirstOrThrow();
      for (const region of ['eu-west-1', 'us-east-1', 'ap-southeast-2']) {
        const client = stsClient(creds, region);
        const id = await client.send(new GetCallerIdentityCommand({}));
        client.destroy();
        assert.equal(id.Account, ACCOUNT);
        assert.equal(
          id.Arn,
          `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_${role.role_hash}/alice@example.com`,
        );
        assert.equal(id.UserId, `${role.role_id}:alice@example.com`);
        assert.match(id.UserId!, /^AROA[A-Z0-9]{17}:/);
      }
    });

    it('GetAccessKeyInfo names the account of a key id and refuses malformed ones', async () => {
      const client = stsClient(creds);
      const info = await client.send(new GetAccessKeyInfoCommand({ AccessKeyId: creds.accessKeyId }));
      assert.equal(info.Account, ACCOUNT);
      await assert.rejects(client.send(new GetAccessKeyInfoCommand({ AccessKeyId: 'short' })), {
        name: 'ValidationError',
      });
      await assert.rejects(
        client.send(new GetAccessKeyInfoCommand({ AccessKeyId: 'ASIA0000000000000000' })),
        {
          name: 'ValidationError',
        },
      );
      client.destroy();
    });

    it('botocore-signed header and presigned requests verify', async () => {
      const signed = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: { ok: asBotocore(creds) },
      });
      const res = await send(server.url, signed.post.ok!);
      assert.equal(res.status, 200, res.body);
      assert.match(res.contentType, /text\/xml/);
      assert.match(res.body, /<GetCallerIdentityResult>.*<Account>123456789012<\/Account>/s);
      const pre = new URL(signed.presigned.ok!);
      const got = await send(server.url, {
        method: 'GET',
        path: pre.pathname + pre.search,
        headers: { Host: pre.host },
        body: '',
      });
      assert.equal(got.status, 200, got.body);
      assert.match(got.body, /assumed-role\/AWSReservedSSO_Admin_[0-9a-f]{16}\/alice@example.com/);
    });

    it('every tampered part of a signed request fails with the code real STS uses', async () => {
      const other = await vend('ReadOnly');
      const signed = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: {
          ok: asBotocore(creds),
          wrongSecret: { ...asBotocore(creds), secret: otherTail(creds.secretAccessKey, 1) },
          otherKeyId: { ...asBotocore(creds), akid: other.accessKeyId },
          noToken: { akid: creds.accessKeyId, secret: creds.secretAccessKey, token: null },
        },
      });
      const base = signed.post.ok!;
      const auth = base.headers.Authorization!;
      const variant = (f: (r: RawRequest) => void): RawRequest => {
        const r = structuredClone(base);
        f(r);
        return r;
      };
      const cases: Array<[string, RawRequest, string]> = [
        ['method', variant((r) => (r.method = 'PUT')), 'SignatureDoesNotMatch'],
        ['query added', variant((r) => (r.path = '/?a=b')), 'SignatureDoesNotMatch'],
        [
          'body byte',
          variant((r) => (r.body = r.body.replace('GetCallerIdentity', 'GetCallerIdentitz'))),
          'SignatureDoesNotMatch',
        ],
        ['body appended', variant((r) => (r.body += '&x=1')), 'SignatureDoesNotMatch'],
        [
          'action swapped',
          variant((r) => (r.body = 'Action=GetAccessKeyInfo&Version=2011-06-15')),
          'SignatureDoesNotMatch',
        ],
        ['host', variant((r) => (r.headers.Host = '127.0.0.1:1')), 'SignatureDoesNotMatch'],
        [
          'x-amz-date',
          variant((r) => (r.headers['X-Amz-Date'] = r.headers['X-Amz-Date']!.replace(/00Z$/, '01Z'))),
          'SignatureDoesNotMatch',
        ],
        [
          'content-type',
          variant((r) => (r.headers['Content-Type'] = 'application/x-www-form-urlencoded')),
          'SignatureDoesNotMatch',
        ],
        [
          'signature',
          variant((r) => (r.headers.Authorization = auth.replace(/.$/, (c) => (c === '0' ? '1' : '0')))),
          'SignatureDoesNotMatch',
        ],
        [
          'region',
          variant((r) => (r.headers.Authorization = auth.replace('/us-east-1/', '/us-west-2/'))),
          'SignatureDoesNotMatch',
        ],
        [
          'service',
          variant((r) => (r.headers.Authorization = auth.replace('/sts/', '/iam/'))),
          'SignatureDoesNotMatch',
        ],
        [
          'scope date',
          variant((r) => (r.headers.Authorization = auth.replace(/\/(\d{8})\//, '/20200101/'))),
          'SignatureDoesNotMatch',
        ],
        [
          'terminator',
          variant((r) => (r.headers.Authorization = auth.replace('aws4_request', 'aws4_reqest'))),
          'IncompleteSignature',
        ],
        [
          'signed headers',
          variant((r) => (r.headers.Authorization = auth.replace('content-type;host;', 'content-type;'))),
          'SignatureDoesNotMatch',
        ],
        [
          'algorithm',
          variant((r) => (r.headers.Authorization = auth.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'))),
          'IncompleteSignature',
        ],
        [
          'credential missing',
          variant((r) => (r.headers.Authorization = auth.replace(/Credential=[^,]+, /, ''))),
          'IncompleteSignature',
        ],
        ['date missing', variant((r) => delete r.headers['X-Amz-Date']), 'IncompleteSignature'],
        [
          'authorization missing',
          variant((r) => delete r.headers.Authorization),
          'MissingAuthenticationToken',
        ],
        [
          'token changed',
          variant(
            (r) => (r.headers['X-Amz-Security-Token'] = otherTail(r.headers['X-Amz-Security-Token']!, 3)),
          ),
          'InvalidClientTokenId',
        ],
        [
          'token removed',
          variant((r) => delete r.headers['X-Amz-Security-Token']),
          'SignatureDoesNotMatch|InvalidClientTokenId',
        ],
        ['secret', signed.post.wrongSecret!, 'SignatureDoesNotMatch'],
        ['access key id of other credentials', signed.post.otherKeyId!, 'InvalidClientTokenId'],
        ['signed without token', signed.post.noToken!, 'InvalidClientTokenId'],
      ];
      for (const [label, req, code] of cases) {
        const res = await send(server.url, req);
        assert.ok(code.split('|').includes(errorCode(res) ?? ''), `${label}: ${res.status} ${res.body}`);
        assert.match(res.contentType, /text\/xml/, label);
        assert.ok(res.status === 400 || res.status === 403, `${label}: ${res.status}`);
      }
      // The untouched request still verifies.
      assert.equal((await send(server.url, base)).status, 200);
    });

    it('forged, truncated and re-keyed session tokens are InvalidClientTokenId', async () => {
      const forgedRing = makeKeyRing([makeKey(server.deps.credentials.ring.current.id, Buffer.alloc(32, 5))]);
      const opened = server.deps.credentials;
      assert.ok(opened);
      const rekeyed = sealCredentials(forgedRing, systemRandom, {
        accessKeyId: creds.accessKeyId,
        userId: org.users['alice@example.com']!,
        userName: 'alice@example.com',
        accountId: ACCOUNT,
        permissionSetId: org.permissionSets.Admin!,
        roleName: 'Admin',
        roleHash: '0000000000000000',
        roleId: 'AROAAAAAAAAAAAAAAAAAA',
        sessionId: null,
        familyId: null,
        issuedAt: clock.now(),
        expiresAt: clock.now() + 3600_000,
      });
      const signed = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: {
          forged: { akid: creds.accessKeyId, secret: creds.secretAccessKey, token: `AQoD${'x'.repeat(300)}` },
          truncated: { ...asBotocore(creds), token: creds.sessionToken.slice(0, 200) },
          rekeyed: {
            akid: rekeyed.accessKeyId,
            secret: rekeyed.secretAccessKey,
            token: rekeyed.sessionToken,
          },
        },
      });
      for (const name of ['forged', 'truncated', 'rekeyed']) {
        const res = await send(server.url, signed.post[name]!);
        assert.equal(res.status, 403, name);
        assert.equal(errorCode(res), 'InvalidClientTokenId', name);
        assert.match(res.body, /The security token included in the request is invalid\./);
      }
    });

    it('X-Amz-Date outside ±5 minutes is "Signature expired" / "not yet current"; the boundary passes', async () => {
      const signed = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: { ok: asBotocore(creds) },
      });
      const req = signed.post.ok!;
      const start = clock.now();
      try {
        const at = async (offsetMs: number) => {
          clock.set(start + offsetMs);
          return send(server.url, req);
        };
        assert.equal((await at(5 * 60_000)).status, 200);
        assert.equal((await at(-5 * 60_000)).status, 200);
        const late = await at(5 * 60_000 + 1000);
        assert.equal(late.status, 403);
        assert.equal(errorCode(late), 'SignatureDoesNotMatch');
        assert.match(late.body, /Signature expired: \d{8}T\d{6}Z is now earlier than/);
        const early = await at(-5 * 60_000 - 1000);
        assert.equal(errorCode(early), 'SignatureDoesNotMatch');
        assert.match(early.body, /Signature not yet current/);
      } finally {
        clock.set(start);
      }
    });

    it('presigned URLs stop at X-Amz-Expires; bad X-Amz-Expires values are refused', async () => {
      const signed = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: { ok: asBotocore(creds) },
        presignExpires: 60,
      });
      const u = new URL(signed.presigned.ok!);
      const get = (search: string) =>
        send(server.url, { method: 'GET', path: u.pathname + search, headers: { Host: u.host }, body: '' });
      const start = clock.now();
      try {
        clock.set(start + 60_000);
        assert.equal((await get(u.search)).status, 200);
        clock.set(start + 61_000);
        const expired = await get(u.search);
        assert.equal(expired.status, 403);
        assert.equal(errorCode(expired), 'AccessDenied');
        assert.match(expired.body, /Request has expired/);
      } finally {
        clock.set(start);
      }
      for (const bad of ['0', '604801', 'abc']) {
        const res = await get(u.search.replace('X-Amz-Expires=60', `X-Amz-Expires=${bad}`));
        assert.equal(errorCode(res), 'IncompleteSignature', bad);
      }
      const longer = await get(u.search.replace('X-Amz-Expires=60', 'X-Amz-Expires=3600'));
      assert.equal(errorCode(longer), 'SignatureDoesNotMatch', 'X-Amz-Expires is signed');
      const noSig = await get(u.search.replace(/&X-Amz-Signature=[0-9a-f]+/, ''));
      assert.equal(errorCode(noSig), 'IncompleteSignature');
    });

    it('credentials used after their expiration are ExpiredToken', async () => {
      const start = clock.now();
      const expiresAt = creds.expiration;
      try {
        clock.set(expiresAt - 1000);
        const stillOk = stsClient(creds);
        assert.equal((await stillOk.send(new GetCallerIdentityCommand({}))).Account, ACCOUNT);
        stillOk.destroy();
        clock.set(expiresAt + 1000);
        const signed = await botocoreSign({
          url: server.url,
          at: clock.now(),
          creds: { ok: asBotocore(creds) },
        });
        const res = await send(server.url, signed.post.ok!);
        assert.equal(res.status, 400);
        assert.equal(errorCode(res), 'ExpiredToken');
        const client = stsClient(creds);
        await assert.rejects(client.send(new GetCallerIdentityCommand({})), { name: 'ExpiredToken' });
        client.destroy();
      } finally {
        clock.set(start);
      }
    });

    it('revoked credentials stop verifying at once on the replica that revoked them', async () => {
      const c = await vend('ReadOnly');
      const client = stsClient(c);
      assert.equal((await client.send(new GetCallerIdentityCommand({}))).Account, ACCOUNT);
      await revokeNow(server.deps, [
        {
          kind: 'access',
          subject: accessSubject(org.users['alice@example.com']!, ACCOUNT, org.permissionSets.ReadOnly!),
        },
      ]);
      await assert.rejects(client.send(new GetCallerIdentityCommand({})), { name: 'InvalidClientTokenId' });
      client.destroy();
      // Other credentials of the same user are untouched.
      const admin = stsClient(creds);
      assert.equal((await admin.send(new GetCallerIdentityCommand({}))).Account, ACCOUNT);
      admin.destroy();
    });

    it('unsigned calls, unknown actions, bad versions and oversized bodies answer STS XML', async () => {
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      const unsigned = await fetch(`${server.url}/`, { method: 'POST', body: BODY, headers: form });
      assert.equal(unsigned.status, 403);
      assert.equal(
        errorCode({ status: 403, contentType: '', body: await unsigned.text() }),
        'MissingAuthenticationToken',
      );
      const unsignedGet = await fetch(`${server.url}/?Action=GetCallerIdentity&Version=2011-06-15`);
      assert.equal(unsignedGet.status, 403);
      assert.match(unsignedGet.headers.get('content-type') ?? '', /text\/xml/);

      const signed = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: { ok: asBotocore(creds) },
        body: 'Action=AssumeRoleWithSomething&Version=2011-06-15',
      });
      assert.equal(errorCode(await send(server.url, signed.post.ok!)), 'InvalidAction');
      const badVersion = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: { ok: asBotocore(creds) },
        body: 'Action=GetCallerIdentity&Version=2010-01-01',
      });
      assert.equal(errorCode(await send(server.url, badVersion.post.ok!)), 'InvalidAction');
      const noAction = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: { ok: asBotocore(creds) },
        body: 'Version=2011-06-15',
      });
      assert.equal(errorCode(await send(server.url, noAction.post.ok!)), 'MissingAction');
      const sessionToken = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: { ok: asBotocore(creds) },
        body: 'Action=GetSessionToken&Version=2011-06-15',
      });
      const st = await send(server.url, sessionToken.post.ok!);
      assert.equal(st.status, 403);
      assert.equal(errorCode(st), 'AccessDenied');

      // Attacker-chosen bytes in the credential (a NUL, which PostgreSQL refuses in text) are
      // answered and audited without breaking the audit batch other requests share.
      const nul = await fetch(
        `${server.url}/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256` +
          `&X-Amz-Credential=AK%00ID%2F${new Date(clock.now()).toISOString().slice(0, 10).replace(/-/g, '')}%2Fus-east-1%2Fsts%2Faws4_request` +
          `&X-Amz-Date=${new Date(clock.now())
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d{3}/, '')}` +
          `&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}`,
      );
      assert.equal(nul.status, 403);
      assert.equal(
        errorCode({ status: 403, contentType: '', body: await nul.text() }),
        'InvalidClientTokenId',
      );
      const recorded = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select(['actor', 'detail'])
        .where('action', '=', 'sts.signature_failure')
        .where('actor', '=', 'anonymous')
        .execute();
      assert.ok(
        recorded.some((r) => r.detail?.includes('"accessKeyId":null')),
        'audited without the raw bytes',
      );
      const stillWorks = stsClient(creds);
      assert.equal((await stillWorks.send(new GetCallerIdentityCommand({}))).Account, ACCOUNT);
      stillWorks.destroy();

      const big = await fetch(`${server.url}/`, {
        method: 'POST',
        body: 'A'.repeat(1024 * 1024 + 10),
        headers: form,
      });
      assert.equal(big.status, 413);
      assert.match(big.headers.get('content-type') ?? '', /text\/xml/);
      assert.match(await big.text(), /<ErrorResponse/);
    });

    it('audits and counts failed signature checks without secrets', async () => {
      const signed = await botocoreSign({
        url: server.url,
        at: clock.now(),
        creds: { bad: { ...asBotocore(creds), secret: 'x'.repeat(40) } },
      });
      await send(server.url, signed.post.bad!);
      const rows = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'sts.signature_failure')
        .execute();
      const row = rows.find(
        (r) => r.detail?.includes('SignatureDoesNotMatch') && r.actor === `key:${creds.accessKeyId}`,
      );
      assert.ok(row, JSON.stringify(rows));
      assert.equal(row.source_ip, '127.0.0.1');
      assert.ok(!JSON.stringify(rows).includes(creds.sessionToken));
      const failures = (await scrapeMetrics(server.url, server.config.metricsToken))(
        'idcenter_security_events_total{kind="signature_failure"}',
      );
      assert.ok(failures >= 1, String(failures));
      assert.ok(!server.logs.join('').includes(creds.sessionToken), 'session token never logged');
      assert.ok(!server.logs.join('').includes(creds.secretAccessKey), 'secret never logged');
    });
  });
}
