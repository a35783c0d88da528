/**
 * What every step of `executePlan` gets: the transaction it writes in, with the instant,
 * randomness and actor of this apply, the store state the plan was computed from, the ids known
 * so far by key, and `ev` to record an audit event. A step that creates objects adds their ids
 * to the maps, for the steps after it (memberships and assignments name groups, users and
 * permission sets by key).
 */
import type { Kysely } from 'kysely';
import type { Random } from '../../../domain/runtime.ts';
import type { Dialect } from '../../../storage/db.ts';
import type { Database } from '../../../storage/schema.ts';
import type { AuditAction } from '../../audit.ts';
import type { StoreState } from '../state.ts';

export type Progress = (phase: string, done: number, total: number) => void;

export interface ApplyTx {
  /** The transaction the whole plan is written in. */
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly now: number;
  readonly random: Random;
  /** Audit actor and created_by/updated_by. */
  readonly actor: string;
  readonly state: StoreState;
  /** Password hashes for users (by key) whose initial password is set by this plan. */
  readonly passwordHashes: Map<string, string>;
  readonly progress: Progress | undefined;
  /** Ids by OU path, group key, user key and permission-set key. */
  readonly ouIds: Map<string, string>;
  readonly groupIds: Map<string, string>;
  readonly userIds: Map<string, string>;
  readonly psIds: Map<string, string>;
  /** Permission-set versions by key, after this plan's updates. */
  readonly psVersions: Map<string, number>;
  /** The id of the OU at `path`; null for the root. */
  ouIdOf(path: string): string | null;
  /** Record an audit event, written with the others at the end of the transaction. */
  ev(action: AuditAction, targetType: string, targetId: string, detail?: Record<string, unknown>): void;
}

export function mustGet(map: Map<string, string>, key: string, what: string): string {
  const v = map.get(key);
  if (v === undefined) throw new Error(`internal: no id for ${what} ${key}`);
  return v;
}
