/**
 * What `/readyz` answers: ready only while the store answers and accepts a write. A reachable
 * store that refuses writes (a full disk, a read-only file system, a PostgreSQL standby) cannot
 * sign anyone in or issue credentials, so a load balancer should stop sending traffic to it.
 *
 * The write is one committed update of a one-row table (`writeHeartbeat`). Probes are shared:
 * callers while one runs get its answer, and an answer stays good for a second, so however
 * often /readyz is asked the store sees at most about one write a second from it. A change of
 * answer is logged once, with the store's error.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../app/context.ts';
import { writeHeartbeat } from '../storage/db.ts';

export type Readiness =
  | { ready: true }
  | { ready: false; reason: 'store unreachable' | 'store does not accept writes' };

/** How long one probe's answer is given again (ms). */
const REUSE_MS = 1000;

/** A function that answers /readyz for this server's store. */
export function readinessProbe(ctx: AppContext, log: FastifyBaseLogger): () => Promise<Readiness> {
  let last: { at: number; answer: Readiness } | null = null;
  let inFlight: Promise<Readiness> | null = null;

  const probe = async (): Promise<Readiness> => {
    try {
      await ctx.store.ping();
    } catch (err) {
      return failed('store unreachable', err);
    }
    try {
      await writeHeartbeat(ctx.store.db, ctx.clock.now());
    } catch (err) {
      return failed('store does not accept writes', err);
    }
    if (last && !last.answer.ready) log.info({ store: ctx.store.location }, 'the store accepts writes again');
    return { ready: true };
  };

  const failed = (reason: Exclude<Readiness, { ready: true }>['reason'], err: unknown): Readiness => {
    if (!last || last.answer.ready || last.answer.reason !== reason) {
      log.warn(
        { store: ctx.store.location, problem: (err as Error)?.message ?? String(err) },
        `not ready: ${reason}`,
      );
    }
    return { ready: false, reason };
  };

  return () => {
    const now = performance.now();
    if (last && now - last.at < REUSE_MS) return Promise.resolve(last.answer);
    if (!inFlight) {
      inFlight = probe().then((answer) => {
        last = { at: performance.now(), answer };
        inFlight = null;
        return answer;
      });
    }
    return inFlight;
  };
}
