import type { EventEnvelope } from '@tandem/contracts';
import type { Principal } from '@tandem/security';
import { BoundedMap } from './lru.js';

/** Event ids remembered per subscriber so that replays never repeat what it already received. */
const SEEN_IDS = 512;
/** Live events held back while a channel replays; beyond this the subscriber is too slow. */
const MAX_BUFFERED = 5000;

/**
 * One client's delivery state, shared by Socket.IO sockets and SSE streams (contract: "a socket
 * receives each event id at most once, however many of its channels the event is on and however it
 * (re)subscribed"). While a channel replays from history, live events on it are buffered and
 * flushed after the replay in offset order, so replay and live never overlap or reorder.
 */
export abstract class Subscriber {
  readonly channels = new Set<string>();
  private readonly replaying = new Map<string, number>();
  private buffered: EventEnvelope[] = [];
  private readonly seen = new BoundedMap<string, true>(SEEN_IDS);
  /** Highest offset written to this client. */
  lastOffset = 0;

  constructor(
    readonly id: string,
    public principal: Principal | undefined,
  ) {}

  /** Writes one event to the client (the transport's part). */
  protected abstract write(envelope: EventEnvelope): void;
  abstract close(): void;
  /** Sends a gateway notice (e.g. `resync`) that is not an event of the stream. */
  abstract notify(event: string, body: unknown): void;

  /**
   * Decides what happens to a live event: `send` (caller writes it, e.g. in a broadcast; it is
   * now marked seen), `skip` (already received) or `held` (buffered behind a replay).
   */
  accept(envelope: EventEnvelope): 'send' | 'skip' | 'held' {
    if (envelope.channels.some((channel) => this.replaying.has(channel))) {
      if (this.buffered.length >= MAX_BUFFERED) {
        this.close();
        return 'skip';
      }
      this.buffered.push(envelope);
      return 'held';
    }
    return this.markSeen(envelope) ? 'send' : 'skip';
  }

  /** Accepts and writes (live delivery outside a broadcast). True if written. */
  offer(envelope: EventEnvelope): boolean {
    if (this.accept(envelope) !== 'send') return false;
    this.write(envelope);
    return true;
  }

  /** Writes a replayed event unless already received. */
  replay(envelope: EventEnvelope): boolean {
    if (!this.markSeen(envelope)) return false;
    this.write(envelope);
    return true;
  }

  beginReplay(channel: string): void {
    this.replaying.set(channel, (this.replaying.get(channel) ?? 0) + 1);
  }

  /** Ends a replay and flushes what was held back for it, in offset order. Returns events written. */
  endReplay(channel: string): number {
    const count = (this.replaying.get(channel) ?? 1) - 1;
    if (count > 0) this.replaying.set(channel, count);
    else this.replaying.delete(channel);
    if (this.buffered.length === 0) return 0;
    const held = this.buffered.sort((a, b) => a.offset - b.offset);
    this.buffered = [];
    let written = 0;
    for (const envelope of held) if (this.offer(envelope)) written += 1;
    return written;
  }

  private markSeen(envelope: EventEnvelope): boolean {
    if (this.seen.has(envelope.id)) return false;
    this.seen.set(envelope.id, true);
    if (envelope.offset > this.lastOffset) this.lastOffset = envelope.offset;
    return true;
  }
}
