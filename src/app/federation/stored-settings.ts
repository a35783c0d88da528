/**
 * The instance's federation settings as the store keeps them (`federation_settings`, one row
 * that `idcenter apply` writes from the organization file's `federation:`); a store that never
 * had one answers the defaults.
 */
import type { Kysely, Selectable } from 'kysely';
import { isPartition } from '../../domain/federation/partitions.ts';
import { DEFAULT_FEDERATION, type FederationSettings } from '../../domain/federation/settings.ts';
import type { Store } from '../../storage/db.ts';
import { preparedRead } from '../../storage/prepared.ts';
import type { Database, FederationSettingsTable } from '../../storage/schema.ts';

type SettingsRow = Selectable<FederationSettingsTable>;

function settingsOf(row: SettingsRow | undefined): FederationSettings {
  if (!row) return { ...DEFAULT_FEDERATION };
  return {
    providerName: row.provider_name,
    roleNamePattern: row.role_name_pattern,
    rolePath: row.role_path,
    partition: isPartition(row.partition) ? row.partition : DEFAULT_FEDERATION.partition,
    region: row.region,
    oidcAudience: row.oidc_audience,
  };
}

export async function loadFederationSettings(db: Kysely<Database>): Promise<FederationSettings> {
  const row = await db
    .selectFrom('federation_settings')
    .selectAll()
    .where('id', '=', 'default')
    .executeTakeFirst();
  return settingsOf(row);
}

const settingsRow = preparedRead(['id'] as const, (db, p) =>
  db.selectFrom('federation_settings').selectAll().where('id', '=', p.id),
);

/**
 * The same settings for a hot path (every federated issuance): a prepared read on the store's
 * read connection (`Store.readRows`), which never waits behind a transaction or an audit commit
 * holding the main connection.
 */
export async function readFederationSettings(store: Store): Promise<FederationSettings> {
  const [row] = await settingsRow(store, { id: 'default' });
  return settingsOf(row);
}

/** Write the settings (insert or replace the one row). */
export async function saveFederationSettings(
  db: Kysely<Database>,
  settings: FederationSettings,
  now: number,
): Promise<void> {
  const values = {
    provider_name: settings.providerName,
    role_name_pattern: settings.roleNamePattern,
    role_path: settings.rolePath,
    partition: settings.partition,
    region: settings.region,
    oidc_audience: settings.oidcAudience,
    updated_at: now,
  };
  await db
    .insertInto('federation_settings')
    .values({ id: 'default', ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}
