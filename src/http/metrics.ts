/**
 * Prometheus metrics (`GET /metrics`). One registry per server instance so tests that start
 * several servers in one process do not collide.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Security events by kind (signin_failure, lockout, token_reuse, signature_failure…). */
  readonly securityEvents: Counter<'kind'>;
}

export function createMetrics(withDefaults = true): Metrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'idcenter_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'idcenter_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    securityEvents: new Counter({
      name: 'idcenter_security_events_total',
      help: 'Security-relevant events by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
