/**
 * OIDC client registrations (RegisterClient). Clients are public (the AWS CLI and SDKs); the
 * secret we hand out only ties later calls to the registration. It is high-entropy, so the store
 * keeps its SHA-256 (docs/decisions.md, "Secrets at rest") and lookups stay one indexed read.
 */

import { REGISTRATION_BUDGET } from '../../domain/auth/lockout.ts';
import {
  CLIENT_SECRET_TTL_MS,
  DEFAULT_GRANT_TYPES,
  GRANT_AUTHORIZATION_CODE,
  KNOWN_GRANT_TYPES,
  KNOWN_SCOPES,
} from '../../domain/auth/oauth.ts';
import { checkRegistrableRedirectUri } from '../../domain/auth/redirect-uri.ts';
import { DomainError } from '../../domain/errors.ts';
import { opaqueToken, randomString } from '../../domain/ids.ts';
import { clientText, writeAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import type { OidcClient, StoredClient } from './client-cache.ts';
import { safeEqual } from './keys.ts';
import { reserveAttempt, throttleKey } from './throttles.ts';
import { hashToken } from './tokens.ts';

export interface RegisterClientInput {
  clientName: string;
  clientType: string;
  scopes?: string[] | undefined;
  grantTypes?: string[] | undefined;
  redirectUris?: string[] | undefined;
  issuerUrl?: string | undefined;
}

export interface RegisteredClient {
  client: OidcClient;
  clientSecret: string;
}

const MAX_LIST = 20;
/** Client ids are letters and digits: safe in URLs, shells and logs. */
const CLIENT_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function parseList(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Register a public client. `isAcceptedIssuer` says whether an `issuerUrl` names this instance.
 * Throws `invalid_client_metadata`, `invalid_scope`, `invalid_redirect_uri`,
 * `unsupported_grant_type` or `invalid_request` with a message for the caller.
 */
export async function registerClient(
  ctx: AppContext,
  input: RegisterClientInput,
  isAcceptedIssuer: (url: string) => boolean,
  meta: { sourceIp?: string | null; requestId?: string | null } = {},
): Promise<RegisteredClient> {
  if (input.clientType !== 'public') {
    throw new DomainError(
      'invalid_client_metadata',
      'clientType must be public: only public clients are supported',
    );
  }
  const scopes = [...new Set(input.scopes ?? [])];
  if (scopes.length > MAX_LIST)
    throw new DomainError('invalid_request', `at most ${MAX_LIST} scopes may be given`);
  for (const s of scopes) {
    if (!KNOWN_SCOPES.includes(s))
      throw new DomainError('invalid_scope', `unknown scope: ${s.slice(0, 100)}`);
  }
  const grantTypes =
    input.grantTypes === undefined ? [...DEFAULT_GRANT_TYPES] : [...new Set(input.grantTypes)];
  if (grantTypes.length === 0) throw new DomainError('invalid_request', 'grantTypes must not be empty');
  for (const g of grantTypes) {
    if (!KNOWN_GRANT_TYPES.includes(g))
      throw new DomainError('unsupported_grant_type', `unsupported grant type: ${g.slice(0, 100)}`);
  }
  const redirectUris: string[] = [];
  const rawUris = input.redirectUris ?? [];
  if (rawUris.length > MAX_LIST)
    throw new DomainError('invalid_request', `at most ${MAX_LIST} redirectUris may be given`);
  for (const uri of rawUris) {
    const check = checkRegistrableRedirectUri(uri);
    if (!check.ok) throw new DomainError('invalid_redirect_uri', `redirect URI ${check.reason}`);
    redirectUris.push(check.canonical);
  }
  if (grantTypes.includes(GRANT_AUTHORIZATION_CODE) && redirectUris.length === 0) {
    throw new DomainError(
      'invalid_redirect_uri',
      'the authorization_code grant needs at least one redirect URI',
    );
  }
  if (input.issuerUrl !== undefined && !isAcceptedIssuer(input.issuerUrl)) {
    throw new DomainError('invalid_request', 'issuerUrl does not name this instance (check the start URL)');
  }
  if (meta.sourceIp) {
    // Counted only while the budget is open, in one statement: racing registrations from one
    // address, on one replica or several, never pass it.
    const place = await reserveAttempt(ctx, throttleKey.registration(meta.sourceIp), REGISTRATION_BUDGET);
    if (place.kind === 'blocked') {
      throw new DomainError(
        'throttled',
        `Too many client registrations from this address; try again in ${Math.ceil(place.retryAfterMs / 1000)} seconds`,
      );
    }
  }
  const now = ctx.clock.now();
  const clientSecret = opaqueToken(ctx.random, 48);
  const client: OidcClient = {
    id: randomString(ctx.random, CLIENT_ID_ALPHABET, 24),
    name: input.clientName,
    clientType: 'public',
    scopes,
    grantTypes,
    redirectUris,
    issuerUrl: input.issuerUrl ?? null,
    issuedAt: now,
    expiresAt: now + CLIENT_SECRET_TTL_MS,
  };
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('oidc_clients')
      .values({
        id: client.id,
        secret_hash: hashToken(clientSecret),
        name: client.name,
        client_type: client.clientType,
        scopes: JSON.stringify(scopes),
        grant_types: JSON.stringify(grantTypes),
        redirect_uris: JSON.stringify(redirectUris),
        issuer_url: client.issuerUrl,
        issued_at: client.issuedAt,
        expires_at: client.expiresAt,
      })
      .execute();
    await writeAudit(trx, {
      at: now,
      actor: 'anonymous',
      action: 'oidc.client.register',
      targetType: 'OIDC_CLIENT',
      targetId: client.id,
      // Anyone may register: the name is the client's text, bounded like any (clientText).
      detail: { ...clientText({ name: client.name }), grantTypes, scopes },
      sourceIp: meta.sourceIp ?? null,
      requestId: meta.requestId ?? null,
    });
  });
  return { client, clientSecret };
}

/** A client by id (no secret check), for the browser-facing /authorize. Null when unknown. */
export async function findClient(ctx: AppContext, clientId: string): Promise<StoredClient | null> {
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 128) return null;
  const cache = ctx.memory.clients;
  const hit = cache.get(clientId);
  if (hit) return hit;
  const row = await ctx.store.db
    .selectFrom('oidc_clients')
    .selectAll()
    .where('id', '=', clientId)
    .executeTakeFirst();
  if (!row) return null;
  const client: StoredClient = {
    id: row.id,
    name: row.name,
    clientType: row.client_type,
    scopes: parseList(row.scopes),
    grantTypes: parseList(row.grant_types),
    redirectUris: parseList(row.redirect_uris),
    issuerUrl: row.issuer_url,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    secretHash: row.secret_hash,
  };
  cache.set(client);
  return client;
}

/**
 * The client named by id and secret, if the secret is right and not expired; otherwise
 * `invalid_client` (one message for all cases: unknown, wrong secret, expired).
 */
export async function authenticateClient(
  ctx: AppContext,
  clientId: string,
  clientSecret: string,
): Promise<OidcClient> {
  const client = await findClient(ctx, clientId);
  const ok =
    client !== null &&
    typeof clientSecret === 'string' &&
    clientSecret.length <= 256 &&
    safeEqual(hashToken(clientSecret), client.secretHash);
  if (!client || !ok)
    throw new DomainError('invalid_client', 'Invalid client: unknown client id or wrong client secret');
  if (client.expiresAt <= ctx.clock.now()) {
    throw new DomainError(
      'invalid_client',
      'Invalid client: the client registration has expired; register again',
    );
  }
  const { secretHash: _ignored, ...rest } = client;
  return rest;
}

/** Whether a (still valid) client is usable in the browser flow: exists and is unexpired. */
export function isClientUsable(client: OidcClient, now: number): boolean {
  return client.expiresAt > now;
}
