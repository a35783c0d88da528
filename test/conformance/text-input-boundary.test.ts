/**
 * Every text input of every protocol and page refuses NUL, other control
 * characters, lone surrogates and bytes that are not UTF-8 — percent-encoded, raw in a body, or
 * as a JSON escape — with that protocol's own 4xx error, never a 500, and leaves the store as it
 * was (every table compared before and after each request). On SQLite and PostgreSQL:
 * PostgreSQL cannot store or even compare NUL, which is how `/authorize?client_id=%00` and MFA
 * enrolment's `device_id` used to answer 500.
 *
 * Raw HTTP for the sweep (no client sends such bytes), botocore for the fields a real client can
 * be made to send, and the AWS SDK's own signer for the STS parameters, which are only read once
 * a request is signed.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { createSession } from '../../src/app/auth/sessions.ts';
import { vendRoleCredentials } from '../../src/app/credentials/vend.ts';
import type { ServerDeps } from '../../src/app/server-deps.ts';
import { hashPassword } from '../../src/app/users.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { csrfTokenFor, sessionCookieName, sessionOrigin } from '../../src/web/session.ts';
import { python } from '../helpers/python.ts';
import { issueBearerToken, type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ACCOUNT = '111111111111';
const PASSWORD = 'correct horse battery';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const START_TIME = Date.UTC(2026, 10, 28, 12, 0, 0);

/** One bad value, in each form a field can carry it. */
interface Bad {
  label: string;
  /** As percent-encoded text in a query string or a form body. */
  pct?: string;
  /** As raw bytes in a form or JSON body. */
  raw?: Buffer;
  /** As the text of a JSON string escape. */
  escape?: string;
}

const BAD: Bad[] = [
  { label: 'NUL %00', pct: '%00' },
  { label: 'raw NUL', raw: Buffer.from([0x00]) },
  { label: 'JSON \\u0000', escape: '\\u0000' },
  { label: 'ESC %1B', pct: '%1B' },
  { label: 'raw ESC', raw: Buffer.from([0x1b]) },
  { label: 'JSON \\u001b', escape: '\\u001b' },
  { label: 'TAB %09', pct: '%09' },
  { label: 'C1 %C2%85', pct: '%C2%85' },
  { label: 'lone surrogate %ED%A0%80', pct: '%ED%A0%80' },
  { label: 'raw lone surrogate', raw: Buffer.from([0xed, 0xa0, 0x80]) },
  { label: 'JSON \\ud800', escape: '\\ud800' },
  { label: 'invalid UTF-8 %C3%28', pct: '%C3%28' },
  { label: 'raw invalid UTF-8', raw: Buffer.from([0xc3, 0x28]) },
  { label: 'byte %FF', pct: '%FF' },
  { label: 'raw byte FF', raw: Buffer.from([0xff]) },
];

type Where = 'query' | 'form' | 'json';
/** The error shape each protocol answers with. */
type Shape = 'page' | 'portal-json' | 'oidc' | 'portal-api' | 'sts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request as the sweep builds it: path (with its query), headers, body bytes. */
interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

function send(base: string, r: Req): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: r.method,
        path: r.path,
        headers: {
          // A chunked request is sent as chunks (node adds the framing), without a length.
          ...(r.body && !r.headers?.['transfer-encoding'] ? { 'content-length': String(r.body.length) } : {}),
          ...r.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    // An answer that never comes fails the case instead of hanging the suite.
    req.setTimeout(10_000, () => req.destroy(new Error(`${r.method} ${r.path}: no answer within 10 s`)));
    req.end(r.body);
  });
}

/** `x<bad>y` in the form the field's place needs, or undefined when it cannot carry this form. */
function badPiece(bad: Bad, where: Where): Buffer | undefined {
  if (where === 'query') return bad.pct === undefined ? undefined : Buffer.from(`x${bad.pct}y`);
  if (where === 'form') {
    if (bad.pct !== undefined) return Buffer.from(`x${bad.pct}y`);
    return bad.raw && Buffer.concat([Buffer.from('x'), bad.raw, Buffer.from('y')]);
  }
  if (bad.escape !== undefined) return Buffer.from(`x${bad.escape}y`);
  return bad.raw && Buffer.concat([Buffer.from('x'), bad.raw, Buffer.from('y')]);
}

/** `name=value&…` (values given already encoded), with `field`'s value replaced by `piece`. */
function encodePairs(pairs: Array<[string, string]>, field: string, piece: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const [i, [name, value]] of pairs.entries()) {
    if (i > 0) parts.push(Buffer.from('&'));
    parts.push(Buffer.from(`${name}=`), name === field ? piece : Buffer.from(encodeURIComponent(value)));
  }
  if (!pairs.some(([name]) => name === field)) parts.push(Buffer.from(`&${field}=`), piece);
  return Buffer.concat(parts);
}

const MARK = 'BAD-VALUE-HERE';

/** A JSON body with the marked member's string replaced by `piece` (between its quotes). */
function jsonWith(body: unknown, piece: Buffer): Buffer {
  const [head, ...rest] = JSON.stringify(body).split(MARK);
  return Buffer.concat([Buffer.from(head ?? ''), piece, Buffer.from(rest.join(MARK))]);
}

/** One field of one route: how to send it with a bad value, and the shape of the refusal. */
interface FieldCase {
  route: string;
  field: string;
  where: Where;
  shape: Shape;
  request: (piece: Buffer) => Req;
}

/** Bytes from what the AWS SDK's signer hands a hash: text, a view or a whole buffer. */
const bytesOf = (data: string | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** Node's SHA-256 (or HMAC-SHA256 with a secret) in the shape the AWS SDK's signer takes. */
class NodeSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

const TABLES = [
  'instance',
  'ous',
  'accounts',
  'users',
  'groups',
  'group_memberships',
  'permission_sets',
  'ps_managed_policies',
  'ps_customer_policies',
  'ps_tags',
  'account_assignments',
  'provisioned_roles',
  'async_requests',
  'audit_events',
  'oidc_clients',
  'portal_sessions',
  'device_grants',
  'auth_codes',
  'token_families',
  'access_tokens',
  'refresh_tokens',
  'mfa_devices',
  'throttles',
  'revocations',
  'server_keys',
  'store_generation',
] as const;

/** Every row of every table, as text: equal before and after means nothing was written. */
async function storeState(deps: ServerDeps): Promise<Record<string, string>> {
  const all = await Promise.all(TABLES.map((t) => deps.ctx.store.db.selectFrom(t).selectAll().execute()));
  const text = (rows: unknown[] = []) =>
    rows
      .map((r) => JSON.stringify(r))
      .sort()
      .join('\n');
  return Object.fromEntries(TABLES.map((t, i) => [t, text(all[i])]));
}

function changedTables(a: Record<string, string>, b: Record<string, string>): string[] {
  return TABLES.filter((t) => a[t] !== b[t]);
}

const contentType = (r: Reply) => String(r.headers['content-type'] ?? '');

/** The refusal is `shape`'s 4xx error and says what is wrong without repeating the bytes. */
function assertRefusal(c: FieldCase, bad: Bad, r: Reply): void {
  const what = `${c.route} ${c.field} ${bad.label}`;
  assert.equal(r.status, 400, `${what}: status ${r.status} ${r.body.toString().slice(0, 300)}`);
  const text = r.body.toString('utf8');
  assert.match(
    text,
    /control characters|not valid UTF-8|not valid JSON/,
    `${what}: says what is wrong: ${text.slice(0, 300)}`,
  );
  for (const b of [0x00, 0x1b, 0x09, 0xff]) assert.ok(!r.body.includes(b), `${what}: echoes byte ${b}`);
  assert.ok(!text.includes('\ufffd'), `${what}: echoes a replacement character`);
  switch (c.shape) {
    case 'page':
      assert.match(contentType(r), /^text\/html/, what);
      break;
    case 'portal-json':
      assert.match(contentType(r), /^application\/json/, what);
      assert.equal(typeof JSON.parse(text).message, 'string', what);
      break;
    case 'oidc': {
      const json = JSON.parse(text);
      assert.match(String(r.headers['x-amzn-errortype']), /^Invalid(Request|ClientMetadata)Exception$/, what);
      assert.match(json.error, /^invalid_(request|client_metadata)$/, what);
      assert.equal(typeof json.error_description, 'string', what);
      break;
    }
    case 'portal-api':
      assert.equal(r.headers['x-amzn-errortype'], 'InvalidRequestException', what);
      assert.equal(JSON.parse(text).__type, 'InvalidRequestException', what);
      break;
    case 'sts':
      assert.match(contentType(r), /^text\/xml/, what);
      assert.match(
        text,
        /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidParameterValue<\/Code>/,
        what,
      );
      break;
  }
}

for (const kind of STORE_KINDS) {
  describe(`every text input refuses control characters and bytes that are not UTF-8 (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    const clock = new ManualClock(START_TIME);
    /** Everything a valid request of each route needs, made in `before`. */
    const ctx = {
      signedIn: { cookie: '', csrf: '', sessionId: '' },
      /** Sessions of their own for the forms that end sessions (should one ever be ended). */
      signout: { cookie: '', csrf: '', sessionId: '' },
      revoke: { cookie: '', csrf: '', sessionId: '' },
      pending: { cookie: '', csrf: '' },
      pre: { cookie: '', csrf: '' },
      enrolDevice: '',
      setupDevice: '',
      device: { clientId: '', clientSecret: '', userCode: '', grantId: '' },
      pkce: { clientId: '', clientSecret: '' },
      bearer: '',
      creds: { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
    };

    const cookieOf = (name: string, token: string) => `${name}=${token}`;

    before(async () => {
      const passwordHash = await hashPassword(PASSWORD);
      server = await startTestServer({
        store: kind,
        clock,
        seed: async (deps) => {
          org = await seedOrg(deps.ctx, {
            users: [
              { userName: 'alice', passwordHash },
              { userName: 'bob', passwordHash },
            ],
            accounts: [{ id: ACCOUNT, name: 'Prod' }],
            permissionSets: [{ name: 'ReadOnly' }],
            assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
          });
        },
      });
      const deps = server.deps;
      const name = sessionCookieName(deps.config);
      const session = (userId: string, mfaDone: boolean) =>
        deps.ctx.store.db.transaction().execute((trx) =>
          createSession(
            deps.ctx,
            {
              userId,
              origin: sessionOrigin(deps.config),
              mfaDone,
              ttlMs: 8 * 3600_000,
              sourceIp: '127.0.0.1',
            },
            trx,
          ),
        );
      const s = await session(org.users.alice!, true);
      ctx.signedIn = { cookie: cookieOf(name, s.token), csrf: csrfTokenFor(s.token), sessionId: s.sessionId };
      for (const which of ['signout', 'revoke'] as const) {
        const extra = await session(org.users.alice!, true);
        ctx[which] = {
          cookie: cookieOf(name, extra.token),
          csrf: csrfTokenFor(extra.token),
          sessionId: extra.sessionId,
        };
      }
      const p = await session(org.users.bob!, false);
      ctx.pending = { cookie: cookieOf(name, p.token), csrf: csrfTokenFor(p.token) };

      // The pre-session CSRF pair of the sign-in form (its nonce cookie and the form token).
      const signin = await send(server.url, { method: 'GET', path: '/signin' });
      const nonce = String(signin.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
      ctx.pre = {
        cookie: nonce,
        csrf: /name="_csrf" value="([^"]+)"/.exec(signin.body.toString())?.[1] ?? '',
      };

      // Enrolments waiting for their first code (what the MFA forms carry as device_id).
      const hidden = (page: Reply, field: string) =>
        new RegExp(`name="${field}" value="([^"]+)"`).exec(page.body.toString())?.[1] ?? '';
      const enrol = await send(server.url, {
        method: 'GET',
        path: '/mfa/enroll',
        headers: { cookie: ctx.signedIn.cookie },
      });
      ctx.enrolDevice = hidden(enrol, 'device_id');
      const setup = await send(server.url, {
        method: 'GET',
        path: '/signin/mfa/setup',
        headers: { cookie: ctx.pending.cookie },
      });
      ctx.setupDevice = hidden(setup, 'device_id');
      assert.ok(ctx.enrolDevice && ctx.setupDevice, 'enrolment pages show a device id');

      // A device client with a pending user code, and the grant the consent page names.
      const json = async (path: string, body: unknown) => {
        const r = await send(server.url, {
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify(body)),
        });
        assert.equal(r.status, 200, r.body.toString());
        return JSON.parse(r.body.toString()) as Record<string, string>;
      };
      const device = await json('/client/register', {
        clientName: 'botocore-client-sweep',
        clientType: 'public',
        scopes: ['sso:account:access'],
      });
      const started = await json('/device_authorization', {
        clientId: device.clientId,
        clientSecret: device.clientSecret,
        startUrl: deps.config.startUrl,
      });
      const consent = await send(server.url, {
        method: 'POST',
        path: '/device',
        headers: { cookie: ctx.signedIn.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(
          new URLSearchParams({ _csrf: ctx.signedIn.csrf, user_code: started.userCode! }).toString(),
        ),
      });
      ctx.device = {
        clientId: device.clientId!,
        clientSecret: device.clientSecret!,
        userCode: started.userCode!,
        grantId: hidden(consent, 'grant_id'),
      };
      assert.ok(ctx.device.grantId, 'the consent page names the grant');
      const pkce = await json('/client/register', {
        clientName: 'botocore-client-pkce',
        clientType: 'public',
        scopes: ['sso:account:access'],
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1/oauth/callback'],
      });
      ctx.pkce = { clientId: pkce.clientId!, clientSecret: pkce.clientSecret! };

      ctx.bearer = (await issueBearerToken(deps.ctx, { userId: org.users.alice! })).accessToken;
      const c = await vendRoleCredentials(deps, {
        userId: org.users.alice!,
        userName: 'alice',
        accountId: ACCOUNT,
        roleName: 'ReadOnly',
        sessionId: null,
        familyId: null,
        sourceIp: '127.0.0.1',
        channel: 'portal',
      });
      ctx.creds = {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
      };
    });
    after(async () => server?.stop());

    // ---- the table: every route and every field it reads ----

    const queryCase = (
      route: string,
      path: string,
      pairs: Array<[string, string]>,
      field: string,
      shape: Shape,
      headers: () => Record<string, string> = () => ({}),
      method = 'GET',
    ): FieldCase => ({
      route,
      field,
      where: 'query',
      shape,
      request: (piece) => ({
        method,
        path: `${path}?${encodePairs(pairs, field, piece).toString('latin1')}`,
        headers: headers(),
      }),
    });

    /** A POST whose body carries the bad value (a form or a JSON document). */
    const postCase = (
      route: string,
      field: string,
      where: 'form' | 'json',
      shape: Shape,
      headers: () => Record<string, string>,
      body: (piece: Buffer) => Buffer,
    ): FieldCase => ({
      route,
      field,
      where,
      shape,
      request: (piece) => ({
        method: 'POST',
        path: route.split(' ')[1]!,
        headers: headers(),
        body: body(piece),
      }),
    });

    const formCase = (
      route: string,
      pairs: () => Array<[string, string]>,
      field: string,
      shape: Shape,
      cookie: () => string,
    ): FieldCase =>
      postCase(
        route,
        field,
        'form',
        shape,
        () => ({ cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }),
        (piece) => encodePairs(pairs(), field, piece),
      );

    const jsonCase = (
      route: string,
      body: (field: string) => unknown,
      field: string,
      shape: Shape,
      headers: () => Record<string, string> = () => ({}),
    ): FieldCase =>
      postCase(
        route,
        field,
        'json',
        shape,
        () => ({ 'content-type': 'application/json', ...headers() }),
        (piece) => jsonWith(body(field), piece),
      );

    /** Every field of `pairs` (plus one the route does not know) as cases of one form route. */
    const formCases = (
      route: string,
      pairs: () => Array<[string, string]>,
      cookie: () => string,
      shape: Shape = 'page',
    ) =>
      [...pairs().map(([n]) => n), 'unknown_field'].map((field) =>
        formCase(route, pairs, field, shape, cookie),
      );

    const signedIn = () => ctx.signedIn.cookie;
    const pending = () => ctx.pending.cookie;
    const authorizeParams = (): Array<[string, string]> => [
      ['response_type', 'code'],
      ['client_id', ctx.pkce.clientId],
      ['redirect_uri', 'http://127.0.0.1:9999/oauth/callback'],
      ['state', 'state-1'],
      ['code_challenge_method', 'S256'],
      ['scopes', 'sso:account:access'],
      ['code_challenge', CHALLENGE],
    ];
    const withMark = (body: Record<string, unknown>, field: string): Record<string, unknown> => {
      const m = /^(\w+)\[0\]$/.exec(field);
      return m ? { ...body, [m[1]!]: [MARK] } : { ...body, [field]: MARK };
    };

    const cases = (): FieldCase[] => [
      // Sign-in pages (pre-session, pending MFA, signed in).
      queryCase('GET /signin', '/signin', [['return', '/start']], 'return', 'page'),
      ...formCases(
        'POST /signin',
        () => [
          ['_csrf', ctx.pre.csrf],
          ['return', '/start'],
          ['step', 'password'],
          ['user_name', 'alice'],
          ['password', PASSWORD],
        ],
        () => ctx.pre.cookie,
      ),
      queryCase('GET /signin/mfa', '/signin/mfa', [['return', '/start']], 'return', 'page', () => ({
        cookie: pending(),
      })),
      ...formCases(
        'POST /signin/mfa',
        () => [
          ['_csrf', ctx.pending.csrf],
          ['code', '123456'],
          ['return', '/start'],
        ],
        pending,
      ),
      queryCase(
        'GET /signin/mfa/setup',
        '/signin/mfa/setup',
        [['return', '/start']],
        'return',
        'page',
        () => ({
          cookie: pending(),
        }),
      ),
      ...formCases(
        'POST /signin/mfa/setup',
        () => [
          ['_csrf', ctx.pending.csrf],
          ['device_id', ctx.setupDevice],
          ['code', '123456'],
          ['return', '/start'],
        ],
        pending,
      ),
      queryCase('HEAD /start', '/start', [['x', '1']], 'x', 'page', () => ({}), 'HEAD'),
      // MFA pages.
      queryCase('GET /mfa', '/mfa', [['done', 'enrolled']], 'done', 'page', () => ({ cookie: signedIn() })),
      queryCase('GET /mfa/enroll', '/mfa/enroll', [['x', '1']], 'x', 'page', () => ({ cookie: signedIn() })),
      ...formCases(
        'POST /mfa/enroll',
        () => [
          ['_csrf', ctx.signedIn.csrf],
          ['device_id', ctx.enrolDevice],
          ['code', '123456'],
        ],
        signedIn,
      ),
      ...formCases(
        'POST /mfa/remove',
        () => [
          ['_csrf', ctx.signedIn.csrf],
          ['code', '123456'],
        ],
        signedIn,
      ),
      // Device verification and consent.
      queryCase('GET /device', '/device', [['user_code', ctx.device.userCode]], 'user_code', 'page', () => ({
        cookie: signedIn(),
      })),
      ...formCases(
        'POST /device',
        () => [
          ['_csrf', ctx.signedIn.csrf],
          ['user_code', ctx.device.userCode],
        ],
        signedIn,
      ),
      ...formCases(
        'POST /device/confirm',
        () => [
          ['_csrf', ctx.signedIn.csrf],
          ['grant_id', ctx.device.grantId],
          ['user_code', ctx.device.userCode],
          ['decision', 'deny'],
        ],
        signedIn,
      ),
      // The browser side of the PKCE flow.
      ...authorizeParams().map(([field]) =>
        queryCase('GET /authorize', '/authorize', authorizeParams(), field, 'page', () => ({
          cookie: signedIn(),
        })),
      ),
      ...formCases(
        'POST /authorize',
        () => [['_csrf', ctx.signedIn.csrf], ...authorizeParams(), ['decision', 'deny']],
        signedIn,
      ),
      // The access portal.
      queryCase('GET /start', '/start', [['q', 'prod']], 'q', 'page', () => ({ cookie: signedIn() })),
      queryCase('GET /start/access.json', '/start/access.json', [['x', '1']], 'x', 'portal-json', () => ({
        cookie: signedIn(),
      })),
      ...['accountId', 'roleName'].map((field) =>
        jsonCase(
          'POST /start/credentials',
          (f) => withMark({ accountId: ACCOUNT, roleName: 'ReadOnly' }, f),
          field,
          'portal-json',
          () => ({ cookie: signedIn(), 'x-csrf-token': ctx.signedIn.csrf }),
        ),
      ),
      queryCase('GET /profile', '/profile', [['done', 'signed-out']], 'done', 'page', () => ({
        cookie: signedIn(),
      })),
      // SSO OIDC (restJson1).
      ...['clientName', 'clientType', 'scopes[0]', 'grantTypes[0]', 'redirectUris[0]', 'issuerUrl'].map(
        (field) =>
          jsonCase(
            'POST /client/register',
            (f) =>
              withMark(
                {
                  clientName: 'botocore-client-x',
                  clientType: 'public',
                  scopes: ['sso:account:access'],
                  grantTypes: ['authorization_code'],
                  redirectUris: ['http://127.0.0.1/cb'],
                  issuerUrl: server.deps.config.startUrl,
                },
                f,
              ),
            field,
            'oidc',
          ),
      ),
      ...['clientId', 'clientSecret', 'startUrl'].map((field) =>
        jsonCase(
          'POST /device_authorization',
          (f) =>
            withMark(
              {
                clientId: ctx.device.clientId,
                clientSecret: ctx.device.clientSecret,
                startUrl: server.deps.config.startUrl,
              },
              f,
            ),
          field,
          'oidc',
        ),
      ),
      ...(
        [
          ['clientId', 'urn:ietf:params:oauth:grant-type:device_code'],
          ['clientSecret', 'urn:ietf:params:oauth:grant-type:device_code'],
          ['grantType', ''],
          ['deviceCode', 'urn:ietf:params:oauth:grant-type:device_code'],
          ['refreshToken', 'refresh_token'],
          ['code', 'authorization_code'],
          ['redirectUri', 'authorization_code'],
          ['codeVerifier', 'authorization_code'],
        ] as const
      ).map(([field, grantType]) =>
        jsonCase(
          'POST /token',
          (f) =>
            withMark(
              {
                clientId: grantType === 'authorization_code' ? ctx.pkce.clientId : ctx.device.clientId,
                clientSecret:
                  grantType === 'authorization_code' ? ctx.pkce.clientSecret : ctx.device.clientSecret,
                grantType,
                deviceCode: 'device-code',
                refreshToken: 'refresh-token',
                code: 'auth-code',
                redirectUri: 'http://127.0.0.1/oauth/callback',
                codeVerifier: 'v'.repeat(43),
              },
              f,
            ),
          field,
          'oidc',
        ),
      ),
      // SSO portal API (restJson1), with a valid bearer token.
      ...(
        [
          [
            '/assignment/accounts',
            [
              ['max_result', '10'],
              ['next_token', 'abc'],
            ],
          ],
          [
            '/assignment/roles',
            [
              ['account_id', ACCOUNT],
              ['max_result', '10'],
              ['next_token', 'abc'],
            ],
          ],
          [
            '/federation/credentials',
            [
              ['role_name', 'ReadOnly'],
              ['account_id', ACCOUNT],
            ],
          ],
          ['/idcenter/v1/access', [['x', '1']]],
        ] as Array<[string, Array<[string, string]>]>
      ).flatMap(([path, pairs]) =>
        pairs.map(([field]) =>
          queryCase(`GET ${path}`, path, pairs, field, 'portal-api', () => ({
            'x-amz-sso_bearer_token': ctx.bearer,
          })),
        ),
      ),
      queryCase(
        'POST /logout',
        '/logout',
        [['x', '1']],
        'x',
        'portal-api',
        () => ({ 'x-amz-sso_bearer_token': ctx.bearer }),
        'POST',
      ),
      // Last, with sessions of their own: the forms that end sessions.
      ...formCases(
        'POST /signout',
        () => [['_csrf', ctx.signout.csrf]],
        () => ctx.signout.cookie,
      ),
      ...formCases(
        'POST /profile/sessions/revoke',
        () => [
          ['_csrf', ctx.revoke.csrf],
          ['session', ctx.revoke.sessionId],
        ],
        () => ctx.revoke.cookie,
      ),
      ...formCases(
        'POST /profile/sessions/revoke-all',
        () => [['_csrf', ctx.revoke.csrf]],
        () => ctx.revoke.cookie,
      ),
    ];

    /**
     * Send one case with one bad value: refused in its shape, and the store still at `before`.
     * Returns what went wrong (every case is sent, so one run lists every broken field); a 5xx
     * is also kept in `serverErrors`.
     */
    const serverErrors: string[] = [];
    async function check(
      c: FieldCase,
      piece: Buffer,
      bad: Bad,
      before: Record<string, string>,
    ): Promise<string[]> {
      const problems: string[] = [];
      try {
        const r = await send(server.url, c.request(piece));
        if (r.status >= 500) serverErrors.push(`${c.route} ${c.field} ${bad.label}: ${r.status}`);
        if (c.route.startsWith('HEAD '))
          assert.equal(r.status, 400, `${c.route} ${bad.label}: status ${r.status}`);
        else assertRefusal(c, bad, r);
      } catch (err) {
        problems.push((err as Error).message.split('\n')[0] ?? '');
      }
      const changed = changedTables(before, await storeState(server.deps));
      if (changed.length > 0) {
        problems.push(`${c.route} ${c.field} ${bad.label}: changed ${changed.join(', ')}`);
        // Go on from the changed store, so the next cases are judged on their own.
        Object.assign(before, await storeState(server.deps));
      }
      return problems;
    }

    it('pages, SSO OIDC and the portal API: every query, form and JSON field of every route', async () => {
      const all = cases();
      const covered = new Set<string>();
      const problems: string[] = [];
      // Nothing may change, so every request is compared with the store as it was at the start.
      const before = await storeState(server.deps);
      for (const c of all) {
        for (const bad of BAD) {
          const piece = badPiece(bad, c.where);
          if (!piece) continue;
          problems.push(...(await check(c, piece, bad, before)));
          covered.add(`${c.route} ${c.field}`);
        }
      }
      assert.deepEqual(serverErrors, [], 'never a 500');
      assert.deepEqual(problems, []);
      // Every case was sent (each place carries some of the bad values).
      assert.equal(covered.size, new Set(all.map((c) => `${c.route} ${c.field}`)).size);
      assert.ok(covered.size > 80, `only ${covered.size} fields swept`);
    });

    it('STS: every parameter of a signed call, on the fast path and through the routes', async () => {
      const signer = new SignatureV4({
        credentials: {
          accessKeyId: ctx.creds.accessKeyId,
          secretAccessKey: ctx.creds.secretAccessKey,
          sessionToken: ctx.creds.sessionToken,
        },
        region: 'us-east-1',
        service: 'sts',
        sha256: NodeSha256,
      });
      const host = new URL(server.url).host;
      const signed = async (method: string, query: Record<string, string>, body: Buffer | undefined) => {
        const s = await signer.sign(
          {
            method,
            protocol: 'http:',
            hostname: '127.0.0.1',
            port: Number(new URL(server.url).port),
            path: '/',
            query,
            headers: {
              host,
              ...(body ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } : {}),
            },
            ...(body ? { body } : {}),
          },
          { signingDate: new Date(clock.now()) },
        );
        return s.headers as Record<string, string>;
      };
      const params: Array<[string, string]> = [
        ['Action', 'GetAccessKeyInfo'],
        ['Version', '2011-06-15'],
        ['AccessKeyId', ctx.creds.accessKeyId],
      ];
      // A valid call first: the signing is right, so what follows fails for the parameter alone.
      const okBody = encodePairs(params, 'Action', Buffer.from('GetAccessKeyInfo'));
      const ok = await send(server.url, {
        method: 'POST',
        path: '/',
        headers: await signed('POST', {}, okBody),
        body: okBody,
      });
      assert.equal(ok.status, 200, ok.body.toString());

      let sent = 0;
      for (const [field] of [...params, ['Extra', '']] as Array<[string, string]>) {
        for (const bad of BAD) {
          const piece = badPiece(bad, 'form');
          if (!piece) continue;
          const body = encodePairs(params, field, piece);
          const headers = await signed('POST', {}, body);
          const c: FieldCase = {
            route: 'POST /',
            field,
            where: 'form',
            shape: 'sts',
            request: () => ({ method: 'POST', path: '/' }),
          };
          for (const way of ['fast path', 'routes'] as const) {
            const before = await storeState(server.deps);
            // A chunked body is not the fast path's shape: it goes through the Fastify route.
            const r =
              way === 'fast path'
                ? await send(server.url, { method: 'POST', path: '/', headers, body })
                : await send(server.url, {
                    method: 'POST',
                    path: '/',
                    headers: { ...headers, 'transfer-encoding': 'chunked' },
                    body,
                  });
            assertRefusal({ ...c, route: `POST / (${way})` }, bad, r);
            assert.deepEqual(
              changedTables(before, await storeState(server.deps)),
              [],
              `${field} ${bad.label}`,
            );
            sent++;
          }
        }
      }
      // The query string of a signed GET: the values a signer can carry (NUL, ESC, TAB).
      for (const [field] of params) {
        for (const ch of ['\u0000', '\u001b', '\t']) {
          const query = Object.fromEntries(params.map(([n, v]) => [n, n === field ? `x${ch}y` : v]));
          const headers = await signed('GET', query, undefined);
          const qs = Object.entries(query)
            .map(([n, v]) => `${n}=${encodeURIComponent(v)}`)
            .join('&');
          const before = await storeState(server.deps);
          const r = await send(server.url, { method: 'GET', path: `/?${qs}`, headers });
          assertRefusal(
            {
              route: 'GET /',
              field,
              where: 'query',
              shape: 'sts',
              request: () => ({ method: 'GET', path: '/' }),
            },
            { label: JSON.stringify(ch) },
            r,
          );
          assert.deepEqual(changedTables(before, await storeState(server.deps)), []);
          sent++;
        }
      }
      assert.ok(sent > 60, `${sent} STS requests`);
    });

    it('a signature parameter with control bytes fails the signature, and its audit event does not echo them', async () => {
      const date = new Date(clock.now())
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
      const before = await server.deps.ctx.store.db.selectFrom('audit_events').select('id').execute();
      const r = await send(server.url, {
        method: 'GET',
        path:
          `/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256` +
          `&X-Amz-Credential=${ctx.creds.accessKeyId}%2F${date.slice(0, 8)}%2Fus-east-1%2Fsts%2Faws4_request` +
          `&X-Amz-Date=${date}%00%1B&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}`,
      });
      assert.equal(r.status, 400);
      assert.match(r.body.toString(), /<Code>IncompleteSignature<\/Code>/);
      const rows = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select(['id', 'detail'])
        .where('action', '=', 'sts.signature_failure')
        .execute();
      const added = rows.filter((row) => !before.some((b) => b.id === row.id));
      assert.equal(added.length, 1, 'the failed check is audited');
      const detail = JSON.parse(added[0]!.detail ?? '{}') as { reason: string };
      assert.match(detail.reason, /Date must be in ISO-8601/);
      assert.ok(
        !/\p{Cc}/u.test(detail.reason),
        `reason echoes control bytes: ${JSON.stringify(detail.reason)}`,
      );
    });

    it('headers: bearer tokens, CSRF tokens, cookies and X-Amz-Target with odd bytes are refused or ignored, never a 500', async () => {
      const odd = ['tok\ten', 'tok\u00ffen', 'tok\u00c3\u0028en'];
      for (const value of odd) {
        const before = await storeState(server.deps);
        const replies = [
          // The Fastify route and the fast path's GetRoleCredentials.
          await send(server.url, {
            method: 'GET',
            path: '/assignment/accounts',
            headers: { 'x-amz-sso_bearer_token': value },
          }),
          await send(server.url, {
            method: 'GET',
            path: `/federation/credentials?role_name=ReadOnly&account_id=${ACCOUNT}`,
            headers: { 'x-amz-sso_bearer_token': value },
          }),
        ];
        for (const r of replies) {
          assert.equal(r.status, 401, value);
          assert.equal(r.headers['x-amzn-errortype'], 'UnauthorizedException');
        }
        const creds = await send(server.url, {
          method: 'POST',
          path: '/start/credentials',
          headers: { cookie: ctx.signedIn.cookie, 'x-csrf-token': value, 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify({ accountId: ACCOUNT, roleName: 'ReadOnly' })),
        });
        assert.equal(creds.status, 403);
        // A session cookie that is not one is no session: sign-in, not an error page.
        const start = await send(server.url, {
          method: 'GET',
          path: '/start',
          headers: { cookie: `${sessionCookieName(server.deps.config)}=${value}` },
        });
        assert.equal(start.status, 303);
        const target = await send(server.url, {
          method: 'POST',
          path: '/',
          headers: { 'x-amz-target': `Some${value}.Op`, 'content-type': 'application/x-amz-json-1.1' },
          body: Buffer.from('{}'),
        });
        assert.equal(target.status, 400);
        assert.equal(target.headers['x-amzn-errortype'], 'UnknownOperationException');
        const said = String(JSON.parse(target.body.toString()).message);
        assert.ok(
          !said.includes(value) && !said.includes('\t'),
          `the target is echoed: ${JSON.stringify(said)}`,
        );
        assert.deepEqual(changedTables(before, await storeState(server.deps)), [], value);
      }
    });

    it('the User-Agent kept with a session is UTF-8 text without control characters, or none', async () => {
      const sessionsOfBob = () =>
        server.deps.ctx.store.db
          .selectFrom('portal_sessions')
          .select(['id', 'user_agent'])
          .where('user_id', '=', org.users.bob!)
          .execute();
      for (const [ua, kept] of [
        ['Mozilla/5.0\t(X11)', null],
        ['Mozilla/5.0 \u00ff\u00fe', null],
        // "é€" sent as UTF-8 bytes (Node hands them over as latin1 characters).
        [Buffer.from('Agent é€').toString('latin1'), 'Agent é€'],
      ] as Array<[string, string | null]>) {
        const signin = await send(server.url, { method: 'GET', path: '/signin' });
        const nonce = String(signin.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
        const csrf = /name="_csrf" value="([^"]+)"/.exec(signin.body.toString())?.[1] ?? '';
        const before = await sessionsOfBob();
        const r = await send(server.url, {
          method: 'POST',
          path: '/signin',
          headers: { cookie: nonce, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': ua },
          body: Buffer.from(
            new URLSearchParams({
              _csrf: csrf,
              step: 'password',
              user_name: 'bob',
              password: PASSWORD,
            }).toString(),
          ),
        });
        assert.equal(r.status, 303, r.body.toString());
        const added = (await sessionsOfBob()).filter((s) => !before.some((b) => b.id === s.id));
        assert.deepEqual(
          added.map((s) => s.user_agent),
          [kept],
          `${JSON.stringify(ua)} is kept as ${JSON.stringify(kept)}`,
        );
      }
    });

    it('botocore sends text a real client can be made to send, and reads our errors as the modeled exceptions', async () => {
      const script = `
import json, sys, datetime, boto3, botocore.auth, botocore.config
a = json.loads(sys.argv[1])
# Sign at the server's (manual) clock.
fixed = datetime.datetime.fromtimestamp(a['at'] / 1000, datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda *x, **k: fixed
cfg = botocore.config.Config(retries={'max_attempts': 1})
oidc = boto3.client('sso-oidc', region_name='us-east-1', endpoint_url=a['url'], config=cfg)
sso = boto3.client('sso', region_name='us-east-1', endpoint_url=a['url'], config=cfg)
sts = boto3.client('sts', region_name='us-east-1', endpoint_url=a['url'], config=cfg,
                   aws_access_key_id=a['akid'], aws_secret_access_key=a['secret'], aws_session_token=a['token'])
def code(call):
    try:
        call()
        return ['ok']
    except Exception as e:
        r = getattr(e, 'response', {})
        return [r.get('Error', {}).get('Code'), r.get('ResponseMetadata', {}).get('HTTPStatusCode')]
out = {
  'registerNul': code(lambda: oidc.register_client(clientName='botocore-client-\\x00', clientType='public')),
  'registerSurrogate': code(lambda: oidc.register_client(clientName='botocore-client-\\ud800', clientType='public')),
  'registerEsc': code(lambda: oidc.register_client(clientName='botocore-client-\\x1b[31m', clientType='public')),
  'startNul': code(lambda: oidc.start_device_authorization(clientId=a['clientId'], clientSecret=a['clientSecret'], startUrl=a['startUrl'] + '\\x00')),
  'startSurrogate': code(lambda: oidc.start_device_authorization(clientId=a['clientId'], clientSecret=a['clientSecret'], startUrl=a['startUrl'] + '\\udfff')),
  'tokenNul': code(lambda: oidc.create_token(clientId=a['clientId'], clientSecret=a['clientSecret'], grantType='urn:ietf:params:oauth:grant-type:device_code', deviceCode='dc\\x00')),
  'tokenEsc': code(lambda: oidc.create_token(clientId=a['clientId'], clientSecret=a['clientSecret'], grantType='refresh_token', refreshToken='rt\\x1b')),
  'grcNul': code(lambda: sso.get_role_credentials(roleName='ReadOnly', accountId='1111111111\\x0011', accessToken=a['bearer'])),
  'grcEsc': code(lambda: sso.get_role_credentials(roleName='Read\\x1bOnly', accountId=a['account'], accessToken=a['bearer'])),
  'rolesNul': code(lambda: sso.list_account_roles(accountId='11111\\x00', accessToken=a['bearer'])),
  'stsNul': code(lambda: sts.get_access_key_info(AccessKeyId='ASIA\\x00' + 'A' * 16)),
}
print(json.dumps(out))
`;
      const before = await storeState(server.deps);
      const r = await python(script, [
        JSON.stringify({
          url: server.url,
          akid: ctx.creds.accessKeyId,
          secret: ctx.creds.secretAccessKey,
          token: ctx.creds.sessionToken,
          clientId: ctx.device.clientId,
          clientSecret: ctx.device.clientSecret,
          startUrl: server.deps.config.startUrl,
          bearer: ctx.bearer,
          account: ACCOUNT,
          at: clock.now(),
        }),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as Record<string, [string, number]>;
      assert.deepEqual(out, {
        registerNul: ['InvalidRequestException', 400],
        registerSurrogate: ['InvalidRequestException', 400],
        registerEsc: ['InvalidClientMetadataException', 400],
        startNul: ['InvalidRequestException', 400],
        startSurrogate: ['InvalidRequestException', 400],
        tokenNul: ['InvalidRequestException', 400],
        tokenEsc: ['InvalidRequestException', 400],
        grcNul: ['InvalidRequestException', 400],
        grcEsc: ['InvalidRequestException', 400],
        rolesNul: ['InvalidRequestException', 400],
        stsNul: ['InvalidParameterValue', 400],
      });
      assert.deepEqual(changedTables(before, await storeState(server.deps)), []);
    });
  });
}
