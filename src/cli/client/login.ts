/**
 * Signing in to an SSO session or legacy start URL, as the AWS CLI v2 does (docs/cli-flow.md,
 * "Signing in"): the authorization-code flow with PKCE through a loopback redirect for
 * sso-sessions, the device code flow with --use-device-code and for legacy profiles; client
 * registrations cached and reused (docs/client-files.md, "Client registration cache"); the token
 * written to the shared cache.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { CliError } from '../errors.ts';
import { assertStartUrl, type SsoTarget } from './aws-config.ts';
import { canOpenBrowser, openBrowser } from './browser.ts';
import {
  type CachedRegistration,
  type CachedToken,
  formatTimestamp,
  parseTimestamp,
  registrationCacheKey,
  tokenCacheKey,
} from './cache.ts';
import type { ClientContext } from './context.ts';
import { endpointProfile, resolveEndpoint } from './endpoints.ts';
import { ServiceError } from './http.ts';
import { paint } from './io.ts';
import { PENDING_EXPIRED, startCallbackServer } from './loopback.ts';
import { OidcClient } from './oidc.ts';

export interface LoginOptions {
  useDeviceCode?: boolean;
  noBrowser?: boolean;
  /** Register a new client even if a cached registration is usable (new session in configure sso). */
  forceRegistration?: boolean;
  /** Opens a URL; defaults to the system browser. Tests inject their own. */
  openUrl?: (url: string) => Promise<boolean>;
}

const DEFAULT_SCOPE = 'sso:account:access';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const AUTH_GRANTS = ['authorization_code', 'refresh_token'];
const REGISTRATION_WINDOW_MS = 15 * 60_000;

function isAuthCodeRegistration(r: CachedRegistration): boolean {
  return Array.isArray(r.grantTypes) && r.grantTypes.includes('authorization_code');
}

function clientName(target: SsoTarget, now: number): string {
  return `botocore-client-${target.sessionName ?? Math.floor(now / 1000)}`;
}

/** PKCE verifier: 64 characters of the unreserved set, as the AWS CLI makes them. */
export function makeVerifier(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
  let v = '';
  for (let i = 0; i < 64; i++) v += alphabet[randomInt(alphabet.length)];
  return v;
}

export function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function inSsh(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY);
}

/** Sign in and cache the token. Returns the new token. */
export async function login(
  ctx: ClientContext,
  target: SsoTarget,
  options: LoginOptions = {},
): Promise<CachedToken> {
  const { io } = ctx;
  assertStartUrl(target);
  const endpoint = resolveEndpoint('sso_oidc', target.region, {
    env: io.env,
    cfg: ctx.cfg,
    profile: endpointProfile(ctx.cfg, target),
  });
  io.debug(`SSO OIDC endpoint ${endpoint.url} (${endpoint.source})`);
  const oidc = new OidcClient(ctx.http, endpoint.url);
  const openUrl = options.openUrl ?? ((url: string) => openBrowser(url, io.env));
  let useDevice = Boolean(options.useDeviceCode) || target.kind === 'legacy';
  let noBrowser = Boolean(options.noBrowser);
  if (!useDevice && !noBrowser && !options.openUrl && !canOpenBrowser(io.env)) {
    // No browser here: the loopback redirect cannot reach this machine from another one, so use
    // the device code, which can be entered anywhere.
    io.stdout.write(
      'No browser can be opened on this machine; using the device code flow so you can sign in from another device.\n',
    );
    useDevice = true;
    noBrowser = true;
  }
  const token = useDevice
    ? await deviceFlow(ctx, oidc, target, { noBrowser, force: Boolean(options.forceRegistration), openUrl })
    : await authCodeFlow(ctx, oidc, endpoint.url, target, {
        noBrowser,
        force: Boolean(options.forceRegistration),
        openUrl,
      });
  ctx.sso.writeToken(tokenCacheKey(target), token);
  return token;
}

function regKey(target: SsoTarget): string {
  return registrationCacheKey({
    startUrl: target.startUrl,
    region: target.region,
    scopes: target.scopes,
    sessionName: target.sessionName,
  });
}

function usable(ctx: ClientContext, reg: CachedRegistration | undefined, forAuthCode: boolean): boolean {
  if (!reg) return false;
  const exp = parseTimestamp(reg.expiresAt);
  if (exp === undefined || exp - ctx.io.now() < REGISTRATION_WINDOW_MS) return false;
  return isAuthCodeRegistration(reg) === forAuthCode;
}

function tokenFrom(
  target: SsoTarget,
  reg: CachedRegistration,
  res: { accessToken: string; expiresIn: number; refreshToken?: string },
  issuedAt: number,
): CachedToken {
  const t: CachedToken = {
    startUrl: target.startUrl,
    region: target.region,
    accessToken: res.accessToken,
    expiresAt: formatTimestamp(issuedAt + res.expiresIn * 1000),
    clientId: reg.clientId,
    clientSecret: reg.clientSecret,
    registrationExpiresAt: reg.expiresAt,
  };
  if (res.refreshToken) t.refreshToken = res.refreshToken;
  return t;
}

async function deviceFlow(
  ctx: ClientContext,
  oidc: OidcClient,
  target: SsoTarget,
  opts: { noBrowser: boolean; force: boolean; openUrl: (url: string) => Promise<boolean> },
): Promise<CachedToken> {
  const { io } = ctx;
  const key = regKey(target);
  let reg = opts.force ? undefined : ctx.sso.readRegistration(key);
  if (!usable(ctx, reg, false)) {
    const r = await oidc.registerClient({ clientName: clientName(target, io.now()), scopes: target.scopes });
    reg = {
      clientId: r.clientId,
      clientSecret: r.clientSecret,
      expiresAt: formatTimestamp(r.clientSecretExpiresAt * 1000),
    };
    if (target.scopes?.length) reg.scopes = target.scopes;
    ctx.sso.writeRegistration(key, reg);
  }
  const registration = reg as CachedRegistration;
  const auth = await oidc.startDeviceAuthorization({
    clientId: registration.clientId,
    clientSecret: registration.clientSecret,
    startUrl: target.startUrl,
  });
  let interval = auth.interval ?? 5;
  const deadline = io.now() + auth.expiresIn * 1000;
  const attempt = async (): Promise<CachedToken | undefined> => {
    const issuedAt = io.now();
    try {
      const res = await oidc.createToken({
        grantType: DEVICE_GRANT,
        clientId: registration.clientId,
        clientSecret: registration.clientSecret,
        deviceCode: auth.deviceCode,
      });
      return tokenFrom(target, registration, res, issuedAt);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      if (err.code === 'AuthorizationPendingException') return undefined;
      if (err.code === 'SlowDownException') {
        interval += 5;
        return undefined;
      }
      if (err.code === 'ExpiredTokenException') throw new CliError(PENDING_EXPIRED, 255);
      if (err.code === 'AccessDeniedException') {
        throw new CliError('The sign-in request was denied in the browser; nothing was changed.', 255);
      }
      throw new CliError(err.message, 254);
    }
  };
  // Pre-authorised clients finish without showing the code (docs/cli-flow.md,
  // "Device code output").
  const first = await attempt();
  if (first) return first;
  if (opts.noBrowser) {
    io.stdout.write(
      `Browser will not be automatically opened.\nPlease visit the following URL:\n\n${auth.verificationUri}\n` +
        `\nThen enter the code:\n\n${auth.userCode}\n` +
        `\nAlternatively, you may visit the following URL which will autofill the code upon loading:\n${auth.verificationUriComplete}\n`,
    );
  } else {
    io.stdout.write(
      'Attempting to open your default browser.\nIf the browser does not open or you wish to use a different device to ' +
        `authorize this request, open the following URL:\n\n${auth.verificationUri}\n\nThen enter the code:\n\n${auth.userCode}\n`,
    );
    await opts.openUrl(auth.verificationUriComplete);
  }
  for (;;) {
    if (io.now() > deadline + interval * 1000) throw new CliError(PENDING_EXPIRED, 255);
    await io.sleep(interval * 1000);
    const t = await attempt();
    if (t) return t;
  }
}

async function authCodeFlow(
  ctx: ClientContext,
  oidc: OidcClient,
  oidcEndpoint: string,
  target: SsoTarget,
  opts: { noBrowser: boolean; force: boolean; openUrl: (url: string) => Promise<boolean> },
): Promise<CachedToken> {
  const { io } = ctx;
  const callback = await startCallbackServer();
  try {
    const key = regKey(target);
    const scopes = target.scopes?.length ? target.scopes : [DEFAULT_SCOPE];
    let reg = opts.force ? undefined : ctx.sso.readRegistration(key);
    if (!usable(ctx, reg, true)) {
      const r = await oidc.registerClient({
        clientName: clientName(target, io.now()),
        scopes,
        grantTypes: AUTH_GRANTS,
        redirectUris: ['http://127.0.0.1/oauth/callback'],
        issuerUrl: target.startUrl,
      });
      reg = {
        clientId: r.clientId,
        clientSecret: r.clientSecret,
        expiresAt: formatTimestamp(r.clientSecretExpiresAt * 1000),
        scopes: [...scopes],
        grantTypes: [...AUTH_GRANTS],
      };
      ctx.sso.writeRegistration(key, reg);
    }
    const registration = reg as CachedRegistration;
    const verifier = makeVerifier();
    const state = randomUUID();
    // The AWS CLI builds /authorize from the OIDC endpoint's origin only (docs/wire-protocols.md,
    // "URL joining").
    const origin = new URL(oidcEndpoint).origin;
    const query = [
      ['response_type', 'code'],
      ['client_id', registration.clientId],
      ['redirect_uri', callback.redirectUri],
      ['state', state],
      ['code_challenge_method', 'S256'],
      ['scopes', scopes.join(' ')],
      ['code_challenge', challengeOf(verifier)],
    ]
      .map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`)
      .join('&');
    const url = `${origin}/authorize?${query}`;
    if (opts.noBrowser) {
      io.stdout.write(
        `Browser will not be automatically opened.\nPlease visit the following URL:\n\n${url}\n`,
      );
    } else {
      io.stdout.write(
        'Attempting to open your default browser. If the browser does not open, open the following URL.\n' +
          "If you are unable to open the URL on this device, run this command again with the '--use-device-code' option.\n" +
          `\n${url}\n\n`,
      );
    }
    if (inSsh(io.env)) {
      const p = paint(io.stdout, io.env);
      io.stdout.write(
        `${p.yellow(
          `This looks like an SSH session: the browser must run on this machine, because the sign-in returns to ${callback.redirectUri}. ` +
            'To sign in from another device, run this command again with --use-device-code.',
        )}\n`,
      );
    }
    if (!opts.noBrowser) await opts.openUrl(url);
    const code = await callback.waitForCode(state);
    const issuedAt = io.now();
    try {
      const res = await oidc.createToken({
        grantType: 'authorization_code',
        clientId: registration.clientId,
        clientSecret: registration.clientSecret,
        redirectUri: callback.redirectUri,
        codeVerifier: verifier,
        code,
      });
      return tokenFrom(target, registration, res, issuedAt);
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'ExpiredTokenException')
        throw new CliError(PENDING_EXPIRED, 255);
      if (err instanceof ServiceError) throw new CliError(err.message, 254);
      throw err;
    }
  } finally {
    callback.close();
  }
}
