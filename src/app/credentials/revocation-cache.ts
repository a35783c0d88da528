/**
 * The in-memory view of table `revocations` that the credential verifier checks without a
 * database read per request. Every replica keeps one and refreshes it by the injected clock:
 * a verification more than `pollMs` after the last refresh starts one in the background, and
 * one more than `maxStaleMs` after waits for it, so a revocation written anywhere (another
 * replica, the `idcenter sessions revoke` command) is honoured within `maxStaleMs` + one
 * refresh, well inside the 60 s the product promises. Revocations written by this process are
 * applied at once (`note`).
 *
 * Refreshes read the rows whose id is above the largest one seen. Ids grow in commit order
 * (revocations are written under the writers' lock, see `app/revocation.ts`), so this misses
 * nothing, however late a revocation committed and whatever clock stamped it. A table whose ids
 * went back (restored from a backup, or its newest rows pruned) is read again from the start.
 * Merging is idempotent (largest not_before per subject wins).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/runtime.ts';
import type { Database } from '../../storage/schema.ts';
import { ALL_SUBJECT, accessSubject, type RevocationKind } from '../revocation.ts';
import type { RoleSessionClaims } from './seal.ts';

export interface RevocationCacheOptions {
  /** Start a background refresh when the view is older than this (ms). */
  pollMs?: number;
  /** Wait for a refresh when the view is older than this (ms). */
  maxStaleMs?: number;
}

/** Rows read per query of a refresh. */
const PAGE = 5000;

interface Entry {
  notBefore: number;
  expiresAt: number;
}

export class RevocationCache {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private readonly maxStaleMs: number;
  private readonly entries = new Map<string, Entry>();
  private lastRefresh = Number.NEGATIVE_INFINITY;
  /** The largest revocation id read. */
  private lastId = 0;
  private inFlight: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(db: Kysely<Database>, clock: Clock, options: RevocationCacheOptions = {}) {
    this.db = db;
    this.clock = clock;
    this.pollMs = options.pollMs ?? 5_000;
    this.maxStaleMs = options.maxStaleMs ?? 30_000;
  }

  private static key(kind: RevocationKind, subject: string): string {
    return `${kind}\u0000${subject}`;
  }

  /** Apply a revocation this process has just written. */
  note(kind: RevocationKind, subject: string, notBefore: number, expiresAt: number): void {
    const k = RevocationCache.key(kind, subject);
    const prev = this.entries.get(k);
    if (!prev || prev.notBefore < notBefore) this.entries.set(k, { notBefore, expiresAt });
  }

  /** Bring the view up to date if it is stale (see the module comment). */
  ensureFresh(): Promise<void> | undefined {
    const age = this.clock.now() - this.lastRefresh;
    // A clock that went backwards (stepped system clock) cannot vouch for freshness: refresh.
    if (age >= this.maxStaleMs || age < 0) return this.refresh();
    if (age >= this.pollMs && !this.inFlight) {
      this.refresh().catch(() => {
        // A failed background refresh is retried by the next request; the view stays as it was.
      });
    }
    return undefined;
  }

  /** Read new revocation rows now. Concurrent callers share one read. */
  refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const run = async () => {
      const now = this.clock.now();
      const read = await this.readAfter(now);
      if (read === 0 && this.lastId > 0) {
        const top = await this.db
          .selectFrom('revocations')
          .select((eb) => eb.fn.max('id').as('top'))
          .executeTakeFirst();
        if (Number(top?.top ?? 0) < this.lastId) {
          this.lastId = 0;
          await this.readAfter(now);
        }
      }
      this.lastRefresh = now;
      if (now - this.lastPrune > 10 * 60_000) {
        this.lastPrune = now;
        // Entries nothing can be stopped by any more. The rows go with the expiry sweep
        // (app/expiry-sweep.ts), a day later, in bounded batches.
        for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
      }
    };
    this.inFlight = run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Read and apply the rows after `lastId`, page by page; how many there were. */
  private async readAfter(now: number): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('revocations')
        .select(['id', 'kind', 'subject', 'not_before', 'expires_at'])
        .where('id', '>', this.lastId)
        .orderBy('id')
        .limit(PAGE)
        .execute();
      for (const r of rows) {
        if (r.expires_at > now) this.note(r.kind as RevocationKind, r.subject, r.not_before, r.expires_at);
        if (r.id > this.lastId) this.lastId = r.id;
      }
      total += rows.length;
      if (rows.length < PAGE) return total;
    }
  }

  private revokedAfter(kind: RevocationKind, subject: string | null, issuedAt: number): boolean {
    if (subject === null) return false;
    const e = this.entries.get(RevocationCache.key(kind, subject));
    // Credentials issued at or before the revocation instant stop verifying.
    return e !== undefined && issuedAt <= e.notBefore;
  }

  /** Whether credentials with these claims were revoked (as far as this view knows). */
  isRevoked(claims: RoleSessionClaims): boolean {
    if (this.entries.size === 0) return false;
    return (
      this.revokedAfter('all', ALL_SUBJECT, claims.issuedAt) ||
      this.revokedAfter('user', claims.userId, claims.issuedAt) ||
      this.revokedAfter('session', claims.sessionId, claims.issuedAt) ||
      this.revokedAfter('family', claims.familyId, claims.issuedAt) ||
      this.revokedAfter(
        'access',
        accessSubject(claims.userId, claims.accountId, claims.permissionSetId),
        claims.issuedAt,
      )
    );
  }
}
