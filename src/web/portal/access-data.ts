/**
 * The account list of the start page as one JSON document: every account the person may use,
 * each with its permission sets, in one response (the same one-query shape as the discovery
 * extension, so a person with 5,000 accounts costs one request, not one per account). Accounts
 * are ordered by name as the AWS access portal lists them, then by id.
 */
import type { Kysely } from 'kysely';
import { listAllAccess } from '../../app/access.ts';
import type { Database } from '../../storage/schema.ts';

export interface PortalAccount {
  accountId: string;
  accountName: string;
  emailAddress: string;
  /** Permission-set names, ordered by name. */
  roles: string[];
}

export interface PortalAccess {
  accounts: PortalAccount[];
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** @example const { accounts } = await portalAccess(db, session.userId); */
export async function portalAccess(db: Kysely<Database>, userId: string): Promise<PortalAccess> {
  const accounts = await listAllAccess(db, userId);
  accounts.sort(
    (a, b) => collator.compare(a.accountName, b.accountName) || (a.accountId < b.accountId ? -1 : 1),
  );
  return { accounts };
}
