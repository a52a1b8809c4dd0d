import { LRUCache } from 'lru-cache';
import { isControlEvent } from '@tandem/contracts';
import type { Channel } from '@tandem/contracts';
import { TandemSocketError } from './errors.js';
import type { FetchLike, Read } from './http.js';
import type { SessionManager } from './session.js';
import { LiveSubscription, isLiveEvent } from './subscription.js';
import type { LiveEvent, StreamEvent, SubscribeOptions, Subscriber, Subscription } from './subscription.js';
import { SocketTransport, SseTransport } from './transports.js';
import type { Transport, TransportOptions } from './transports.js';

/** `live`: WebSocket up · `reconnecting` · `fallback`: SSE in use · `connecting` at first · `closed`. */
export type LiveState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'fallback' | 'closed';

export interface LiveOptions {
  baseUrl: string;
  fetch: FetchLike;
  session: SessionManager;
  defaultSnapshot: (channel: Channel) => () => Promise<Read<unknown>>;
  /** `auto` (default): WebSocket, SSE when it cannot connect. */
  transport?: 'auto' | 'websocket' | 'sse';
  /** Failed WebSocket attempts (never connected) before falling back to SSE. */
  websocketAttempts?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** Recent stream events the connection received, for subscriptions that join late. */
const RECENT_EVENTS = 1000;

/**
 * The hybrid dance (docs/contract.md, Events, Realtime and Server-Sent Events fallback): read a
 * snapshot over REST with its X-Stream-Offset, subscribe with `since` = that offset, deliver each
 * later event once per subscription in offset order, resume with the last offset after a
 * reconnect, re-read the snapshot when the server cannot replay, swap refreshed tokens on the live
 * connection, and fall back to SSE when the WebSocket cannot connect.
 */
export class LiveClient {
  private readonly subs = new Set<Subscriber>();
  /** Recent events by id: a subscription joining late picks up events the socket already got. */
  private readonly recent = new LRUCache<string, StreamEvent>({ max: RECENT_EVENTS });
  private transport?: Transport;
  private currentState: LiveState = 'idle';
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  private readonly unwatchSession: () => void;

  constructor(private readonly options: LiveOptions) {
    this.unwatchSession = options.session.onChange(() => this.transport?.tokenChanged());
  }

  get state(): LiveState {
    return this.currentState;
  }

  /** `websocket` or `sse` once a transport is chosen. */
  get transportKind(): 'websocket' | 'sse' | undefined {
    return this.transport?.kind;
  }

  /** The transport in use (tests reach the raw socket through it). */
  get activeTransport(): Transport | undefined {
    return this.transport;
  }

  onStateChange(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.currentState);
    return () => this.stateListeners.delete(listener);
  }

  subscribe<S = unknown>(
    channel: Channel,
    handler: (event: LiveEvent) => void,
    options: SubscribeOptions<S> = {},
  ): Subscription<S> {
    // The default snapshot's type follows from the channel, which S cannot express.
    const readSnapshot = (options.snapshot ?? this.options.defaultSnapshot(channel)) as () => Promise<Read<S>>;
    const sub = new LiveSubscription<S>(channel, handler, options, readSnapshot, (s) => this.remove(s));
    this.subs.add(sub);
    this.join(sub).catch((error: Error) => sub.fail(error));
    return sub;
  }

  /** Closes the connection and every subscription. */
  close(): void {
    for (const sub of this.subs) sub.closed = true;
    this.subs.clear();
    this.transport?.close();
    this.transport = undefined;
    this.unwatchSession();
    this.setState('closed');
  }

  private setState(state: LiveState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private ensureTransport(): Transport {
    if (this.transport) return this.transport;
    const mode = this.options.transport ?? 'auto';
    this.setState('connecting');
    this.transport = mode === 'sse' ? this.createSse() : this.createSocket(mode === 'auto');
    return this.transport;
  }

  private transportOptions(): TransportOptions {
    return {
      baseUrl: this.options.baseUrl,
      token: () => this.options.session.accessToken(),
      reconnectMinMs: this.options.reconnectMinMs ?? 500,
      reconnectMaxMs: this.options.reconnectMaxMs ?? 10_000,
      events: {
        onConnected: () => {
          this.setState(this.transport?.kind === 'sse' ? 'fallback' : 'live');
          this.resubscribeAll();
        },
        onDisconnected: () => {
          if (this.currentState !== 'closed') this.setState('reconnecting');
        },
        onEnvelope: (envelope) => {
          if (isLiveEvent(envelope)) this.dispatch(envelope);
        },
        onResync: (channels) => {
          for (const sub of this.subs) if (channels.includes(sub.channel)) void this.resnapshot(sub);
        },
        onUnauthorized: () => {
          void this.options.session.refresh().catch(() => undefined);
        },
        onWebSocketBlocked: () => this.fallBackToSse(),
      },
    };
  }

  private createSocket(allowFallback: boolean): Transport {
    const options = this.transportOptions();
    if (!allowFallback) delete options.events.onWebSocketBlocked;
    return new SocketTransport(options, this.options.websocketAttempts ?? 2);
  }

  private createSse(): Transport {
    return new SseTransport(this.transportOptions(), this.options.fetch, () => {
      const offsets = [...this.subs].filter((s) => !s.joining || s.offset > 0).map((s) => s.offset);
      return offsets.length > 0 ? Math.min(...offsets) : undefined;
    });
  }

  private fallBackToSse(): void {
    if (this.transport?.kind !== 'websocket') return;
    this.transport.close();
    this.transport = this.createSse();
    this.setState('reconnecting');
    // Subscriptions whose snapshot is read join over SSE now; the others when their read ends.
    for (const sub of this.subs) {
      if (sub.started) void this.rejoin(sub).catch((error: Error) => sub.fail(error));
    }
  }

  /** Snapshot, then subscribe with since = its offset, then merge what arrived meanwhile. */
  private async join(sub: Subscriber): Promise<void> {
    sub.hold(true);
    if (await sub.loadSnapshot('initial')) await this.rejoin(sub);
  }

  /** Subscribes with since = the subscription's offset; on `recovered: false` re-reads the snapshot. */
  private async rejoin(sub: Subscriber): Promise<void> {
    sub.hold();
    const transport = this.ensureTransport();
    let recovered: boolean;
    try {
      ({ recovered } = await transport.subscribe(sub.channel, sub.offset, this.conflateFor(sub.channel)));
    } catch (error) {
      // Refused (forbidden, invalid channel…) fails the subscription; not connected or an ack that
      // timed out does not: the next `connected` resubscribes everything.
      if (error instanceof TandemSocketError) throw error;
      return;
    }
    if (sub.closed) return;
    if (!recovered) {
      await this.resnapshot(sub);
      return;
    }
    sub.catchUp(this.recent.values());
  }

  /** History no longer reaches back: the events alone cannot bring the state up to date. */
  private async resnapshot(sub: Subscriber): Promise<void> {
    sub.hold();
    if (await sub.loadSnapshot('resync')) sub.catchUp(this.recent.values());
  }

  private resubscribeAll(): void {
    for (const sub of this.subs) {
      // A subscription still reading its first snapshot subscribes when that read ends.
      if (!sub.started) continue;
      void this.rejoin(sub).catch((error: Error) => sub.fail(error));
    }
  }

  /**
   * One channel, one setting on the connection: conflated only if every subscription of the channel
   * asks for it, with the shortest window asked (a subscription that wants every event gets it).
   */
  private conflateFor(channel: Channel): number | undefined {
    let shortest: number | undefined;
    for (const sub of this.subs) {
      if (sub.channel !== channel) continue;
      if (sub.conflate === undefined) return undefined;
      shortest = Math.min(shortest ?? sub.conflate, sub.conflate);
    }
    return shortest;
  }

  private remove(sub: Subscriber): void {
    this.subs.delete(sub);
    if (![...this.subs].some((other) => other.channel === sub.channel)) this.transport?.unsubscribe(sub.channel);
  }

  private dispatch(envelope: LiveEvent): void {
    if (isControlEvent(envelope)) {
      for (const sub of this.subs) sub.receiveControl(envelope);
      return;
    }
    this.recent.set(envelope.id, envelope);
    for (const sub of this.subs) sub.receive(envelope);
  }
}
