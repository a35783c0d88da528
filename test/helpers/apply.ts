/**
 * Helpers for organization-as-code tests: run the real `idcenter` binary, apply a file in
 * process, and take a snapshot of everything an apply may touch to prove "nothing changed".
 */
import path from 'node:path';
import { type ApplyOptions, applyOrg } from '../../src/app/apply/index.ts';
import { type AppContext, createAppContext } from '../../src/app/context.ts';
import { parseOrgFile } from '../../src/app/org-file/index.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { type RunResult, run } from './python.ts';
import { type StoreKind, type TempStoreUrl, tempStoreUrl } from './stores.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/idcenter.js');

/** `node bin/idcenter.js …args` (the bundle must be built: `node scripts/build.mjs`). */
export function idcenter(
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], options);
}

/** Parse and apply a file in process; throws on an invalid file. */
export async function applyText(ctx: AppContext, text: string, options: ApplyOptions = {}) {
  const parsed = parseOrgFile(text);
  if (!parsed.ok) throw new Error(`invalid file: ${parsed.problems.map((p) => p.message).join('; ')}`);
  return applyOrg(ctx, parsed.org, options);
}

/** A small organization: one account under /Workloads, a group with one user, one role for the OU. */
export const SMALL_ORG = `
accounts:
  - { id: "111111111111", name: Production, email: prod@example.com, ou: /Workloads }
groups:
  - { name: Developers }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, groups: [Developers] }
permissionSets:
  - { name: ReadOnly, sessionDuration: PT2H }
assignments:
  - { group: Developers, permissionSet: ReadOnly, ous: [/Workloads] }
`;

export interface AppliedStore {
  temp: TempStoreUrl;
  store: Store;
  /** Close the store and remove it. */
  close(): Promise<void>;
}

/** A temporary store of `kind` with the organization file `text` applied in process. */
export async function openAppliedStore(kind: StoreKind, text: string): Promise<AppliedStore> {
  const temp = await tempStoreUrl(kind);
  const store = await openStore(temp.url);
  await applyText(createAppContext(store), text);
  return {
    temp,
    store,
    async close() {
      await store.close();
      await temp.cleanup();
    },
  };
}

const TABLES = [
  'ous',
  'accounts',
  'groups',
  'users',
  'user_external_ids',
  'group_external_ids',
  'group_memberships',
  'permission_sets',
  'ps_managed_policies',
  'ps_customer_policies',
  'ps_tags',
  'account_assignments',
  'provisioned_roles',
  'audit_events',
  'revocations',
] as const;

/** Row counts of every table an apply writes, the generation, and a digest of the rows. */
export async function snapshot(store: Store): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const t of TABLES) {
    const rows = await store.db.selectFrom(t).selectAll().execute();
    out[t] = rows.length;
    out[`${t}:rows`] = JSON.stringify(rows.map((r) => JSON.stringify(r)).sort());
  }
  const inst = await store.db.selectFrom('instance').selectAll().executeTakeFirst();
  out.instance = JSON.stringify(inst ?? null);
  return out;
}

export async function count(store: Store, table: (typeof TABLES)[number]): Promise<number> {
  const r = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
