/**
 * How an account is reached, as the store has it: locally (`local`) or through AWS federation
 * (`aws`, with its partition). A server keeps the answers while the store generation stands
 * still (its context's `memory.accountAccess`; changing an account's access raises it).
 */
import type { Partition } from '../../domain/federation/partitions.ts';

export interface AccountAccess {
  access: string;
  partition: Partition | null;
}
