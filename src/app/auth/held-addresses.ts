/**
 * Addresses a server has seen over their sign-in budget (`SIGNIN_ADDRESS_BUDGET`), until when: a
 * flood from one address is then answered without a store write or a place in the password
 * queue (`signin.ts`). Each server keeps its own (its context's `memory.heldAddresses`); at
 * most 10,000 are kept (the ones whose time is up go first, then the oldest), and one forgotten
 * is asked of the store again.
 */

const MAX_HELD = 10_000;

export class HeldAddresses {
  private readonly until_ = new Map<string, number>();

  /** How long `bucket` is still held at `now` (ms), 0 when it is not. */
  until(bucket: string, now: number): number {
    const t = this.until_.get(bucket);
    if (t === undefined) return 0;
    if (t > now) return t - now;
    this.until_.delete(bucket);
    return 0;
  }

  /** Hold `bucket` until `until`. */
  hold(bucket: string, now: number, until: number): void {
    if (this.until_.size >= MAX_HELD) {
      for (const [k, t] of this.until_) if (t <= now) this.until_.delete(k);
      const oldest = this.until_.keys().next();
      if (this.until_.size >= MAX_HELD && !oldest.done) this.until_.delete(oldest.value);
    }
    this.until_.delete(bucket);
    this.until_.set(bucket, until);
  }
}
