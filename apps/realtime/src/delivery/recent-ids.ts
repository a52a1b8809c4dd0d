/**
 * The last `capacity` ids a client received, oldest forgotten first (a FIFO window, not an LRU:
 * a repeated id is a duplicate to drop, so it never needs refreshing). One lives per connected
 * client, so it is a plain Set that grows with what the client receives, not a cache that
 * allocates its full capacity up front.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Remembers `id`; false if it was already among the recent ones. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
