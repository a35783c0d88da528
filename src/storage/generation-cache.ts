/**
 * Answers of hot reads kept in memory for as long as the store generation (`Store.generation`,
 * migration 004) stays where it was when their rows were read. Every change that can take
 * access away raises the generation in its own transaction, by trigger, whichever process or
 * replica makes it; a caller reads the generation first, on every use, so a kept answer is
 * never used after such a change has committed. What may be kept is an answer that allows
 * something (a live token, a role the user may use): a refusal is read again each time, so
 * inserts — which only ever add — need not raise the generation. A server makes one cache per
 * kind of answer when it starts, kept with its other state.
 *
 * @example
 * const generation = await store.generation();
 * let v = cache.get(generation, key);
 * if (v === undefined) { v = await readIt(); if (v.allowed) cache.set(generation, key, v); }
 */
export class GenerationCache<V> {
  private generation = Number.NaN;
  private readonly entries = new Map<string, V>();
  private readonly limit: number;

  constructor(limit = 10_000) {
    this.limit = limit;
  }

  /** The answer kept for `key`, if the store is still at `generation` (read just now). */
  get(generation: number, key: string): V | undefined {
    if (generation !== this.generation) {
      // Any move — forward, or back as after a restore — makes everything kept stale.
      this.entries.clear();
      this.generation = generation;
      return undefined;
    }
    return this.entries.get(key);
  }

  /**
   * Keep an answer built from rows read after `generation` was. Ignored when another caller
   * has seen a different generation since (the answer may be stale).
   */
  set(generation: number, key: string, value: V): void {
    if (generation !== this.generation) return;
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(key, value);
  }
}
