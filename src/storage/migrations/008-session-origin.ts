import type { Kysely, Migration } from 'kysely';

/**
 * Each portal session records the public origin it was made for, and is accepted only there: a
 * browser sends plain-HTTP cookies to every port of a host, so a session made by one server must
 * not be honoured by another on the same host that shares its store. Sessions made before this
 * column have none and are no longer accepted by the web pages (their people sign in again);
 * command-line tokens issued under them are unaffected.
 */
export const m008SessionOrigin: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('portal_sessions').addColumn('origin', 'text').execute();
  },
};
