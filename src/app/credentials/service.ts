/**
 * One credential service per running server: its key ring, its revocation view, its audit
 * writer and the session tokens it has opened. Built once where the server is put together
 * (`http/server.ts`) and handed to the areas in `ServerDeps.credentials`, so two servers in one
 * process, as in tests, never share one.
 *
 * With the data-directory key file (no IDCENTER_CREDENTIAL_KEYS), `ring` notices a changed file
 * (`idcenter credential-keys rotate|prune`, or an edit) without a restart: reading it looks at
 * the file's inode, size and times at most once a second (one stat, on the paths that seal or
 * open tokens, so an idle server does nothing), and re-reads the file when they changed. A file
 * that became unusable is reported once per change and the keys loaded before stay in force.
 */
import type { Histogram } from 'prom-client';
import type { Config } from '../../config/schema.ts';
import type { AppContext } from '../context.ts';
import { MAX_CREDENTIAL_LIFETIME_MS, type Revocation, writeRevocations } from '../revocation.ts';
import { AuditWriter } from './audit-writer.ts';
import { recordKeyIds } from './key-record.ts';
import { type KeyRing, keyFilePath, keyFileStamp, loadKeyRing, readKeyFile } from './keys.ts';
import { RevocationCache } from './revocation-cache.ts';
import { type OpenedToken, openSessionToken, type RoleSessionClaims } from './seal.ts';

export interface CredentialService {
  /**
   * The keys in force. With the key file, reading this checks the file for a change at most
   * once a second (see the module comment).
   */
  readonly ring: KeyRing;
  readonly revocations: RevocationCache;
  /** Group-committed audit writes for credential issuance. */
  readonly audit: AuditWriter;
  /** Recently opened session tokens (see `openCached`); emptied when the keys change. */
  readonly opened: Map<string, OpenedToken>;
}

/** Where key-file changes are reported: the server's logger (pino's call shape). */
export interface KeyFileLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How often, at most, a server looks at its key file for a change. */
export const KEY_FILE_CHECK_INTERVAL_MS = 1000;

const stderrLog: KeyFileLog = {
  info: () => {},
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...obj })}\n`),
};

/** What a credential service is built from: a running server passes its `ServerDeps`. */
export interface CredentialServiceDeps {
  ctx: AppContext;
  config: Pick<Config, 'credentialKeys' | 'dataDir'>;
  log?: KeyFileLog;
  /** Where the audit writer reports its group commits (`/metrics`). */
  metrics?: {
    auditCommitDuration: Histogram<'result'>;
    auditCommitEvents: Histogram<'result'>;
  };
}

/** A server's credential service: the keys are read (or the key file generated) now. */
export function createCredentialService(deps: CredentialServiceDeps): CredentialService {
  const { ctx, config } = deps;
  const revocations = new RevocationCache(ctx.store.db, ctx.clock);
  const { metrics } = deps;
  const audit = new AuditWriter(
    ctx.store,
    metrics &&
      ((seconds, events, committed) => {
        const result = committed ? 'committed' : 'failed';
        metrics.auditCommitDuration.labels(result).observe(seconds);
        metrics.auditCommitEvents.labels(result).observe(events);
      }),
  );
  const opened = new Map<string, OpenedToken>();
  if (config.credentialKeys.trim().length > 0) {
    return { ring: loadKeyRing(config, ctx.random, ctx.clock.now()), revocations, audit, opened };
  }
  const file = keyFilePath(config.dataDir);
  const log = deps.log ?? stderrLog;
  // Stamped before reading: a change in between is seen at the next check, not lost.
  let stamp = keyFileStamp(file);
  let ring = loadKeyRing(config, ctx.random, ctx.clock.now());
  // Generated just now: not a change to report at the first check.
  if (stamp === 'missing') stamp = keyFileStamp(file);
  let checkedAt = ctx.clock.now();

  const reload = (): void => {
    const previous = stamp;
    stamp = keyFileStamp(file);
    if (stamp === previous) return;
    if (stamp === 'missing' || stamp.startsWith('error:')) {
      log.error(
        { file, problem: stamp === 'missing' ? 'missing' : stamp.slice('error:'.length) },
        'credential key file cannot be read; the keys loaded before stay in force',
      );
      return;
    }
    try {
      const next = readKeyFile(file).ring;
      ring = next;
      opened.clear();
      const keys = [...next.byId.keys()];
      log.info({ file, sealingKey: next.current.id, keys }, 'credential key file changed; keys reloaded');
      // So a restart after the older keys are pruned finds a key the store knows.
      recordKeyIds(ctx.store.db, keys, ctx.clock.now()).catch((err: unknown) =>
        log.error(
          { file, problem: (err as Error).message },
          'cannot record the reloaded credential key ids in the store; they are recorded at the next start',
        ),
      );
    } catch (err) {
      // Messages name the file and key ids only, never a secret.
      log.error(
        { file, problem: (err as Error).message },
        'credential key file changed but cannot be used; the keys loaded before stay in force',
      );
    }
  };

  return {
    get ring(): KeyRing {
      const now = ctx.clock.now();
      if (now - checkedAt >= KEY_FILE_CHECK_INTERVAL_MS || now < checkedAt) {
        checkedAt = now;
        reload();
      }
      return ring;
    },
    revocations,
    audit,
    opened,
  };
}

/**
 * Write revocations in a transaction of their own and apply them to this server's view at once
 * (other replicas see them at their next refresh). Revocations that belong with other changes
 * go through `revokingTransaction` instead.
 */
export async function revokeNow(
  deps: { ctx: AppContext; credentials: CredentialService },
  items: Revocation[],
): Promise<void> {
  const { notBefore } = await writeRevocations(deps.ctx, items);
  const { revocations } = deps.credentials;
  for (const it of items)
    revocations.note(it.kind, it.subject, notBefore, notBefore + MAX_CREDENTIAL_LIFETIME_MS);
}

const OPENED_CACHE_LIMIT = 10_000;

/**
 * Opening a token (AES-GCM, JSON, the secret's HMAC) always gives the same answer for the same
 * bytes, and clients reuse credentials for hours: keep recent results. Expiry and revocation
 * are still checked on every request; tokens that do not open are never cached.
 */
function openCached(service: CredentialService, token: string): OpenedToken | null {
  // `ring` first: a changed key file (a pruned key) empties the cache before it is used.
  const ring = service.ring;
  const hit = service.opened.get(token);
  if (hit) return hit;
  const opened = openSessionToken(ring, token);
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
