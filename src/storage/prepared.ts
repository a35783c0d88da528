/**
 * Prepared reads for hot paths (see `Store.readRows`): a query built with Kysely once per
 * store and run many times, because building and compiling a query with joins costs several
 * times what the database takes to run it.
 */
import type { Compilable, Kysely } from 'kysely';
import type { Store } from './db.ts';
import type { Database } from './schema.ts';

/**
 * A read-only query built with Kysely once per store and run through `store.readRows`. It is
 * compiled with sentinel values, whose positions in the compiled parameters then take each
 * call's values: the same SQL the builder produces.
 *
 * @example
 * const byName = preparedRead(['name'], (db, p) => db.selectFrom('users').selectAll().where('user_name', '=', p.name));
 * const rows = await byName(store, { name: 'alice' });
 */
export function preparedRead<K extends string, R>(
  keys: readonly K[],
  build: (db: Kysely<Database>, p: Record<K, string>) => Compilable<R>,
): (store: Store, values: Record<K, unknown>) => Promise<R[]> {
  const compiled = compiledOnce(keys, build);
  return (store, values) => {
    const { sql, parameters } = compiled(store, values);
    return store.readRows<R>(sql, parameters);
  };
}

/**
 * `preparedRead` with each row as an array of its column values, in the order of the select
 * list (`Store.readArrays`): for reads of many rows.
 */
export function preparedReadArrays<K extends string>(
  keys: readonly K[],
  build: (db: Kysely<Database>, p: Record<K, string>) => Compilable<unknown>,
): (store: Store, values: Record<K, unknown>) => Promise<unknown[][]> {
  const compiled = compiledOnce(keys, build);
  return (store, values) => {
    const { sql, parameters } = compiled(store, values);
    return store.readArrays(sql, parameters);
  };
}

/** The SQL of a query built once per store, and each call's parameters in its slots. */
function compiledOnce<K extends string, R>(
  keys: readonly K[],
  build: (db: Kysely<Database>, p: Record<K, string>) => Compilable<R>,
): (store: Store, values: Record<K, unknown>) => { sql: string; parameters: unknown[] } {
  const compiled = new WeakMap<Kysely<Database>, { sql: string; slots: Array<K | { value: unknown }> }>();
  const sentinels = Object.fromEntries(keys.map((k) => [k, `\u0000prepared:${k}\u0000`])) as Record<
    K,
    string
  >;
  const bySentinel = new Map<unknown, K>(keys.map((k) => [sentinels[k], k]));
  return (store, values) => {
    let entry = compiled.get(store.db);
    if (!entry) {
      const query = build(store.db, sentinels).compile();
      const slots = query.parameters.map((p) => bySentinel.get(p) ?? { value: p });
      entry = { sql: query.sql, slots };
      compiled.set(store.db, entry);
    }
    const parameters = entry.slots.map((s) => (typeof s === 'string' ? values[s] : s.value));
    return { sql: entry.sql, parameters };
  };
}
