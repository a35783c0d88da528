/**
 * What the composition root hands to every area of the server. Areas keep their own state in
 * their plugin (closure) and expose narrow functions to each other; nothing here is global.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../app/context.ts';
import type { Federation } from '../app/federation/vend-federated.ts';
import type { Config } from '../config/schema.ts';
import type { Metrics } from './metrics.ts';

export interface ServerDeps {
  readonly config: Config;
  readonly ctx: AppContext;
  readonly log: FastifyBaseLogger;
  readonly metrics: Metrics;
  /** The SAML identity provider and STS client for federated (`aws`) accounts. */
  readonly federation: Federation;
}
