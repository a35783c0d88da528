/**
 * The directory sync (`app/directory/sync.ts`) as background work of a running server: every
 * half minute it looks whether the identity source is a directory and its `syncInterval` has
 * passed since the last sync (by any replica), and if so takes the sync lease and syncs. On one
 * PostgreSQL store the lease lets one replica sync at a time; the others skip. Results go to the
 * log, the metrics and (by the sync) the audit log; a failure is logged and the next turn tries
 * again. `stop` ends the turns and waits for a sync in flight.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { noteRevocations } from '../app/admin/who.ts';
import type { AppContext } from '../app/context.ts';
import type { CredentialService } from '../app/credentials/service.ts';
import { DirectoryError } from '../app/directory/ldap.ts';
import { loadIdentitySource } from '../app/directory/settings.ts';
import {
  lastSyncRun,
  leftOut,
  releaseSyncLease,
  SyncRefused,
  type SyncResult,
  summary,
  syncDirectory,
  takeSyncLease,
} from '../app/directory/sync.ts';
import type { Metrics } from './metrics.ts';

/** How often the server looks whether a sync is due. */
export const DIRECTORY_SYNC_CHECK_MS = 30_000;
/** How long the lease lasts: longer than any sync, and renewed by the next turn of the holder. */
const LEASE_MS = 30 * 60_000;

export interface DirectorySyncer {
  /** Sync now if one is due (`force`: whether or not), unless another replica holds the lease. */
  runOnce(force?: boolean): Promise<SyncResult | 'skipped' | 'not_due' | 'failed'>;
  stop(): Promise<void>;
}

export function startDirectorySync(
  ctx: AppContext,
  log: FastifyBaseLogger,
  metrics: Metrics,
  credentials: CredentialService,
): DirectorySyncer {
  const owner = `server-${randomUUID()}`;
  let inFlight: ReturnType<DirectorySyncer['runOnce']> | null = null;
  let stopped = false;

  const turn = async (force: boolean): ReturnType<DirectorySyncer['runOnce']> => {
    const source = await loadIdentitySource(ctx.store.db);
    if (source.kind === 'builtIn' || (!force && source.syncIntervalSeconds === 0)) return 'not_due';
    const last = await lastSyncRun(ctx);
    if (!force && last !== null && ctx.clock.now() - last < source.syncIntervalSeconds * 1000)
      return 'not_due';
    if (!(await takeSyncLease(ctx, owner, LEASE_MS))) {
      metrics.directorySyncs.inc({ result: 'skipped' });
      return 'skipped';
    }
    try {
      const result = await syncDirectory(ctx, {
        actor: 'server:directory-sync',
        progress: (message) => log.debug({ directorySync: message }, 'directory sync progress'),
        // This server refuses what the sync revoked at once, not at its next refresh.
        onRevocations: (written) => noteRevocations(credentials, written),
      });
      metrics.directorySyncs.inc({ result: 'done' });
      for (const [change, n] of Object.entries(summary(result))) {
        if (typeof n === 'number' && n > 0 && change !== 'usersRead' && change !== 'groupsRead') {
          metrics.directoryChanges.inc({ change }, n);
        }
      }
      metrics.directoryLastSuccess.set(ctx.clock.now() / 1000);
      log.info({ directorySync: summary(result), server: result.server }, 'directory sync finished');
      if (result.skipped.length > 0) {
        log.warn(
          { leftOut: leftOut(result), count: result.skipped.length },
          'directory sync left entries out (see leftOut for why)',
        );
      }
      return result;
    } catch (err) {
      if (err instanceof SyncRefused) {
        metrics.directorySyncs.inc({ result: 'refused' });
        log.error({ directorySync: summary(err.result) }, `directory sync refused: ${err.message}`);
      } else {
        metrics.directorySyncs.inc({ result: 'failed' });
        const message = err instanceof DirectoryError ? err.message : String(err);
        log.error(
          { err: err instanceof DirectoryError ? undefined : err },
          `directory sync failed, nothing changed: ${message}`,
        );
      }
      return 'failed';
    } finally {
      await releaseSyncLease(ctx, owner).catch(() => {});
    }
  };

  const runOnce = (force = false) => {
    inFlight ??= turn(force).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  const timer = setInterval(() => {
    if (!stopped && !inFlight)
      void runOnce().catch((err) => log.error({ err }, 'directory sync turn failed'));
  }, DIRECTORY_SYNC_CHECK_MS);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight?.catch(() => {});
    },
  };
}
