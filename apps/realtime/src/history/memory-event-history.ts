import type { EventEnvelope } from '@tandem/contracts';
import type { EventHistory, HistoryLimits, Replay } from './event-history.js';

interface Kept {
  envelope: EventEnvelope;
  at: number;
}

/** Single-replica history (no REDIS_URL, standalone). */
export class MemoryEventHistory implements EventHistory {
  private readonly channels = new Map<string, { events: Kept[]; trimmed: number; touched: number }>();
  private floor = -1;

  constructor(
    private readonly limits: HistoryLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async record(envelope: EventEnvelope): Promise<void> {
    const now = this.now();
    if (this.floor < 0) this.floor = envelope.offset - 1;
    for (const channel of envelope.channels) {
      let entry = this.channels.get(channel);
      if (!entry) {
        entry = { events: [], trimmed: 0, touched: now };
        this.channels.set(channel, entry);
      }
      entry.touched = now;
      const events = entry.events;
      if (events.some((kept) => kept.envelope.id === envelope.id)) continue;
      // Offsets almost always arrive in order: walk back from the end to the insertion point.
      let index = events.length;
      while (index > 0 && events[index - 1]!.envelope.offset > envelope.offset) index -= 1;
      events.splice(index, 0, { envelope, at: now });
      this.trim(channel, now);
    }
    this.sweep(now);
  }

  async since(channel: string, since: number, max: number): Promise<Replay> {
    this.trim(channel, this.now());
    const entry = this.channels.get(channel);
    const recovered = since >= this.floor && since >= (entry?.trimmed ?? 0);
    if (!recovered) return { recovered, events: [] };
    const events = (entry?.events ?? []).filter((kept) => kept.envelope.offset > since).map((kept) => kept.envelope);
    return events.length > max ? { recovered: false, events: [] } : { recovered, events };
  }

  private trim(channel: string, now: number): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    const { events } = entry;
    while (events.length > this.limits.maxEvents || (events.length > 0 && now - events[0]!.at > this.limits.maxAgeMs)) {
      const dropped = events.shift()!;
      entry.trimmed = Math.max(entry.trimmed, dropped.envelope.offset);
    }
  }

  private lastSweep = 0;
  /** Forgets idle channels; what they held raises the global floor so recovery stays honest. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [channel, entry] of this.channels) {
      if (now - entry.touched <= this.limits.maxAgeMs) continue;
      const newest = entry.events.at(-1)?.envelope.offset ?? entry.trimmed;
      this.floor = Math.max(this.floor, newest, entry.trimmed);
      this.channels.delete(channel);
    }
  }
}
