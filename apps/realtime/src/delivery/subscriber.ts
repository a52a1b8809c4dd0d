import type { EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import type { Principal } from '@tandem/security';
import { RecentIds } from './recent-ids.js';

/** Per-client bounds (RealtimeSettings CLIENT_SEEN_IDS, CLIENT_MAX_BUFFERED). */
export interface SubscriberLimits {
  seenIds: number;
  maxBuffered: number;
}

/**
 * One connected client, socket or SSE stream: who it is, what it subscribes to, and its delivery
 * state (docs/contract.md, Realtime: "a socket receives each event id at most once, however many
 * of its channels the event is on and however it (re)subscribed"). While a channel replays from
 * history, live events on it are buffered and flushed after the replay in offset order, so replay
 * and live never overlap or reorder. The ClientRegistry indexes clients and is the only writer of
 * `channels`, `principal` and `token`.
 */
export abstract class Subscriber {
  abstract readonly transport: 'socket' | 'sse';
  readonly channels = new Set<string>();
  principal: Principal | undefined;
  /** The access token in use: rpc calls and order-ownership lookups run with it. */
  token: string | undefined;
  /** Fires at the token's `exp` (ClientAuthService). */
  expiry?: NodeJS.Timeout;
  private readonly replaying = new Map<string, number>();
  private buffered: EventEnvelope[] = [];
  private readonly seen: RecentIds;

  constructor(
    readonly id: string,
    readonly ip: string,
    private readonly limits: SubscriberLimits,
  ) {
    this.seen = new RecentIds(limits.seenIds);
  }

  /** Writes one event to the client (the transport's part). */
  protected abstract write(envelope: EventEnvelope): void;
  /** Sends a gateway notice (`resync`, `session.expired`, `session.revoked`) that is not an event of the stream. */
  abstract notify<N extends keyof GatewayNoticeMap>(event: N, notice: GatewayNoticeMap[N]): void;
  /** Closes the connection; the client may reconnect (its token's end, revocation, drain, too slow). */
  abstract close(): void;

  /** Called when the client is ended for not reading what it was sent (the metric counts it). */
  onShed?: () => void;

  /**
   * Ends the client if more than its bound waits unsent for it (docs/realtime.md, "Slow
   * consumers"); the transport knows its buffers. Fan-out calls it after each broadcast.
   */
  keepUp(): void {}

  /** Ends the connection so that the client reconnects elsewhere by itself (drain). */
  drop(): void {
    this.close();
  }

  /**
   * Decides what happens to a live event: `send` (caller writes it, e.g. in a broadcast; it is
   * now marked seen), `skip` (already received) or `held` (buffered behind a replay).
   */
  accept(envelope: EventEnvelope): 'send' | 'skip' | 'held' {
    if (envelope.channels.some((channel) => this.replaying.has(channel))) {
      if (this.buffered.length >= this.limits.maxBuffered) {
        this.close();
        return 'skip';
      }
      this.buffered.push(envelope);
      return 'held';
    }
    return this.seen.add(envelope.id) ? 'send' : 'skip';
  }

  /** Accepts and writes (live delivery outside a broadcast). True if written. */
  offer(envelope: EventEnvelope): boolean {
    if (this.accept(envelope) !== 'send') return false;
    this.write(envelope);
    return true;
  }

  /** Writes a replayed event unless already received. */
  replay(envelope: EventEnvelope): boolean {
    if (!this.seen.add(envelope.id)) return false;
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
}
