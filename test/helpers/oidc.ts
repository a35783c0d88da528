/**
 * Helpers for the sign-in and SSO OIDC suites: users seeded straight into the store, a tiny
 * cookie-keeping form client for attack tests that do not need a real browser, and raw SSO OIDC
 * calls that show status, headers and body exactly as sent.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { CreateTokenCommand, SSOOIDCClient, StartDeviceAuthorizationCommand } from '@aws-sdk/client-sso-oidc';
import { hash } from '@node-rs/argon2';
import type { ServerDeps } from '../../src/app/server-deps.ts';
import { base32Decode, totp } from '../../src/domain/auth/totp.ts';

export interface SeedUser {
  userName: string;
  password?: string;
  displayName?: string;
  status?: 'ENABLED' | 'DISABLED';
}

/** Insert a user (password hashed with argon2id); returns its id. */
export async function seedUser(deps: ServerDeps, user: SeedUser): Promise<string> {
  const now = deps.ctx.clock.now();
  const id = `9067000000-${randomUUID()}`;
  await deps.ctx.store.db
    .insertInto('users')
    .values({
      id,
      user_name: user.userName,
      user_name_lower: user.userName.toLowerCase(),
      display_name: user.displayName ?? user.userName,
      given_name: 'Test',
      family_name: 'User',
      email: null,
      status: user.status ?? 'ENABLED',
      password_hash: user.password ? await hash(user.password) : null,
      external_id: null,
      created_at: now,
      updated_at: now,
      created_by: 'test',
      updated_by: 'test',
    })
    .execute();
  return id;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export async function postJson(baseUrl: string, path: string, body: unknown): Promise<RawResponse> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface Registration {
  clientId: string;
  clientSecret: string;
}

export async function registerDeviceClient(
  baseUrl: string,
  scopes = true,
  name = 'botocore-client-test',
): Promise<Registration> {
  const r = await postJson(baseUrl, '/client/register', {
    clientName: name,
    clientType: 'public',
    ...(scopes ? { scopes: ['sso:account:access'] } : {}),
  });
  if (r.status !== 200) throw new Error(`register failed: ${r.text}`);
  return { clientId: String(r.json.clientId), clientSecret: String(r.json.clientSecret) };
}

export async function registerPkceClient(
  baseUrl: string,
  name = 'botocore-client-pkce',
): Promise<Registration> {
  const r = await postJson(baseUrl, '/client/register', {
    clientName: name,
    clientType: 'public',
    scopes: ['sso:account:access'],
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: ['http://127.0.0.1/oauth/callback'],
  });
  if (r.status !== 200) throw new Error(`register failed: ${r.text}`);
  return { clientId: String(r.json.clientId), clientSecret: String(r.json.clientSecret) };
}

/** The current TOTP code for a base32 secret as shown on the enrolment page (spaces allowed). */
export function totpNow(secretText: string, epochMs: number): string {
  const secret = base32Decode(secretText);
  if (!secret) throw new Error('bad secret');
  return totp(secret, epochMs);
}

/**
 * A form-posting client with a cookie jar and manual redirects: what a browser does for
 * server-rendered pages, without running one.
 */
export class FormClient {
  readonly base: string;
  readonly jar = new Map<string, string>();
  private readonly fetch: typeof fetch;
  /** `fetchImpl`: another fetch, e.g. `fetchTrusting(ca)` for a server whose CA is a test's own. */
  constructor(base: string, fetchImpl: typeof fetch = fetch) {
    this.base = base;
    this.fetch = fetchImpl;
  }

  private cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  async get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; location: string | null; text: string; headers: Headers }> {
    const res = await this.fetch(`${this.base}${path}`, {
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    this.keep(res);
    return {
      status: res.status,
      location: res.headers.get('location'),
      text: await res.text(),
      headers: res.headers,
    };
  }

  async post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; location: string | null; text: string; headers: Headers }> {
    const res = await this.fetch(`${this.base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.keep(res);
    return {
      status: res.status,
      location: res.headers.get('location'),
      text: await res.text(),
      headers: res.headers,
    };
  }

  /** Sign in through the pages (user name, password, optional TOTP). Returns the final response. */
  async signIn(userName: string, password: string, code?: () => string) {
    const first = await this.get('/signin');
    const csrf = csrfOf(first.text);
    await this.post('/signin', { _csrf: csrf, step: 'user', user_name: userName, return: '/start' });
    const done = await this.post('/signin', {
      _csrf: csrf,
      step: 'password',
      user_name: userName,
      password,
      return: '/start',
    });
    if (done.status === 303 && done.location?.startsWith('/signin/mfa') && code) {
      const mfaPage = await this.get(done.location);
      return this.post('/signin/mfa', { _csrf: csrfOf(mfaPage.text), code: code(), return: '/start' });
    }
    return done;
  }
}

/** The `_csrf` value of the first form on a page. */
export function csrfOf(pageText: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(pageText);
  if (!m?.[1]) throw new Error('no CSRF field on the page');
  return m[1];
}

export function hiddenOf(pageText: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(pageText);
  if (m?.[1] === undefined) throw new Error(`no hidden field ${name}`);
  return m[1]
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** Approve (or deny) a device code as a signed-in person, through the pages. */
export async function decideDevice(web: FormClient, userCode: string, decision: 'allow' | 'deny' = 'allow') {
  const entry = await web.get(`/device?user_code=${encodeURIComponent(userCode)}`);
  if (entry.status !== 200) throw new Error(`device page: ${entry.status} ${entry.location ?? ''}`);
  const consent = await web.post('/device', { _csrf: csrfOf(entry.text), user_code: userCode });
  if (consent.status !== 200 || !consent.text.includes('Authorization requested')) {
    throw new Error(`consent page: ${consent.status}`);
  }
  return web.post('/device/confirm', {
    _csrf: csrfOf(consent.text),
    grant_id: hiddenOf(consent.text, 'grant_id'),
    user_code: hiddenOf(consent.text, 'user_code'),
    decision,
  });
}

/**
 * The device flow as `aws sso login` makes it, through the AWS SDK: a device authorization
 * approved by the person signed in on `web`, redeemed for an access token.
 */
export async function deviceFlowAccessToken(
  web: FormClient,
  serverUrl: string,
  startUrl: string,
): Promise<string> {
  const client = await registerDeviceClient(serverUrl);
  const oidc = new SSOOIDCClient({ region: 'us-east-1', endpoint: serverUrl, maxAttempts: 1 });
  const start = await oidc.send(new StartDeviceAuthorizationCommand({ ...client, startUrl }));
  const decided = await decideDevice(web, start.userCode ?? '');
  if (decided.status !== 200) throw new Error(`device decision: ${decided.status}`);
  const token = await oidc.send(
    new CreateTokenCommand({ ...client, grantType: DEVICE_GRANT, deviceCode: start.deviceCode }),
  );
  if (!token.accessToken) throw new Error('CreateToken answered without an access token');
  return token.accessToken;
}

/**
 * A fetch for HTTPS servers whose certificate comes from the CA in `caFile` (the built-in fetch
 * trusts only the system's CAs), enough for FormClient: method, headers, a text body, and no
 * redirects followed.
 */
export function fetchTrusting(caFile: string): typeof fetch {
  return fetchThrough({ ca: fs.readFileSync(caFile) });
}

/**
 * A fetch over node:http(s) with request options the built-in fetch lacks (a CA to trust, a
 * local address to connect from), enough for FormClient: method, headers, a text body, and no
 * redirects followed.
 */
export function fetchThrough(options: https.RequestOptions): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const body = typeof init.body === 'string' ? init.body : undefined;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<Response>((resolve, reject) => {
      const req = request(url, { ...options, method: init.method ?? 'GET', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const received = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            received.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
          }
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: received }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
}

/** A signed-in form client (`fetchImpl` as for FormClient). */
export async function signedIn(
  baseUrl: string,
  userName: string,
  password: string,
  code?: () => string,
  fetchImpl: typeof fetch = fetch,
) {
  const web = new FormClient(baseUrl, fetchImpl);
  const res = await web.signIn(userName, password, code);
  if (res.status !== 303 || res.location !== '/start')
    throw new Error(`sign-in failed: ${res.status} ${res.location}`);
  return web;
}

/** Rows of the audit log with a given action (or one of them), on `target` if given, in the order they were written. */
export async function auditRows(deps: ServerDeps, action: string | string[], target?: string) {
  return deps.ctx.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', 'in', typeof action === 'string' ? [action] : action)
    .$if(target !== undefined, (qb) => qb.where('target_id', '=', target ?? ''))
    .orderBy('id')
    .execute();
}

/** The first audit row of `action` on `target`; there must be one. */
export async function auditRow(deps: ServerDeps, action: string, target: string) {
  const [row] = await auditRows(deps, action, target);
  if (!row) throw new Error(`no ${action} audit row on ${target}`);
  return row;
}

/** Set up an authenticator app for a signed-in person through `/mfa/enroll`; returns its secret. */
export async function enrolTotp(web: FormClient, now: number): Promise<string> {
  const page = await web.get('/mfa/enroll');
  const secret = /data-testid="totp-secret">([A-Z2-7 ]+)</.exec(page.text)?.[1];
  if (!secret) throw new Error(`no secret on the enrolment page: ${page.status}`);
  const done = await web.post('/mfa/enroll', {
    _csrf: csrfOf(page.text),
    device_id: hiddenOf(page.text, 'device_id'),
    code: totpNow(secret, now),
  });
  if (done.location !== '/mfa?done=enrolled')
    throw new Error(`enrolment failed: ${done.status} ${done.location}`);
  return secret;
}

/**
 * Events a list of audit rows stands for: a row that sums up repeated failures
 * (`app/failure-audit.ts`) counts as many as its `repeated.count`, any other row as one.
 */
export function eventCount(rows: ReadonlyArray<{ detail: string | null }>): number {
  return rows.reduce((n, r) => {
    const repeated = (JSON.parse(r.detail ?? '{}') as { repeated?: { count?: number } }).repeated;
    return n + (repeated?.count ?? 1);
  }, 0);
}
