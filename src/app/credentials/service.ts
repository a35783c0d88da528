/**
 * One credential service per running server: its key ring and its revocation view. Built on
 * first use from the server's dependencies and kept beside its AppContext (a WeakMap, so two
 * servers in one process, as in tests, never share one).
 */
import type { Config } from '../../config/schema.ts';
import type { AppContext } from '../context.ts';
import { MAX_CREDENTIAL_LIFETIME_MS, type RevocationKind, recordRevocations } from '../revocation.ts';
import { AuditWriter } from './audit-writer.ts';
import { type KeyRing, loadKeyRing } from './keys.ts';
import { RevocationCache } from './revocation-cache.ts';
import { type OpenedToken, openSessionToken, type RoleSessionClaims } from './seal.ts';

export interface CredentialService {
  readonly ring: KeyRing;
  readonly revocations: RevocationCache;
  /** Group-committed audit writes for credential issuance. */
  readonly audit: AuditWriter;
  /** Recently opened session tokens (see `openCached`). */
  readonly opened: Map<string, OpenedToken>;
}

const services = new WeakMap<AppContext, CredentialService>();

/** The credential service of the server that owns `deps.ctx`, created on first call. */
export function getCredentialService(deps: {
  ctx: AppContext;
  config: Pick<Config, 'credentialKeys' | 'dataDir'>;
}): CredentialService {
  let s = services.get(deps.ctx);
  if (!s) {
    s = {
      ring: loadKeyRing(deps.config, deps.ctx.random, deps.ctx.clock.now()),
      revocations: new RevocationCache(deps.ctx.store.db, deps.ctx.clock),
      audit: new AuditWriter(deps.ctx.store),
      opened: new Map(),
    };
    services.set(deps.ctx, s);
  }
  return s;
}

/**
 * Write revocations and apply them to this server's view at once (other replicas see them at
 * their next refresh). Call outside or after the transaction that made them necessary.
 */
export async function revokeNow(
  deps: { ctx: AppContext; config: Pick<Config, 'credentialKeys' | 'dataDir'> },
  items: Array<{ kind: RevocationKind; subject: string }>,
): Promise<void> {
  const now = deps.ctx.clock.now();
  await recordRevocations(deps.ctx.store.db, now, items);
  const { revocations } = getCredentialService(deps);
  for (const it of items) revocations.note(it.kind, it.subject, now, now + MAX_CREDENTIAL_LIFETIME_MS);
}

const OPENED_CACHE_LIMIT = 10_000;

/**
 * Opening a token (AES-GCM, JSON, the secret's HMAC) always gives the same answer for the same
 * bytes, and clients reuse credentials for hours: keep recent results. Expiry and revocation
 * are still checked on every request; tokens that do not open are never cached.
 */
function openCached(service: CredentialService, token: string): OpenedToken | null {
  const hit = service.opened.get(token);
  if (hit) return hit;
  const opened = openSessionToken(service.ring, token);
  if (opened) {
    if (service.opened.size >= OPENED_CACHE_LIMIT) service.opened.clear();
    service.opened.set(token, opened);
  }
  return opened;
}

export type CredentialCheck =
  | { ok: true; claims: RoleSessionClaims; secretAccessKey: string }
  | { ok: false; reason: 'invalid' | 'mismatch' | 'expired' | 'revoked' };

/**
 * Check an access key id and session token pair as a SigV4 verifier needs it: the token must
 * open under one of our keys, belong to that access key id, be unexpired and unrevoked. No
 * database read except the periodic revocation refresh; answered without a promise while the
 * revocation view is fresh.
 */
export function checkRoleCredentials(
  service: CredentialService,
  now: number,
  accessKeyId: string,
  sessionToken: string | undefined,
): CredentialCheck | Promise<CredentialCheck> {
  if (!sessionToken) return { ok: false, reason: 'invalid' };
  const opened = openCached(service, sessionToken);
  if (!opened) return { ok: false, reason: 'invalid' };
  if (opened.claims.accessKeyId !== accessKeyId) return { ok: false, reason: 'mismatch' };
  if (opened.claims.expiresAt <= now) return { ok: false, reason: 'expired' };
  const refreshing = service.revocations.ensureFresh();
  if (refreshing) return refreshing.then(() => notRevoked(service, opened));
  return notRevoked(service, opened);
}

function notRevoked(service: CredentialService, opened: OpenedToken): CredentialCheck {
  if (service.revocations.isRevoked(opened.claims)) return { ok: false, reason: 'revoked' };
  return { ok: true, claims: opened.claims, secretAccessKey: opened.secretAccessKey };
}
