/**
 * The store remembers the ids of the credential keys its servers used (table
 * `credential_key_ids`, ids only, never a secret). A server whose keys include none of them
 * would seal and open tokens under keys every credential already issued fails against: a
 * database restored without its `credential-keys.json` (the server used to make new keys then,
 * silently), a key file from another installation, a mistyped IDCENTER_CREDENTIAL_KEYS. Such a
 * server refuses to start and says what to do; `idcenter credential-keys adopt` is the explicit
 * way to start afresh with new keys.
 *
 * Ids are recorded when a server starts, when a running server reloads a changed key file
 * (`service.ts`), and by `adopt`. A store from before this record has no ids, so its first
 * start records what it is given.
 */
import fs from 'node:fs';
import type { Kysely } from 'kysely';
import { ConfigError } from '../../config/load.ts';
import type { Random } from '../../domain/runtime.ts';
import type { Database } from '../../storage/schema.ts';
import { writeAudit } from '../audit.ts';
import { type KeyRing, keyFilePath, loadKeyRing } from './keys.ts';

/** The key ids recorded in the store, oldest first. */
export async function recordedKeyIds(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom('credential_key_ids')
    .select('key_id')
    .orderBy('recorded_at')
    .orderBy('key_id')
    .execute();
  return rows.map((r) => r.key_id);
}

/** Add key ids to the record (ids already there are kept as they are). */
export async function recordKeyIds(db: Kysely<Database>, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .insertInto('credential_key_ids')
    .values(ids.map((key_id) => ({ key_id, recorded_at: now })))
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
}

/**
 * Make `ids` the whole record, with an audit event, in one transaction (`idcenter
 * credential-keys adopt`); returns the ids recorded before.
 */
export async function adoptKeyIds(
  store: { db: Kysely<Database> },
  ids: readonly string[],
  now: number,
  actor: string,
): Promise<string[]> {
  return store.db.transaction().execute(async (trx) => {
    const before = await recordedKeyIds(trx);
    await trx.deleteFrom('credential_key_ids').execute();
    await recordKeyIds(trx, ids, now);
    await writeAudit(trx, {
      at: now,
      actor,
      action: 'credential_keys.adopt',
      targetType: 'CREDENTIAL_KEYS',
      targetId: null,
      detail: { keys: ids, before },
    });
    return before;
  });
}

/** The way out, for an operator who means it. */
const adopt = (what: string) =>
  `To start afresh ${what}, knowing that every credential issued so far stops verifying: idcenter credential-keys adopt (with the same --data-dir and store).`;

/**
 * The key ring a server of this store starts with: configured keys, else the data-directory
 * key file (made when absent, unless the store has recorded keys). Refuses, as a configuration
 * error naming the file or setting and what to do, keys that include none of the recorded ids;
 * records the ids of the keys it accepts.
 * @example const ring = await startingKeyRing(store.db, config, systemRandom, Date.now());
 */
export async function startingKeyRing(
  db: Kysely<Database>,
  config: { credentialKeys: string; dataDir: string },
  random: Random,
  now: number,
): Promise<KeyRing> {
  const recorded = await recordedKeyIds(db);
  const configured = config.credentialKeys.trim().length > 0;
  const file = keyFilePath(config.dataDir);
  const was = `this store was used with the credential keys ${recorded.join(', ')} (their ids are recorded in it), and every credential issued so far was sealed under them`;
  if (recorded.length > 0 && !configured && !fs.existsSync(file)) {
    throw new ConfigError([
      `credential keys: ${file} does not exist, but ${was}; new keys would make every one of them stop verifying. Restore ${file} from the backup of this store (idcenter restore brings both back), or set IDCENTER_CREDENTIAL_KEYS to the keys its servers used. ${adopt('with new keys')}`,
    ]);
  }
  const ring = loadKeyRing(config, random, now);
  const ids = [...ring.byId.keys()];
  if (recorded.length > 0 && !recorded.some((id) => ring.byId.has(id))) {
    const source = configured ? 'IDCENTER_CREDENTIAL_KEYS (--credential-keys)' : file;
    throw new ConfigError([
      `credential keys: ${source} holds ${ids.join(', ')}, none of the keys this store knows: ${was}. ${
        configured
          ? 'Set IDCENTER_CREDENTIAL_KEYS to the keys the servers of this store use.'
          : `Put back the key file that belongs to this store (from its backup: idcenter restore brings both back).`
      } ${adopt('with these keys')}`,
    ]);
  }
  await recordKeyIds(db, ids, now);
  return ring;
}
