/**
 * What the composition root (`http/server.ts`) hands to every area of the server: the settings,
 * the use cases' context (with what the server keeps in memory, `memory.ts`), the credential
 * service, the logger and the metrics. Each is built once there, for that server. It is
 * declared here, below the areas that receive it (`protocol/`, `web/`, the vending of `app/`),
 * so none of them imports `http/`. Areas keep their own state in their plugin (closure) and
 * expose narrow functions to each other; nothing here is global.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { AppContext } from './context.ts';
import type { CredentialService } from './credentials/service.ts';
import type { Federation } from './federation/federation.ts';

export interface ServerDeps {
  readonly config: Config;
  readonly ctx: AppContext;
  /** The key ring, revocation view and audit writer of role credentials. */
  readonly credentials: CredentialService;
  readonly log: FastifyBaseLogger;
  readonly metrics: Metrics;
  /** The SAML identity provider and STS client for federated (`aws`) accounts. */
  readonly federation: Federation;
}

/** The server's Prometheus metrics (made by `http/metrics.ts`, served at `GET /metrics`). */
export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Security events by kind (signin_failure, lockout, token_reuse, signature_failure…). */
  readonly securityEvents: Counter<'kind'>;
  /**
   * Group commits of the credential audit events (`AuditWriter`): how long each took, from
   * hand-over to the store until committed and flushed, by result. Every GetRoleCredentials
   * waits for the commit that carries its event, so this is the floor of its latency.
   */
  readonly auditCommitDuration: Histogram<'result'>;
  /** Audit events per group commit, by result. */
  readonly auditCommitEvents: Histogram<'result'>;
  /** Rows the expiry sweep deleted, by kind (`app/expiry-sweep.ts`). */
  readonly sweptRows: Counter<'kind'>;
  /** Expiry sweeps run, by result: done, skipped (another replica was sweeping) or failed. */
  readonly sweeps: Counter<'result'>;
  /** Directory syncs the server ran, by result: done, refused (deletion guard), failed, skipped. */
  readonly directorySyncs: Counter<'result'>;
  /** What directory syncs changed, by change (created, updated, disabled, enabled, …). */
  readonly directoryChanges: Counter<'change'>;
  /** When the last directory sync that succeeded ended (Unix seconds). */
  readonly directoryLastSuccess: Gauge;
}
