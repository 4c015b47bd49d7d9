/**
 * A small in-process cache whose entries live at most `ttlMs`. Concurrent loads of one key share
 * a single database round trip. Only found values are kept: a miss (null) or a failed load is
 * asked again next time, so a key created or rotated on another instance works at once there.
 * Every entry ages out within the TTL, which is what bounds staleness across instances.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: Promise<V | null>; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  getOrLoad(key: K, load: () => Promise<V | null>): Promise<V | null> {
    if (!this.enabled) return load();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (hit) this.entries.delete(key);

    const value = load();
    const entry = { value, expiresAt: now + this.ttlMs };
    this.entries.set(key, entry);
    // Map keeps insertion order: past the bound, the oldest entry goes first.
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    value.then(
      (found) => {
        if (found === null && this.entries.get(key) === entry) this.entries.delete(key);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
