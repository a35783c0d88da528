import { type Kysely, type Migration, sql } from 'kysely';
import { isPostgres } from './dialect.ts';

/**
 * A change of the instance's management account raises the store generation (migration 004),
 * like every change that can take access away: the admin APIs authorise on ARNs that name it,
 * and keep the instance row in memory while the generation stands still (`readInstance`). The
 * other columns of the row are written once, when the instance is made.
 */
export const m025InstanceGeneration: Migration = {
  async up(db: Kysely<unknown>) {
    if (isPostgres(db)) {
      await sql
        .raw(
          'create trigger instance_generation after update of management_account_id or delete on instance for each statement execute function idcenter_bump_generation()',
        )
        .execute(db);
      return;
    }
    const bump = 'update store_generation set value = value + 1 where id = 1';
    for (const [event, name] of [
      ['update of management_account_id', 'u'],
      ['delete', 'd'],
    ] as const) {
      await sql
        .raw(`create trigger instance_generation_${name} after ${event} on instance begin ${bump}; end`)
        .execute(db);
    }
  },
};
