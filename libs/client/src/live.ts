import type { ControlEnvelope, EventEnvelope, EventType } from '@tandem/contracts';
import type { Read } from './http.js';
import type { SessionManager } from './session.js';
import { SocketTransport, SseTransport } from './transports.js';
import type { Transport, TransportOptions } from './transports.js';
import type { FetchLike } from './http.js';

/** A stream event whose `data` type follows from `type` (narrow with `switch (event.type)`). */
export type StreamEvent = { [K in EventType]: EventEnvelope<K> }[EventType];
export type LiveEvent = StreamEvent | ControlEnvelope;

/** `live`: WebSocket up · `reconnecting` · `fallback`: SSE in use · `connecting` at first · `closed`. */
export type LiveState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'fallback' | 'closed';

export interface SubscribeOptions<S> {
  /**
   * Reads the state the events apply to, with its X-Stream-Offset. Defaults per channel:
   * `product:{id}` → GET /products/{id}, `order:{id}` → GET /orders/{id}, `catalog` →
   * GET /products (first page), `user:{id}` → GET /orders. It is read again when the server cannot
   * replay what was missed (ack `recovered: false`, or a `resync` notice).
   */
  snapshot?: () => Promise<Read<S>>;
  /** The snapshot: `initial` once, `resync` each time the events alone could not bring it up to date. */
  onSnapshot?: (data: S, reason: 'initial' | 'resync') => void;
  onError?: (error: Error) => void;
}

export interface Subscription<S = unknown> {
  readonly channel: string;
  /** The newest offset this subscription reflects (snapshot or delivered event). */
  readonly offset: number;
  readonly snapshot: S | undefined;
  /** Resolves once the snapshot is read and the channel subscribed. */
  readonly ready: Promise<void>;
  unsubscribe(): void;
}

export interface LiveOptions {
  baseUrl: string;
  fetch: FetchLike;
  session: SessionManager;
  defaultSnapshot: (channel: string) => () => Promise<Read<unknown>>;
  /** `auto` (default): WebSocket, SSE when it cannot connect. */
  transport?: 'auto' | 'websocket' | 'sse';
  /** Failed WebSocket attempts (never connected) before falling back to SSE. */
  websocketAttempts?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** A bounded insertion-ordered set of recent keys. */
class RecentMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  has(key: string): boolean {
    return this.map.has(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }
  values(): IterableIterator<V> {
    return this.map.values();
  }
}

class Sub<S> implements Subscription<S> {
  offset = 0;
  snapshot: S | undefined;
  ready!: Promise<void>;
  /** While joining (snapshot read, subscribe ack pending), events wait here to be merged in order. */
  joining = true;
  pending: StreamEvent[] = [];
  readonly delivered = new RecentMap<true>(2000);
  closed = false;
  resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;
  private settled = false;

  constructor(
    readonly channel: string,
    readonly handler: (event: LiveEvent) => void,
    readonly options: SubscribeOptions<S>,
    readonly readSnapshot: () => Promise<Read<S>>,
    private readonly remove: (sub: Sub<S>) => void,
  ) {}

  settle(resolve: () => void, reject: (error: Error) => void): void {
    this.resolveReady = () => {
      this.settled = true;
      resolve();
    };
    this.rejectReady = (error) => {
      this.settled = true;
      reject(error);
    };
  }

  /** Before ready: `ready` rejects (and onError is called through it); after: onError. */
  fail(error: Error): void {
    if (this.settled) this.options.onError?.(error);
    else this.rejectReady(error);
  }

  unsubscribe(): void {
    this.closed = true;
    this.remove(this);
  }
}

function isStreamEvent(envelope: LiveEvent): envelope is StreamEvent {
  return typeof (envelope as StreamEvent).offset === 'number';
}

function isEnvelope(value: unknown): value is LiveEvent {
  const v = value as LiveEvent;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.type === 'string' &&
    Array.isArray(v.channels)
  );
}

/**
 * The hybrid dance (contract: Events, Realtime, SSE): read a snapshot over REST with its
 * X-Stream-Offset, subscribe with `since` = that offset, deliver each later event once per
 * subscription in offset order, resume with the last offset after a reconnect, re-read the
 * snapshot when the server cannot replay, swap refreshed tokens on the live connection, and fall
 * back to SSE when the WebSocket cannot connect.
 */
export class LiveClient {
  private readonly subs = new Set<Sub<unknown>>();
  /** Recent events by id: a subscription joining late picks up events the socket already got. */
  private readonly recent = new RecentMap<StreamEvent>(1000);
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
    channel: string,
    handler: (event: LiveEvent) => void,
    options: SubscribeOptions<S> = {},
  ): Subscription<S> {
    const readSnapshot = (options.snapshot ?? this.options.defaultSnapshot(channel)) as () => Promise<Read<S>>;
    const sub = new Sub<S>(channel, handler, options, readSnapshot, (s) => this.remove(s as Sub<unknown>));
    // Ready once the first merge is done, whichever transport (and however many tries) got it there.
    sub.ready = new Promise<void>((resolve, reject) => sub.settle(resolve, reject));
    sub.ready.catch((error: Error) => sub.options.onError?.(error));
    this.subs.add(sub as Sub<unknown>);
    this.join(sub, 'initial').catch((error: Error) => sub.fail(error));
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
          if (isEnvelope(envelope)) this.dispatch(envelope);
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
      if (sub.snapshot !== undefined || !sub.joining) {
        void this.rejoin(sub).catch((error: Error) => sub.fail(error));
      }
    }
  }

  /** Snapshot, then subscribe with since = its offset, then merge what arrived meanwhile. */
  private async join<S>(sub: Sub<S>, reason: 'initial' | 'resync'): Promise<void> {
    sub.joining = true;
    sub.pending = [];
    const read = await sub.readSnapshot();
    if (sub.closed) return;
    sub.snapshot = read.data;
    sub.offset = read.offset;
    sub.options.onSnapshot?.(read.data, reason);
    await this.rejoin(sub);
  }

  /** Subscribes with since = the subscription's offset; on `recovered: false` re-reads the snapshot. */
  private async rejoin<S>(sub: Sub<S>): Promise<void> {
    sub.joining = true;
    const transport = this.ensureTransport();
    let recovered: boolean;
    try {
      ({ recovered } = await transport.subscribe(sub.channel, sub.offset));
    } catch (error) {
      // Not connected or the ack timed out: the next `connected` resubscribes everything.
      if ((error as { code?: string }).code) throw error;
      return;
    }
    if (sub.closed) return;
    if (!recovered) {
      await this.resnapshot(sub);
      return;
    }
    this.flush(sub);
  }

  /** History no longer reaches back: the events alone cannot bring the state up to date. */
  private async resnapshot<S>(sub: Sub<S>): Promise<void> {
    sub.joining = true;
    const read = await sub.readSnapshot();
    if (sub.closed) return;
    sub.snapshot = read.data;
    // The new snapshot already reflects everything up to its offset; later events follow.
    sub.offset = Math.max(sub.offset, read.offset);
    sub.options.onSnapshot?.(read.data, 'resync');
    this.flush(sub);
  }

  private resubscribeAll(): void {
    for (const sub of this.subs) {
      // A subscription still reading its first snapshot subscribes when that read ends.
      if (sub.snapshot === undefined && sub.joining) continue;
      void this.rejoin(sub).catch((error: Error) => sub.fail(error));
    }
  }

  private remove(sub: Sub<unknown>): void {
    this.subs.delete(sub);
    if (![...this.subs].some((other) => other.channel === sub.channel)) this.transport?.unsubscribe(sub.channel);
  }

  private dispatch(envelope: LiveEvent): void {
    if (!isStreamEvent(envelope)) {
      // Control messages (session.revoked) carry no offset: delivered once per id.
      for (const sub of this.subs) {
        if (!envelope.channels.includes(sub.channel as never) || sub.delivered.has(envelope.id)) continue;
        sub.delivered.set(envelope.id, true);
        sub.handler(envelope);
      }
      return;
    }
    this.recent.set(envelope.id, envelope);
    for (const sub of this.subs) {
      if (!envelope.channels.includes(sub.channel as never)) continue;
      if (sub.joining) sub.pending.push(envelope);
      else this.deliver(sub, envelope);
    }
  }

  private flush<S>(sub: Sub<S>): void {
    const candidates = new Map<string, StreamEvent>();
    for (const event of [...sub.pending, ...this.recent.values()]) {
      if (event.channels.includes(sub.channel as never) && event.offset > sub.offset) candidates.set(event.id, event);
    }
    sub.pending = [];
    sub.joining = false;
    for (const event of [...candidates.values()].sort((a, b) => a.offset - b.offset)) this.deliver(sub, event);
    sub.resolveReady();
  }

  /** Once per id, in offset order: anything at or below what the subscription reflects is a repeat. */
  private deliver<S>(sub: Sub<S>, event: StreamEvent): void {
    if (sub.closed || sub.delivered.has(event.id) || event.offset <= sub.offset) return;
    sub.delivered.set(event.id, true);
    sub.offset = event.offset;
    try {
      sub.handler(event);
    } catch (error) {
      sub.options.onError?.(error as Error);
    }
  }
}
