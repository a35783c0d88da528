/**
 * The fast path (`src/http/fast-path.ts`) answers exactly as the Fastify routes do. The same
 * requests go to a server with the fast path and to one without it (`StartOptions.fastPath: false`),
 * and everything a client or an operator sees is compared: status, header names (as HTTP
 * defines them, without regard to case), every header value but the request id, `date` and
 * `keep-alive`, the body with the request id normalised, the one request log line, the
 * request-duration and security-event metrics, and the audit rows written.
 *
 * How the comparison is made exact: one store, and the two servers one after the other on it —
 * first with the fast path, then without — on the same port, the same data directory (so the same
 * credential-sealing keys) and the same frozen clock. Every request is then the same bytes on
 * both sides, Host header and SigV4 signature included: botocore signs each STS request once and
 * the identical request is sent to both servers; the bearer token and the role credentials are
 * made once and used on both. (Two servers at once would need two ports, hence two Host headers
 * and two signatures per request, and is possible on PostgreSQL only; two stores seeded alike
 * would differ in their ids and keys.) The suite runs on SQLite and on PostgreSQL, and once more
 * on SQLite behind a public URL with a path prefix, which both paths strip before routing while
 * SigV4 checks the path as sent.
 *
 * GetRoleCredentials answers that mint credentials cannot be equal (fresh keys by design): their
 * JSON shape and expiration are compared, and every set of credentials minted on either side
 * must verify through STS, on both servers, as the same identity.
 *
 * Real clients judge the successful calls: botocore (through python) and the JS SDK
 * (@aws-sdk/client-sts, @aws-sdk/client-sso) with endpoint overrides, against each server.
 * Malformed requests are written by hand.
 *
 * Which path answered is seen on the wire: the fast path writes `x-amzn-RequestId` as AWS spells it,
 * Fastify lowercases every header name (`x-amzn-requestid`); clients read names without regard
 * to case, so this is no difference to them, and it lets the test check that the fast path took the
 * plain shapes (and handed the others to Fastify) and the other server took none.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { GetRoleCredentialsCommand, SSOClient } from '@aws-sdk/client-sso';
import { GetAccessKeyInfoCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { vendRoleCredentials } from '../../src/app/credentials/vend.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { cleanAwsEnv, python, run, tempHome } from '../helpers/python.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const ACCOUNT = '123456789012';
/** An account that exists, with no assignment to anyone. */
const UNASSIGNED = '210987654321';
const GCI = 'Action=GetCallerIdentity&Version=2011-06-15';
const FORM = 'application/x-www-form-urlencoded';
const FORM_UTF8 = 'application/x-www-form-urlencoded; charset=utf-8';
const FAST_PATH_MAX_BODY = 64 * 1024;
const GRC = '/federation/credentials';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

interface RawRequest {
  method: string;
  path: string;
  /** Sent as given (an array value repeats the header); Content-Length is added unless chunked. */
  headers: Record<string, string | string[]>;
  body?: string;
  /** Send the body with Transfer-Encoding: chunked. */
  chunked?: boolean;
}

interface Case {
  name: string;
  request: RawRequest;
  /** Whether the fast path takes this shape (else Fastify answers on both servers). */
  fastPath: boolean;
  status: number;
  /** STS error code or portal error type expected, to show the case tests what it says. */
  error?: string;
}

/** What one server answered to one request. */
interface Captured {
  status: number;
  rawHeaders: string[];
  body: string;
  /** The client's port, which the request log line must name. */
  localPort: number;
}

interface Identity {
  Account?: string | undefined;
  Arn?: string | undefined;
  UserId?: string | undefined;
  /** The STS error's name, when STS refused. */
  error?: string;
}

/** Everything seen of one server. */
interface Phase {
  answers: Map<string, Captured>;
  logLines: Array<Record<string, unknown>>;
  metrics: Record<string, number>;
  audit: Array<Record<string, unknown>>;
  /** Credentials minted by GetRoleCredentials answers of this phase, by case name. */
  minted: Map<string, Creds>;
  /** Identity behind each set of minted credentials, as STS on this server tells it. */
  verified: Map<string, Identity>;
  botocore: Record<string, unknown>;
  sdk: Record<string, unknown>;
}

/** GetRoleCredentials cases are the GET ones. */
function isPortal(c: Case): boolean {
  return c.request.method === 'GET';
}

/** Send exactly this request (Host included) on a keep-alive connection of `agent`. */
function send(port: number, agent: http.Agent, req: RawRequest): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(req.body ?? '', 'utf8');
    const headers: Record<string, string | string[]> = { ...req.headers };
    if (!req.chunked && (req.method !== 'GET' || body.length > 0)) {
      headers['Content-Length'] = String(body.length);
    }
    let localPort = 0;
    const r = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.path, headers, setHost: false, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks).toString('utf8'),
            localPort,
          }),
        );
      },
    );
    r.on('socket', (s) => {
      const note = () => {
        localPort = s.localPort ?? 0;
      };
      if (s.localPort) note();
      else s.once('connect', note);
    });
    r.on('error', reject);
    if (req.chunked) {
      r.write(body);
      r.end();
    } else r.end(body);
  });
}

/** Header name (lowercase) → values in the order received. */
function headerMap(raw: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    out.set(name, [...(out.get(name) ?? []), raw[i + 1]!]);
  }
  return out;
}

function requestIdOf(c: Captured): string {
  const ids = headerMap(c.rawHeaders).get('x-amzn-requestid') ?? [];
  assert.equal(ids.length, 1, `one x-amzn-RequestId: ${JSON.stringify(c.rawHeaders)}`);
  return ids[0]!;
}

/** `fast path` when the answer came from it (see the header comment), else `fastify`. */
function answeredBy(c: Captured): 'fast path' | 'fastify' {
  return c.rawHeaders.includes('x-amzn-RequestId') ? 'fast path' : 'fastify';
}

function errorCodeOf(c: Captured): string | undefined {
  const xml = /<Code>([^<]+)<\/Code>/.exec(c.body)?.[1];
  return xml ?? headerMap(c.rawHeaders).get('x-amzn-errortype')?.[0];
}

/** A GetRoleCredentials success body: its shape, with the values that differ by design named. */
function credentialShape(body: string): unknown {
  const j = JSON.parse(body) as { roleCredentials: Record<string, unknown> };
  assert.deepEqual(Object.keys(j), ['roleCredentials']);
  const c = j.roleCredentials;
  assert.deepEqual(Object.keys(c), ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration']);
  assert.match(String(c.accessKeyId), /^ASIA[A-Z0-9]{16}$/);
  assert.match(String(c.secretAccessKey), /^[A-Za-z0-9/+]{40}$/);
  assert.ok(typeof c.sessionToken === 'string' && c.sessionToken.length > 100);
  return {
    roleCredentials: {
      accessKeyId: 'ASIA + 16',
      secretAccessKey: '40 characters',
      sessionToken: 'a string',
      expiration: c.expiration,
    },
  };
}

/** What must be the same on both servers: everything but the request id, dates and timing. */
function comparable(c: Captured, mints: boolean): unknown {
  const id = requestIdOf(c);
  const headers: Record<string, string[]> = {};
  for (const [name, values] of headerMap(c.rawHeaders)) {
    if (name === 'x-amzn-requestid' || name === 'date' || name === 'keep-alive') {
      headers[name] = values.map(() => '(varies)');
    } else if (name === 'content-length' && mints) {
      // The session token's length is not part of the contract; the length must match the body.
      assert.deepEqual(values, [String(Buffer.byteLength(c.body))]);
      headers[name] = ['(length of the body)'];
    } else headers[name] = values;
  }
  return {
    status: c.status,
    headers,
    body: mints ? credentialShape(c.body) : c.body.replaceAll(id, '(request id)'),
  };
}

/** An STS form POST that botocore signs. */
interface SignedSpec {
  name: string;
  body: string;
  /** Default: what botocore's STS client sends, with a charset. */
  contentType?: string;
  /** Signing time; default the server's (frozen) time. */
  at?: number;
  service?: string;
  region?: string;
  /** Default: the role credentials of the suite. */
  creds?: Creds;
  status: number;
  error?: string;
  /** Default true. */
  fastPath?: boolean;
}

/** Sign STS form POSTs to `http://host + path` with botocore's SigV4 signer, each at its own time. */
async function botocoreSign(
  host: string,
  path: string,
  specs: Array<Required<Pick<SignedSpec, 'name' | 'body' | 'contentType' | 'at' | 'creds'>> & SignedSpec>,
): Promise<Record<string, Record<string, string>>> {
  const script = `
import json, sys, datetime
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.load(sys.stdin)
out = {}
for s in a['specs']:
    fixed = datetime.datetime.fromtimestamp(s['at'] / 1000, datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda *x, **k: fixed
    c = s['creds']
    req = AWSRequest(method='POST', url='http://' + a['host'] + a['path'], data=s['body'].encode(),
                     headers={'Content-Type': s['contentType']})
    creds = Credentials(c['accessKeyId'], c['secretAccessKey'], c['sessionToken'])
    botocore.auth.SigV4Auth(creds, s.get('service') or 'sts', s.get('region') or 'us-east-1').add_auth(req)
    headers = dict(req.headers.items())
    headers['Host'] = a['host']
    out[s['name']] = headers
print(json.dumps(out))
`;
  // The specs go in on stdin: the bodies at the fast path's size limit are too long for an argument.
  const r = await run('python3', ['-c', script], { input: JSON.stringify({ host, path, specs }) });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/**
 * botocore's own clients against one server: STS with the role credentials, SSO's
 * GetRoleCredentials with the bearer token and the minted credentials through STS, and the
 * errors botocore maps. Response metadata is kept but for the request id, `date` and
 * `keep-alive`.
 */
async function botocoreClients(url: string, creds: Creds, bearer: string): Promise<Record<string, unknown>> {
  const script = `
import json, sys, datetime, re
import botocore.auth, botocore.session
from botocore.config import Config
a = json.loads(sys.argv[1])
fixed = datetime.datetime.fromtimestamp(a['at'] / 1000, datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda *x, **k: fixed
session = botocore.session.get_session()
cfg = Config(retries={'total_max_attempts': 1})
UUID = re.compile('^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
def meta(md):
    h = dict(md['HTTPHeaders'])
    rid = h.pop('x-amzn-requestid', None)
    h.pop('date', None)
    h.pop('keep-alive', None)
    return {'status': md['HTTPStatusCode'], 'headers': h,
            'requestId': bool(UUID.match(md.get('RequestId', ''))) and md.get('RequestId') == rid}
def ok(call):
    try:
        r = call()
    except Exception as e:
        resp = getattr(e, 'response', None)
        if resp is None:
            return {'exception': type(e).__name__, 'text': str(e)}
        return {'error': resp['Error'], 'meta': meta(resp['ResponseMetadata'])}
    md = r.pop('ResponseMetadata')
    return {'result': r, 'meta': meta(md)}
def sts(c):
    return session.create_client('sts', region_name='us-east-1', endpoint_url=a['url'], config=cfg,
        aws_access_key_id=c['accessKeyId'], aws_secret_access_key=c['secretAccessKey'],
        aws_session_token=c['sessionToken'])
c = a['creds']
out = {}
s = sts(c)
out['GetCallerIdentity'] = ok(lambda: s.get_caller_identity())
out['GetAccessKeyInfo'] = ok(lambda: s.get_access_key_info(AccessKeyId=c['accessKeyId']))
bad = sts(dict(c, secretAccessKey='x' * 40))
out['GetCallerIdentity, wrong secret'] = ok(lambda: bad.get_caller_identity())
sso = session.create_client('sso', region_name='us-east-1', endpoint_url=a['url'], config=cfg)
grc = ok(lambda: sso.get_role_credentials(accessToken=a['bearer'], accountId=a['account'], roleName='Admin'))
minted = grc.get('result', {}).get('roleCredentials', {})
out['GetRoleCredentials keys'] = sorted(minted.keys())
out['GetRoleCredentials expiration'] = minted.get('expiration')
if 'meta' in grc:
    grc['meta']['headers'].pop('content-length')  # the session token's length is not part of the contract
out['GetRoleCredentials meta'] = grc.get('meta')
if minted:
    m = sts({'accessKeyId': minted['accessKeyId'], 'secretAccessKey': minted['secretAccessKey'],
             'sessionToken': minted['sessionToken']})
    out['minted credentials, GetCallerIdentity'] = ok(lambda: m.get_caller_identity())
out['GetRoleCredentials, unassigned account'] = ok(
    lambda: sso.get_role_credentials(accessToken=a['bearer'], accountId=a['unassigned'], roleName='Admin'))
out['GetRoleCredentials, bad bearer'] = ok(
    lambda: sso.get_role_credentials(accessToken='not-a-token', accountId=a['account'], roleName='Admin'))
print(json.dumps(out, default=str))
`;
  const home = tempHome();
  try {
    const r = await python(
      script,
      [JSON.stringify({ url, at: T0, creds, bearer, account: ACCOUNT, unassigned: UNASSIGNED })],
      cleanAwsEnv(home.home),
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  } finally {
    home.cleanup();
  }
}

function stsClient(url: string, c: Creds): STSClient {
  return new STSClient({
    region: 'us-east-1',
    endpoint: url,
    maxAttempts: 1,
    systemClockOffset: T0 - Date.now(),
    credentials: c,
  });
}

/** What STS on `url` says of these credentials (or the error it answers). */
async function whoIs(url: string, c: Creds): Promise<Identity> {
  const client = stsClient(url, c);
  try {
    const id = await client.send(new GetCallerIdentityCommand({}));
    return { Account: id.Account, Arn: id.Arn, UserId: id.UserId };
  } catch (err) {
    return { error: (err as Error).name };
  } finally {
    client.destroy();
  }
}

/** An SDK result or error without the request id. */
function sdkOutcome(p: Promise<{ $metadata: { requestId?: string | undefined } }>): Promise<unknown> {
  return p.then(
    (r) => {
      const { $metadata, ...rest } = r;
      assert.match($metadata.requestId ?? '', UUID);
      return { ...rest, $metadata: { ...$metadata, requestId: '(request id)' } };
    },
    (e: Error & { $metadata?: { httpStatusCode?: number; requestId?: string }; $fault?: string }) => ({
      name: e.name,
      message: e.message,
      fault: e.$fault,
      status: e.$metadata?.httpStatusCode,
      requestId: UUID.test(e.$metadata?.requestId ?? '') ? '(request id)' : e.$metadata?.requestId,
    }),
  );
}

/** The JS SDK against one server: the same calls as `botocoreClients`. */
async function sdkClients(url: string, creds: Creds, bearer: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const sts = stsClient(url, creds);
  const bad = stsClient(url, { ...creds, secretAccessKey: 'x'.repeat(40) });
  const sso = new SSOClient({ region: 'us-east-1', endpoint: url, maxAttempts: 1 });
  try {
    out.GetCallerIdentity = await sdkOutcome(sts.send(new GetCallerIdentityCommand({})));
    out.GetAccessKeyInfo = await sdkOutcome(
      sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: creds.accessKeyId })),
    );
    out['GetCallerIdentity, wrong secret'] = await sdkOutcome(bad.send(new GetCallerIdentityCommand({})));
    const grc = await sso.send(
      new GetRoleCredentialsCommand({ accessToken: bearer, accountId: ACCOUNT, roleName: 'Admin' }),
    );
    const m = grc.roleCredentials!;
    out['GetRoleCredentials keys'] = Object.keys(m).sort();
    out['GetRoleCredentials expiration'] = m.expiration;
    out['GetRoleCredentials status'] = grc.$metadata.httpStatusCode;
    out['minted credentials, GetCallerIdentity'] = await whoIs(url, {
      accessKeyId: m.accessKeyId!,
      secretAccessKey: m.secretAccessKey!,
      sessionToken: m.sessionToken!,
    });
    for (const [label, token, account] of [
      ['unassigned account', bearer, UNASSIGNED],
      ['bad bearer', 'not-a-token', ACCOUNT],
    ] as const) {
      out[`GetRoleCredentials, ${label}`] = await sdkOutcome(
        sso.send(
          new GetRoleCredentialsCommand({ accessToken: token, accountId: account, roleName: 'Admin' }),
        ),
      );
    }
  } finally {
    sts.destroy();
    bad.destroy();
    sso.destroy();
  }
  return out;
}

/** The request-duration counts (method, route, status) and security events of a server. */
async function metricsOf(server: TestServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await server.deps.metrics.httpDuration.get()).values) {
    if (v.metricName !== 'idcenter_http_request_duration_seconds_count') continue;
    out[`${v.labels.method} ${v.labels.route} ${v.labels.status}`] = v.value;
  }
  for (const v of (await server.deps.metrics.securityEvents.get()).values) {
    out[`security ${v.labels.kind}`] = v.value;
  }
  return out;
}

/** Each store, and a public URL with a path prefix (which both paths strip) on SQLite. */
const VARIANTS = [
  ...STORE_KINDS.map((kind) => ({ kind, prefix: '' })),
  { kind: 'sqlite' as const, prefix: '/idc' },
];

for (const { kind, prefix } of VARIANTS) {
  describe(`fast path parity with the Fastify routes (${kind}${prefix ? `, path prefix ${prefix}` : ''})`, () => {
    const clock = new ManualClock(T0);
    let temp: TempStoreUrl | undefined;
    let server: TestServer | undefined;
    let org: SeededOrg;
    let creds: Creds;
    let bearer: string;
    let cases: Case[];
    const phases: Record<'fastPath' | 'fastify', Phase> = {} as Record<'fastPath' | 'fastify', Phase>;

    /**
     * All the requests, the same bytes for both servers: `host` is the shared address, `prefix`
     * the public URL's path prefix (empty, or e.g. `/idc`).
     */
    async function makeCases(host: string, prefix: string): Promise<Case[]> {
      const root = `${prefix}/`;
      const pad = (base: string, size: number) => `${base}&Pad=${'x'.repeat(size - base.length - 5)}`;
      const gakiBody = (id: string) => `Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=${id}`;
      const specs: SignedSpec[] = [
        { name: 'GetCallerIdentity', body: GCI, status: 200 },
        {
          name: 'GetCallerIdentity, Content-Type without charset',
          body: GCI,
          contentType: FORM,
          status: 200,
        },
        {
          name: 'GetCallerIdentity, Content-Type in capitals',
          body: GCI,
          contentType: 'Application/X-WWW-Form-URLEncoded;Charset=UTF-8',
          status: 200,
        },
        { name: 'GetAccessKeyInfo', body: gakiBody(creds.accessKeyId), status: 200 },
        {
          name: 'GetAccessKeyInfo, malformed key id',
          body: gakiBody('x'),
          status: 400,
          error: 'ValidationError',
        },
        {
          name: 'GetSessionToken',
          body: 'Action=GetSessionToken&Version=2011-06-15',
          status: 403,
          error: 'AccessDenied',
        },
        {
          name: 'unknown action',
          body: 'Action=AssumeRoleWithSomething&Version=2011-06-15',
          status: 400,
          error: 'InvalidAction',
        },
        { name: 'missing Action', body: 'Version=2011-06-15', status: 400, error: 'MissingAction' },
        {
          name: 'bad Version',
          body: 'Action=GetCallerIdentity&Version=2010-01-01',
          status: 400,
          error: 'InvalidAction',
        },
        { name: 'missing Version', body: 'Action=GetCallerIdentity', status: 400, error: 'InvalidAction' },
        { name: 'empty body', body: '', status: 400, error: 'MissingAction' },
        {
          name: 'X-Amz-Date 10 minutes old',
          body: GCI,
          at: T0 - 10 * 60_000,
          status: 403,
          error: 'SignatureDoesNotMatch',
        },
        {
          name: 'X-Amz-Date 10 minutes ahead',
          body: GCI,
          at: T0 + 10 * 60_000,
          status: 403,
          error: 'SignatureDoesNotMatch',
        },
        { name: 'X-Amz-Date 5 minutes old (the boundary)', body: GCI, at: T0 - 5 * 60_000, status: 200 },
        {
          name: 'wrong service in scope',
          body: GCI,
          service: 'iam',
          status: 403,
          error: 'SignatureDoesNotMatch',
        },
        { name: 'another region in scope', body: GCI, region: 'ap-southeast-2', status: 200 },
        {
          name: 'wrong secret',
          body: GCI,
          creds: { ...creds, secretAccessKey: 'x'.repeat(40) },
          status: 403,
          error: 'SignatureDoesNotMatch',
        },
        {
          name: 'forged session token',
          body: GCI,
          creds: { ...creds, sessionToken: `AQoD${'x'.repeat(300)}` },
          status: 403,
          error: 'InvalidClientTokenId',
        },
        { name: 'largest body the fast path reads', body: pad(GCI, FAST_PATH_MAX_BODY), status: 200 },
        {
          name: 'body one byte over the fast path limit',
          body: pad(GCI, FAST_PATH_MAX_BODY + 1),
          status: 200,
          fastPath: false,
        },
      ];
      const signed = await botocoreSign(
        host,
        root,
        specs.map((x) => ({
          ...x,
          contentType: x.contentType ?? FORM_UTF8,
          at: x.at ?? T0,
          creds: x.creds ?? creds,
        })),
      );
      const post = (headers: Record<string, string>, body: string, extra: Partial<RawRequest> = {}) => ({
        method: 'POST',
        path: root,
        headers,
        body,
        ...extra,
      });
      const gci = signed.GetCallerIdentity!;
      const unsigned = { Host: host, 'Content-Type': FORM };
      const sts: Case[] = [
        ...specs.map((x) => ({
          name: x.name,
          request: post(signed[x.name]!, x.body),
          fastPath: x.fastPath ?? true,
          status: x.status,
          ...(x.error ? { error: x.error } : {}),
        })),
        { name: 'chunked body', request: post(gci, GCI, { chunked: true }), fastPath: false, status: 200 },
        {
          name: 'tampered signature',
          request: post(
            { ...gci, Authorization: gci.Authorization!.replace(/.$/, (ch) => (ch === '0' ? '1' : '0')) },
            GCI,
          ),
          fastPath: true,
          status: 403,
          error: 'SignatureDoesNotMatch',
        },
        {
          name: 'tampered body',
          request: post(gci, GCI.replace('Identity', 'Identitz')),
          fastPath: true,
          status: 403,
          error: 'SignatureDoesNotMatch',
        },
        {
          name: 'Authorization that does not parse',
          request: post({ ...gci, Authorization: 'AWS4-HMAC-SHA256 nonsense' }, GCI),
          fastPath: true,
          status: 400,
          error: 'IncompleteSignature',
        },
        {
          name: 'X-Amz-Date missing',
          request: post(Object.fromEntries(Object.entries(gci).filter(([k]) => k !== 'X-Amz-Date')), GCI),
          fastPath: true,
          status: 400,
          error: 'IncompleteSignature',
        },
        {
          name: 'unsigned POST',
          request: post(unsigned, GCI),
          fastPath: true,
          status: 403,
          error: 'MissingAuthenticationToken',
        },
        {
          name: 'unsigned POST, empty body',
          request: post(unsigned, ''),
          fastPath: true,
          status: 403,
          error: 'MissingAuthenticationToken',
        },
        {
          name: 'unsigned POST, doubled slash',
          request: post(unsigned, GCI, { path: `${root}/` }),
          fastPath: true,
          status: 403,
          error: 'MissingAuthenticationToken',
        },
        {
          name: 'unsigned POST with a query string',
          request: post(unsigned, '', { path: `${root}?${GCI}` }),
          fastPath: false,
          status: 403,
          error: 'MissingAuthenticationToken',
        },
        {
          name: 'unsigned POST, text/plain',
          request: post({ Host: host, 'Content-Type': 'text/plain' }, GCI),
          fastPath: false,
          status: 403,
          error: 'MissingAuthenticationToken',
        },
      ];

      const grcPath = `${prefix}${GRC}`;
      const get = (
        query: string | null,
        headers: Record<string, string | string[]> = {},
        path = grcPath,
      ) => ({
        method: 'GET',
        path: query === null ? path : `${path}?${query}`,
        headers: { Host: host, 'x-amz-sso_bearer_token': bearer, ...headers },
      });
      const ok = `account_id=${ACCOUNT}&role_name=Admin`;
      const grc = (
        name: string,
        request: RawRequest,
        fastPath: boolean,
        status: number,
        error?: string,
      ): Case => ({
        name,
        request,
        fastPath,
        status,
        ...(error ? { error } : {}),
      });
      const bad = 'InvalidRequestException';
      const unauthorized = 'UnauthorizedException';
      const forbidden = 'ForbiddenException';
      const portal: Case[] = [
        grc('GetRoleCredentials', get(ok), true, 200),
        grc(
          'GetRoleCredentials, parameters the other way round',
          get(`role_name=Admin&account_id=${ACCOUNT}`),
          true,
          200,
        ),
        grc('GetRoleCredentials, an unknown parameter too', get(`${ok}&foo=bar`), true, 200),
        grc('GetRoleCredentials, __proto__ parameter', get(`__proto__=x&${ok}`), true, 200),
        grc('GetRoleCredentials, trailing slash', get(ok, {}, `${grcPath}/`), true, 200),
        grc(
          'GetRoleCredentials, doubled slashes',
          get(ok, {}, `/${grcPath.replace('/credentials', '//credentials')}`),
          true,
          200,
        ),
        grc(
          'GetRoleCredentials, header name in capitals',
          {
            method: 'GET',
            path: `${grcPath}?${ok}`,
            headers: { Host: host, 'X-Amz-Sso_Bearer_Token': bearer },
          },
          true,
          200,
        ),
        ...(prefix ? [grc('GetRoleCredentials without the path prefix', get(ok, {}, GRC), true, 200)] : []),
        grc('percent-encoded role name', get(`account_id=${ACCOUNT}&role_name=%41dmin`), false, 200),
        grc(
          'percent-encoded account id',
          get(`account_id=%31${ACCOUNT.slice(1)}&role_name=Admin`),
          false,
          200,
        ),
        grc(
          'percent-encoded space in role name',
          get(`account_id=${ACCOUNT}&role_name=Ad%20min`),
          false,
          400,
          bad,
        ),
        grc('plus in role name', get(`account_id=${ACCOUNT}&role_name=Ad+min`), false, 400, bad),
        grc('parameter without =', get(`account_id=${ACCOUNT}&role_name`), false, 400, bad),
        grc('trailing &', get(`${ok}&`), false, 200),
        grc('missing bearer', { ...get(ok), headers: { Host: host } }, true, 401, unauthorized),
        grc('empty bearer', get(ok, { 'x-amz-sso_bearer_token': '' }), true, 401, unauthorized),
        grc('bad bearer', get(ok, { 'x-amz-sso_bearer_token': 'x' }), true, 401, unauthorized),
        grc(
          'unknown bearer',
          get(ok, { 'x-amz-sso_bearer_token': `aoa${'A'.repeat(43)}` }),
          true,
          401,
          unauthorized,
        ),
        grc(
          'bearer header twice',
          get(ok, { 'x-amz-sso_bearer_token': [bearer, bearer] }),
          true,
          401,
          unauthorized,
        ),
        grc('unassigned account', get(`account_id=${UNASSIGNED}&role_name=Admin`), true, 403, forbidden),
        grc('unknown account', get('account_id=999999999999&role_name=Admin'), true, 403, forbidden),
        grc('role not assigned', get(`account_id=${ACCOUNT}&role_name=ReadOnly`), true, 403, forbidden),
        grc('role_name missing', get(`account_id=${ACCOUNT}`), true, 400, bad),
        grc('account_id missing', get('role_name=Admin'), true, 400, bad),
        grc('no query', get(null), true, 400, bad),
        grc('empty query', get(''), true, 400, bad),
        grc('empty values', get('account_id=&role_name='), true, 400, bad),
        grc('role_name repeated', get(`${ok}&role_name=Admin`), true, 400, bad),
        grc('account_id repeated', get(`${ok}&account_id=${ACCOUNT}`), true, 400, bad),
        grc(
          'role_name of 32 characters (the longest)',
          get(`account_id=${ACCOUNT}&role_name=${'R'.repeat(32)}`),
          true,
          403,
          forbidden,
        ),
        grc(
          'role_name of 33 characters',
          get(`account_id=${ACCOUNT}&role_name=${'R'.repeat(33)}`),
          true,
          400,
          bad,
        ),
        grc(
          'role_name of 8000 characters',
          get(`account_id=${ACCOUNT}&role_name=${'R'.repeat(8000)}`),
          true,
          400,
          bad,
        ),
        grc('account_id of 11 digits', get(`account_id=${ACCOUNT.slice(1)}&role_name=Admin`), true, 400, bad),
        grc('account_id of 13 digits', get(`account_id=${ACCOUNT}0&role_name=Admin`), true, 400, bad),
        grc('GET with a body', { ...get(ok), body: 'x=1' }, false, 200),
      ];
      return [...sts, ...portal];
    }

    /** Send every case to `s`, then the real clients; gather what the server said and wrote. */
    async function runPhase(s: TestServer): Promise<Phase> {
      const port = Number(new URL(s.url).port);
      const firstAudit = await s.deps.ctx.store.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const answers = new Map<string, Captured>();
      try {
        for (const c of cases) answers.set(c.name, await send(port, agent, c.request));
      } finally {
        agent.destroy();
      }
      const minted = new Map<string, Creds>();
      const verified = new Map<string, Identity>();
      for (const c of cases) {
        const a = answers.get(c.name)!;
        if (a.status !== 200 || !isPortal(c)) continue;
        const { accessKeyId, secretAccessKey, sessionToken } = (
          JSON.parse(a.body) as { roleCredentials: Creds }
        ).roleCredentials;
        const rc = { accessKeyId, secretAccessKey, sessionToken };
        minted.set(c.name, rc);
        verified.set(c.name, await whoIs(s.url, rc));
      }
      const botocore = await botocoreClients(s.url, creds, bearer);
      const sdk = await sdkClients(s.url, creds, bearer);
      // Request lines leave at the end of an event-loop turn.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      const logLines = s.logs
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const audit = await s.deps.ctx.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('id', '>', Number(firstAudit?.id ?? 0))
        .orderBy('id')
        .execute();
      return {
        answers,
        logLines,
        metrics: await metricsOf(s),
        audit: audit.map((r) => ({ ...r })),
        minted,
        verified,
        botocore,
        sdk,
      };
    }

    before(async () => {
      temp = await tempStoreUrl(kind);
      const port = await freePort();
      const settings = {
        port: String(port),
        ...(prefix ? { publicUrl: `http://127.0.0.1:${port}${prefix}` } : {}),
      };
      server = await startTestServer({
        reuse: temp,
        clock,
        settings,
        seed: async (deps) => {
          org = await seedOrg(deps.ctx, {
            users: [{ userName: 'alice@example.com' }],
            accounts: [{ id: ACCOUNT }, { id: UNASSIGNED }],
            permissionSets: [{ name: 'Admin' }, { name: 'ReadOnly' }],
            assignments: [{ user: 'alice@example.com', permissionSet: 'Admin', accounts: [ACCOUNT] }],
          });
        },
      });
      assert.equal(server.url, `http://127.0.0.1:${port}${prefix}`);
      const userId = org.users['alice@example.com']!;
      bearer = (await issueBearerToken(server.deps.ctx, { userId })).accessToken;
      const vended = await vendRoleCredentials(server.deps, {
        userId,
        userName: 'alice@example.com',
        accountId: ACCOUNT,
        roleName: 'Admin',
        sessionId: null,
        familyId: null,
        sourceIp: '127.0.0.1',
        channel: 'portal',
      });
      creds = {
        accessKeyId: vended.accessKeyId,
        secretAccessKey: vended.secretAccessKey,
        sessionToken: vended.sessionToken,
      };
      cases = await makeCases(`127.0.0.1:${port}`, prefix);
      phases.fastPath = await runPhase(server);
      await server.stop();
      server = undefined;
      server = await startTestServer({ reuse: temp, clock, fastPath: false, settings });
      phases.fastify = await runPhase(server);
      // Credentials minted on one side verify on the other too (same keys, same store).
      for (const [name, c] of phases.fastPath.minted) {
        assert.deepEqual(await whoIs(server.url, c), phases.fastPath.verified.get(name), name);
      }
    });

    after(async () => {
      await server?.stop();
      await temp?.cleanup();
    });

    it('the fast path took the plain shapes and handed the rest to Fastify; the other server took none', () => {
      for (const c of cases) {
        assert.equal(
          answeredBy(phases.fastPath.answers.get(c.name)!),
          c.fastPath ? 'fast path' : 'fastify',
          c.name,
        );
        assert.equal(answeredBy(phases.fastify.answers.get(c.name)!), 'fastify', c.name);
      }
    });

    it('each case answers what it is meant to test', () => {
      for (const c of cases) {
        const a = phases.fastPath.answers.get(c.name)!;
        assert.equal(a.status, c.status, `${c.name}: ${a.body}`);
        if (c.error) assert.equal(errorCodeOf(a), c.error, `${c.name}: ${a.body}`);
      }
    });

    it('status, header names, header values and body are the same on both paths', () => {
      for (const c of cases) {
        const fast = phases.fastPath.answers.get(c.name)!;
        const fastify = phases.fastify.answers.get(c.name)!;
        const mints = fast.status === 200 && isPortal(c);
        assert.deepEqual(comparable(fast, mints), comparable(fastify, mints), c.name);
        for (const a of [fast, fastify]) {
          const id = requestIdOf(a);
          assert.match(id, UUID, c.name);
          const h = headerMap(a.rawHeaders);
          if (isPortal(c)) {
            assert.equal(h.get('date')?.length, 1, c.name);
            continue;
          }
          // STS: the date from the injected clock (SDKs correct their skew from it), the id in the XML.
          assert.deepEqual(h.get('date'), [new Date(T0).toUTCString()], c.name);
          assert.ok(a.body.includes(`<RequestId>${id}</RequestId>`), c.name);
        }
      }
    });

    it('credentials minted on either path have the same shape and verify through STS as the same identity', () => {
      const names = cases.filter((c) => c.status === 200 && isPortal(c));
      assert.ok(names.length >= 8);
      for (const phase of [phases.fastPath, phases.fastify]) {
        assert.deepEqual(
          [...phase.minted.keys()],
          names.map((c) => c.name),
        );
        for (const [name, identity] of phase.verified) {
          assert.equal(identity.Account, ACCOUNT, name);
          assert.match(
            identity.Arn ?? '',
            /:assumed-role\/AWSReservedSSO_Admin_[0-9a-f]{16}\/alice@example.com$/,
          );
        }
      }
      assert.deepEqual([...phases.fastPath.verified], [...phases.fastify.verified]);
      const keys = [...phases.fastPath.minted.values(), ...phases.fastify.minted.values()].map(
        (c) => c.accessKeyId,
      );
      assert.equal(new Set(keys).size, keys.length, 'every answer minted credentials of its own');
    });

    it('one request line per request, with the same fields on both paths', () => {
      for (const c of cases) {
        const lines: Array<Record<string, unknown>> = [];
        for (const phase of [phases.fastPath, phases.fastify]) {
          const a = phase.answers.get(c.name)!;
          const id = requestIdOf(a);
          const mine = phase.logLines.filter((l) => l.reqId === id);
          assert.equal(mine.length, 1, `${c.name}: ${JSON.stringify(mine)}`);
          const line = mine[0]!;
          assert.equal(line.msg, 'request completed', c.name);
          const req = line.req as Record<string, unknown>;
          assert.equal(req.remotePort, a.localPort, c.name);
          assert.equal((line.res as { statusCode: number }).statusCode, a.status, c.name);
          assert.ok(typeof line.responseTime === 'number' && line.responseTime >= 0, c.name);
          assert.ok(typeof line.time === 'number', c.name);
          lines.push({
            keys: Object.keys(line),
            reqKeys: Object.keys(req),
            ...line,
            time: '(varies)',
            reqId: '(request id)',
            responseTime: '(varies)',
            req: { ...req, remotePort: '(client port)' },
          });
        }
        assert.deepEqual(lines[0], lines[1], c.name);
      }
      // Nothing else was logged (but the start): no errors on either side.
      for (const phase of [phases.fastPath, phases.fastify]) {
        assert.deepEqual(
          phase.logLines.filter(
            (l) => l.msg !== 'request completed' && !String(l.msg).startsWith('Server listening at '),
          ),
          [],
        );
      }
    });

    it('botocore sees the same answers from both servers', () => {
      const b = phases.fastPath.botocore;
      assert.deepEqual(b, phases.fastify.botocore);
      assert.equal((b.GetCallerIdentity as { result: Identity }).result.Account, ACCOUNT);
      assert.equal((b.GetAccessKeyInfo as { result: { Account: string } }).result.Account, ACCOUNT);
      assert.deepEqual((b['GetRoleCredentials, unassigned account'] as { error: unknown }).error, {
        Code: 'ForbiddenException',
        Message: 'No access',
      });
      assert.equal(
        (b['GetRoleCredentials, bad bearer'] as { error: { Code: string } }).error.Code,
        'UnauthorizedException',
      );
      assert.equal(
        (b['GetCallerIdentity, wrong secret'] as { error: { Code: string } }).error.Code,
        'SignatureDoesNotMatch',
      );
      assert.equal(
        (b['minted credentials, GetCallerIdentity'] as { result: Identity }).result.Account,
        ACCOUNT,
      );
      for (const v of Object.values(b)) {
        if (v && typeof v === 'object' && 'meta' in v) {
          assert.equal((v as { meta: { requestId: boolean } }).meta.requestId, true, 'request ids are UUIDs');
        }
      }
    });

    it('the JS SDK sees the same answers from both servers', () => {
      const s = phases.fastPath.sdk;
      assert.deepEqual(s, phases.fastify.sdk);
      assert.equal((s.GetCallerIdentity as Identity).Account, ACCOUNT);
      assert.equal((s['minted credentials, GetCallerIdentity'] as Identity).Account, ACCOUNT);
      assert.equal(
        (s['GetRoleCredentials, unassigned account'] as { name: string }).name,
        'ForbiddenException',
      );
      assert.equal((s['GetRoleCredentials, bad bearer'] as { name: string }).name, 'UnauthorizedException');
      assert.equal((s['GetCallerIdentity, wrong secret'] as { name: string }).name, 'SignatureDoesNotMatch');
    });

    it('metrics and audit events are the same on both paths', () => {
      assert.deepEqual(phases.fastPath.metrics, phases.fastify.metrics);
      assert.ok((phases.fastPath.metrics['POST / 200'] ?? 0) > 0);
      assert.ok((phases.fastPath.metrics['GET /federation/credentials 200'] ?? 0) > 0);
      assert.ok((phases.fastPath.metrics['security signature_failure'] ?? 0) > 0);
      const normalise = (phase: Phase) => {
        const names = new Map<string, string>();
        for (const [name, a] of phase.answers) names.set(requestIdOf(a), name);
        return phase.audit.map((r): Record<string, unknown> => {
          const detail = JSON.parse(String(r.detail)) as Record<string, unknown>;
          if (r.action === 'credentials.issue') {
            assert.match(String(detail.accessKeyId), /^ASIA[A-Z0-9]{16}$/);
            detail.accessKeyId = '(minted)';
          }
          const rid = r.request_id === null ? null : String(r.request_id);
          return {
            ...r,
            id: '(row id)',
            detail,
            request_id: rid === null ? null : (names.get(rid) ?? (UUID.test(rid) ? '(a client call)' : rid)),
          };
        });
      };
      const fast = normalise(phases.fastPath);
      assert.deepEqual(fast, normalise(phases.fastify));
      assert.ok(fast.some((r) => r.action === 'sts.signature_failure'));
      assert.ok(fast.some((r) => r.action === 'credentials.issue'));
    });
  });
}
