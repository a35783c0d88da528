/**
 * The authorization request of the PKCE flow, `GET /authorize` (docs/wire-protocols.md,
 * "The authorize endpoint"), as built by AWS CLI v2: `response_type=code`, `client_id`,
 * `redirect_uri` (loopback, any port), `state`, `code_challenge_method=S256`, `scopes`
 * (space-separated, plural name) and `code_challenge`. This file decides what a request means; the
 * pages (sign-in, consent) live in web/signin.
 *
 * RFC 6749 §4.1.2.1: when the client or redirect URI is wrong the browser must not be sent
 * anywhere (error page); other problems go back to the client's redirect URI as `error=…`.
 */
import type { OidcClient } from '../../app/auth/client-cache.ts';
import { findClient, isClientUsable } from '../../app/auth/clients.ts';
import type { AppContext } from '../../app/context.ts';
import { GRANT_AUTHORIZATION_CODE, KNOWN_SCOPES } from '../../domain/auth/oauth.ts';
import { isValidChallenge, PKCE_METHOD } from '../../domain/auth/pkce.ts';
import { matchRedirectUri } from '../../domain/auth/redirect-uri.ts';

export interface AuthorizeRequest {
  client: OidcClient;
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  scopes: string[];
}

export type AuthorizeCheck =
  | { kind: 'ok'; request: AuthorizeRequest }
  | { kind: 'error_page'; message: string }
  | {
      kind: 'redirect_error';
      redirectUri: string;
      state: string | undefined;
      error: string;
      description: string;
    };

/** The parameters the consent form carries back (same names as the query). */
export const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge_method',
  'scopes',
  'code_challenge',
] as const;

const MAX_STATE = 1024;

/** Check an authorization request given as URL-encoded parameters. */
export async function checkAuthorizeRequest(
  ctx: AppContext,
  params: URLSearchParams,
): Promise<AuthorizeCheck> {
  const single = (name: string): string | undefined | null => {
    const all = params.getAll(name);
    if (all.length > 1) return null; // RFC 6749 §3.1: a parameter must not repeat
    return all[0];
  };
  const clientId = single('client_id');
  if (!clientId)
    return { kind: 'error_page', message: 'The request does not name a valid client (client_id).' };
  const client = await findClient(ctx, clientId);
  if (!client || !isClientUsable(client, ctx.clock.now())) {
    return {
      kind: 'error_page',
      message: 'The application is not registered or its registration has expired.',
    };
  }
  if (!client.grantTypes.includes(GRANT_AUTHORIZATION_CODE)) {
    return {
      kind: 'error_page',
      message: 'The application is not registered for browser sign-in (authorization code).',
    };
  }
  const redirectUri = single('redirect_uri');
  if (!redirectUri || !matchRedirectUri(client.redirectUris, redirectUri)) {
    return {
      kind: 'error_page',
      message: 'The redirect URI is missing or does not match the one the application registered.',
    };
  }
  const state = single('state');
  const back = (error: string, description: string): AuthorizeCheck => ({
    kind: 'redirect_error',
    redirectUri,
    state: typeof state === 'string' && state.length <= MAX_STATE ? state : undefined,
    error,
    description,
  });
  if (state === null) return back('invalid_request', 'state must not repeat');
  if (state !== undefined && state.length > MAX_STATE) return back('invalid_request', 'state is too long');
  const responseType = single('response_type');
  if (responseType !== 'code') return back('unsupported_response_type', 'response_type must be code');
  const method = single('code_challenge_method');
  if (method === undefined) return back('invalid_request', 'PKCE is required: code_challenge_method=S256');
  if (method !== PKCE_METHOD)
    return back('invalid_request', 'Only the S256 code challenge method is supported');
  const codeChallenge = single('code_challenge');
  if (!isValidChallenge(codeChallenge)) {
    return back('invalid_request', 'code_challenge must be 43 base64url characters (S256)');
  }
  const scopesParam = single('scopes') ?? single('scope');
  if (scopesParam === null) return back('invalid_request', 'scopes must not repeat');
  const scopes =
    scopesParam === undefined ? [...client.scopes] : [...new Set(scopesParam.split(' ').filter(Boolean))];
  for (const s of scopes) {
    const allowedByClient = client.scopes.length === 0 || client.scopes.includes(s);
    if (!KNOWN_SCOPES.includes(s) || !allowedByClient)
      return back('invalid_scope', 'A requested scope is not allowed');
  }
  return { kind: 'ok', request: { client, redirectUri, state, codeChallenge, scopes } };
}

/** `redirect_uri` with the given parameters added (absent values left out). */
export function authorizeRedirect(redirectUri: string, params: Record<string, string | undefined>): string {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.append(k, v);
  return u.href;
}
