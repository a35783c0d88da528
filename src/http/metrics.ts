/**
 * Prometheus metrics (`GET /metrics`, served where `metrics-endpoint.ts` says). One registry per
 * server instance so tests that start several servers in one process do not collide.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from '../app/server-deps.ts';

export type { Metrics };

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
    auditCommitDuration: new Histogram({
      name: 'idcenter_audit_commit_duration_seconds',
      help: 'Group commits of credential audit events: time from hand-over to the store until committed',
      labelNames: ['result'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    auditCommitEvents: new Histogram({
      name: 'idcenter_audit_commit_events',
      help: 'Credential audit events carried by each group commit',
      labelNames: ['result'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
      registers: [registry],
    }),
    sweptRows: new Counter({
      name: 'idcenter_expiry_sweep_deleted_rows_total',
      help: 'Rows the expiry sweep deleted, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    sweeps: new Counter({
      name: 'idcenter_expiry_sweeps_total',
      help: 'Expiry sweeps run, by result (done, skipped, failed)',
      labelNames: ['result'],
      registers: [registry],
    }),
    directorySyncs: new Counter({
      name: 'idcenter_directory_syncs_total',
      help: 'Directory syncs this server ran, by result (done, refused, failed, skipped)',
      labelNames: ['result'],
      registers: [registry],
    }),
    directoryChanges: new Counter({
      name: 'idcenter_directory_sync_changes_total',
      help: 'Users and groups directory syncs changed, by change',
      labelNames: ['change'],
      registers: [registry],
    }),
    directoryLastSuccess: new Gauge({
      name: 'idcenter_directory_last_sync_success_timestamp_seconds',
      help: 'When the last successful directory sync ended (Unix time)',
      registers: [registry],
    }),
  };
}
