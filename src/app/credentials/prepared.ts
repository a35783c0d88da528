/**
 * Queries built once and run many times. Building and compiling a Kysely query with joins
 * costs several times what SQLite takes to run it, so the credential hot path compiles its
 * query once per database (with sentinel values), then swaps in each call's values by their
 * position in the compiled parameters. Same SQL as the builder produces, on both dialects.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from '../../storage/schema.ts';

export type Prepared<K extends string, R> = (
  db: Kysely<Database>,
  values: Record<K, unknown>,
) => Promise<R[]>;

/**
 * @example
 * const byName = prepare(['name'], (db, p) => db.selectFrom('users').selectAll().where('user_name', '=', p.name));
 * const rows = await byName(db, { name: 'alice' });
 */
export function prepare<K extends string, R>(
  keys: readonly K[],
  build: (db: Kysely<Database>, p: Record<K, string>) => Compilable<R>,
): Prepared<K, R> {
  const compiled = new WeakMap<
    Kysely<Database>,
    { query: CompiledQuery<R>; slots: Array<K | { value: unknown }> }
  >();
  const sentinels = Object.fromEntries(keys.map((k) => [k, `\u0000prepared:${k}\u0000`])) as Record<
    K,
    string
  >;
  const bySentinel = new Map<unknown, K>(keys.map((k) => [sentinels[k], k]));
  return async (db, values) => {
    let entry = compiled.get(db);
    if (!entry) {
      const query = build(db, sentinels).compile();
      const slots = query.parameters.map((p) => bySentinel.get(p) ?? { value: p });
      entry = { query, slots };
      compiled.set(db, entry);
    }
    const parameters = entry.slots.map((s) => (typeof s === 'string' ? values[s] : s.value));
    const result = await db.executeQuery<R>({ ...entry.query, parameters });
    return result.rows;
  };
}
