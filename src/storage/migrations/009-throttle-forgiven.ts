import type { Kysely, Migration } from 'kysely';

/**
 * A failure counter remembers how many of the attempts it counted a success has given back:
 * attempts are counted before they are checked, and a success forgives the failures counted up to
 * its own attempt but not those that parallel attempts counted after it. `failures + forgiven` is
 * the number of attempts counted since the count last started again.
 */
export const m009ThrottleForgiven: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('throttles')
      .addColumn('forgiven', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
