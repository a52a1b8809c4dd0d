import { eventEntity } from '@tandem/contracts';
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
 *
 * Conflation (docs/contract.md, Realtime; docs/realtime.md, "Conflation"): on channels subscribed
 * with `conflate`, an event that arrives while no window is open is sent at once and opens one;
 * until it ends, later events are held, one per entity and type (the newest), and written in offset
 * order when it ends (which opens the next window if anything was written). An event on a channel
 * the client takes unconflated, and a replay, first write what is held: the client's offsets never
 * go back. A client that conflates nothing pays one size check per event.
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
  /** Conflating channels and their window (ms); empty for most clients. */
  private readonly windows = new Map<string, number>();
  /** Held in the open window, by entity and type: the newest only. */
  private readonly held = new Map<string, EventEnvelope>();
  /** Set while a conflation window is open (one timer per client at most). */
  private window?: { timer: NodeJS.Timeout; ms: number };

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
  /** Called with the number of held events a window's end wrote (the delivery metric counts them). */
  onConflatedWrite?: (count: number) => void;

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
   * now marked seen), `skip` (already received), `held` (buffered behind a replay) or `conflated`
   * (held in the client's conflation window).
   */
  accept(envelope: EventEnvelope): 'send' | 'skip' | 'held' | 'conflated' {
    if (envelope.channels.some((channel) => this.replaying.has(channel))) {
      if (this.buffered.length >= this.limits.maxBuffered) {
        this.close();
        return 'skip';
      }
      this.buffered.push(envelope);
      return 'held';
    }
    if (this.windows.size > 0) return this.conflate(envelope);
    return this.seen.add(envelope.id) ? 'send' : 'skip';
  }

  /** Sets (ms) or clears (undefined) the conflation window of one of the client's channels. */
  conflateChannel(channel: string, ms: number | undefined): void {
    if (ms === undefined) this.stopConflating(channel);
    else this.windows.set(channel, ms);
  }

  /** The client left `channel` (unsubscribe, lost rights): what is held only for it is dropped. */
  stopConflating(channel: string): void {
    if (!this.windows.delete(channel)) return;
    for (const [key, envelope] of this.held) {
      if (!envelope.channels.some((name) => this.channels.has(name))) this.held.delete(key);
    }
    if (this.windows.size === 0) this.endWindow(false);
  }

  /** The client is gone: its window's timer is cleared and what it held dropped. */
  dispose(): void {
    this.windows.clear();
    this.held.clear();
    if (this.window) clearTimeout(this.window.timer);
    this.window = undefined;
  }

  /** Events held in the open window (tests, metrics). */
  get heldCount(): number {
    return this.held.size;
  }

  private conflate(envelope: EventEnvelope): 'send' | 'skip' | 'conflated' {
    const ms = this.windowOf(envelope);
    const entity = ms === undefined ? undefined : eventEntity(envelope);
    if (ms === undefined || entity === undefined) {
      this.flushHeld();
      return this.seen.add(envelope.id) ? 'send' : 'skip';
    }
    if (this.seen.has(envelope.id)) return 'skip';
    if (!this.window) {
      this.openWindow(ms);
      this.seen.add(envelope.id);
      return 'send';
    }
    const key = `${envelope.type} ${entity.id}`;
    const previous = this.held.get(key);
    if (!previous || previous.offset < envelope.offset) this.held.set(key, envelope);
    return 'conflated';
  }

  /** The shortest window among the event's channels this client holds; undefined if one of them is not conflated. */
  private windowOf(envelope: EventEnvelope): number | undefined {
    let shortest: number | undefined;
    for (const channel of envelope.channels) {
      if (!this.channels.has(channel)) continue;
      const ms = this.windows.get(channel);
      if (ms === undefined) return undefined;
      shortest = shortest === undefined ? ms : Math.min(shortest, ms);
    }
    return shortest;
  }

  private openWindow(ms: number): void {
    const timer = setTimeout(() => this.endWindow(true), ms);
    timer.unref?.();
    this.window = { timer, ms };
  }

  /** Ends the open window: writes what it held; with `reopen`, a window follows what was written. */
  private endWindow(reopen: boolean): void {
    const window = this.window;
    if (!window) return;
    clearTimeout(window.timer);
    this.window = undefined;
    const written = this.flushHeld();
    if (reopen && written > 0 && this.windows.size > 0) this.openWindow(window.ms);
  }

  /** Writes what the window holds, in offset order. */
  private flushHeld(): number {
    if (this.held.size === 0) return 0;
    const held = [...this.held.values()].sort((a, b) => a.offset - b.offset);
    this.held.clear();
    let written = 0;
    for (const envelope of held) {
      if (!this.seen.add(envelope.id)) continue;
      this.write(envelope);
      written += 1;
    }
    if (written > 0) this.onConflatedWrite?.(written);
    return written;
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
    this.flushHeld();
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
