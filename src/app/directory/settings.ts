/**
 * The instance's identity source as the store keeps it (`identity_source`, one row that
 * `idcenter apply` writes from the file's `identitySource:`); a store without one uses the
 * built-in directory.
 */
import type { Kysely } from 'kysely';
import { BUILT_IN, type IdentitySource } from '../../domain/identity/identity-source.ts';
import type { Database } from '../../storage/schema.ts';

/** The stored settings as JSON text, the form apply compares. */
export async function loadIdentitySourceText(db: Kysely<Database>): Promise<string> {
  const row = await db
    .selectFrom('identity_source')
    .select('settings')
    .where('id', '=', 'default')
    .executeTakeFirst();
  return row?.settings ?? identitySourceText(BUILT_IN);
}

export async function loadIdentitySource(db: Kysely<Database>): Promise<IdentitySource> {
  return JSON.parse(await loadIdentitySourceText(db)) as IdentitySource;
}

/** The JSON text stored for `source`: the same settings always give the same text. */
export function identitySourceText(source: IdentitySource): string {
  return JSON.stringify(source);
}

export async function saveIdentitySource(
  db: Kysely<Database>,
  source: IdentitySource,
  now: number,
): Promise<void> {
  const values = { settings: identitySourceText(source), updated_at: now };
  await db
    .insertInto('identity_source')
    .values({ id: 'default', ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}
