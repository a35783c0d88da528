import { type Kysely, type Migration, sql } from 'kysely';

/**
 * A user code names at most one live device authorization (pending or approved): a unique
 * partial index, so two starts that drew the same code at once cannot both store it (the second
 * draws again, `app/auth/device.ts`). Live grants that already share a code keep the oldest by
 * id and deny the others, which their clients then report as denied.
 */
export const m016LiveUserCodes: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`update device_grants set status = 'denied'
      where status in ('pending', 'approved')
      and exists (select 1 from device_grants d2
        where d2.user_code = device_grants.user_code
        and d2.status in ('pending', 'approved')
        and d2.id < device_grants.id)`.execute(db);
    await db.schema
      .createIndex('device_grants_live_user_code')
      .on('device_grants')
      .column('user_code')
      .unique()
      .where(sql<boolean>`status in ('pending', 'approved')`)
      .execute();
  },
};
