/**
 * What the use cases of one server (or one command) keep in memory between calls, beside the
 * store: answers that may be used again while the store generation stands still, counters and
 * queues that spare the store a flood, keys read once. It is made with the context
 * (`createAppContext`) where the server or the command is put together and reached through it,
 * so two servers in one process, each with its own context, share none of it.
 */
import type { AccountAccess } from '../domain/federation/settings.ts';
import type { Clock, Random } from '../domain/runtime.ts';
import type { Store } from '../storage/db.ts';
import { GenerationCache } from '../storage/generation-cache.ts';
import type { InstanceTable } from '../storage/schema.ts';
import type { UsableRole } from './access.ts';
import type { AdminCaller } from './admin/caller-type.ts';
import { ClientCache } from './auth/client-cache.ts';
import { HeldAddresses } from './auth/held-addresses.ts';
import { ServerKeys } from './auth/keys.ts';
import { PasswordQueue } from './auth/password-queue.ts';
import { PollTracker } from './auth/poll-tracker.ts';
import type { ResolvedAccessToken } from './auth/resolved-token.ts';
import { DirectoryConnectionPool } from './directory/pool.ts';
import { FailureAudit } from './failure-audit.ts';

export interface ContextMemory {
  /** Failures of unauthenticated callers, repeats counted into one audit row a minute. */
  readonly failures: FailureAudit;
  /** The queue every sign-in password check waits in. */
  readonly passwordQueue: PasswordQueue;
  /** Addresses over their sign-in budget, answered without a store write until it renews. */
  readonly heldAddresses: HeldAddresses;
  /** When each pending device code was last polled (`slow_down`). */
  readonly pollTracker: PollTracker;
  /** OIDC client registrations read. */
  readonly clients: ClientCache;
  /** The sign-in server keys read (CSRF signing, MFA sealing). */
  readonly serverKeys: ServerKeys;
  /** Live bearer tokens' identities, keyed by the token. */
  readonly resolvedTokens: GenerationCache<ResolvedAccessToken>;
  /** Roles users may assume, keyed by user, account and role name. */
  readonly allowedRoles: GenerationCache<UsableRole>;
  /** Accounts' access modes, keyed by account id. */
  readonly accountAccess: GenerationCache<AccountAccess>;
  /** Callers of the admin APIs with their permission set's policies, keyed by user and role. */
  readonly adminCallers: GenerationCache<AdminCaller>;
  /** The instance row (`readInstance`), under the one key `default`. */
  readonly instance: GenerationCache<InstanceTable>;
  /** The directory's service-account connections, for finding a person at sign-in; closed on stop. */
  readonly directoryConnections: DirectoryConnectionPool;
}

/** Parts a test gives instead of the defaults. */
export interface MemoryOptions {
  passwordQueue?: PasswordQueue;
}

export function createMemory(
  store: Store,
  clock: Clock,
  random: Random,
  options: MemoryOptions = {},
): ContextMemory {
  return {
    failures: new FailureAudit(store, clock),
    passwordQueue: options.passwordQueue ?? new PasswordQueue(),
    heldAddresses: new HeldAddresses(),
    pollTracker: new PollTracker(store),
    clients: new ClientCache(),
    serverKeys: new ServerKeys(store, clock, random),
    resolvedTokens: new GenerationCache(),
    allowedRoles: new GenerationCache(),
    accountAccess: new GenerationCache(),
    adminCallers: new GenerationCache(),
    instance: new GenerationCache(1),
    directoryConnections: new DirectoryConnectionPool(clock),
  };
}
