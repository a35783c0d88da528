import { type Kysely, type Migration, sql } from 'kysely';
import { isPostgres } from './dialect.ts';

/**
 * Indexes for the admin console's user search (a prefix of the user name, the display name or
 * the e-mail, without regard to case), so a search that matches few users reads few rows:
 *
 * - PostgreSQL answers `lower(x) LIKE 'abc%'` from a `text_pattern_ops` index, whatever the
 *   database's collation; the user name's unique index (in the database's collation) cannot.
 * - SQLite's LIKE uses no index here (it folds case itself), so the search is a range on the
 *   lower-cased value there, which an expression index answers; the user name's unique index
 *   already holds its lower-cased form.
 */
export const m024UserSearch: Migration = {
  async up(db: Kysely<unknown>) {
    if (isPostgres(db)) {
      await db.schema
        .createIndex('users_search_user_name')
        .on('users')
        .expression(sql`user_name_lower text_pattern_ops`)
        .execute();
      await db.schema
        .createIndex('users_search_display_name')
        .on('users')
        .expression(sql`lower(display_name) text_pattern_ops`)
        .execute();
      await db.schema
        .createIndex('users_search_email')
        .on('users')
        .expression(sql`lower(email) text_pattern_ops`)
        .execute();
      return;
    }
    await db.schema
      .createIndex('users_search_display_name')
      .on('users')
      .expression(sql`lower(display_name)`)
      .execute();
    await db.schema.createIndex('users_search_email').on('users').expression(sql`lower(email)`).execute();
  },
};
