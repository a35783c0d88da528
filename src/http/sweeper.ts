/**
 * The expiry sweep (`app/expiry-sweep.ts`) as background work of a running server: every
 * `IDCENTER_SWEEP_INTERVAL`, one sweep, never two at once. What it deleted is logged (a line at
 * info when anything went) and counted on the metrics registry; a failure is logged and the next
 * turn tries again. `stop` ends the turns and waits for one in flight, so the store closes after.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../app/context.ts';
import { type SweepResult, sweepExpired, sweptTotal } from '../app/expiry-sweep.ts';
import type { Metrics } from './metrics.ts';

export interface Sweeper {
  /** Run one sweep now (or wait for the one in flight). */
  runOnce(): Promise<SweepResult | null>;
  stop(): Promise<void>;
}

export function startSweeper(
  ctx: AppContext,
  intervalMs: number,
  log: FastifyBaseLogger,
  metrics: Metrics,
): Sweeper {
  let inFlight: Promise<SweepResult | null> | null = null;
  let stopped = false;
  const turn = async (): Promise<SweepResult | null> => {
    try {
      const result = await sweepExpired(ctx);
      if (result.skipped) {
        metrics.sweeps.inc({ result: 'skipped' });
        return result;
      }
      metrics.sweeps.inc({ result: 'done' });
      for (const [kind, n] of Object.entries(result.counts)) if (n > 0) metrics.sweptRows.inc({ kind }, n);
      const total = sweptTotal(result.counts);
      if (total > 0) {
        const deleted = Object.fromEntries(Object.entries(result.counts).filter(([, n]) => n > 0));
        log.info({ deleted }, `expiry sweep: deleted ${total} rows that can never be used again`);
      }
      return result;
    } catch (err) {
      metrics.sweeps.inc({ result: 'failed' });
      log.error({ err }, 'expiry sweep failed; the next turn tries again');
      return null;
    }
  };
  const runOnce = () => {
    inFlight ??= turn().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          if (!stopped && !inFlight) void runOnce();
        }, intervalMs)
      : undefined;
  timer?.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await inFlight;
    },
  };
}
