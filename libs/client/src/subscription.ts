import { LRUCache } from 'lru-cache';
import { eventEntity, isControlEventType, isEventType } from '@tandem/contracts';
import type { AnyEnvelope, Channel, ControlEnvelope, EventEnvelope } from '@tandem/contracts';
import type { Read } from './http.js';

/** A stream event; narrowing on `type` narrows `data` (`switch (event.type)`). */
export type StreamEvent = EventEnvelope;
/** What a subscription handler receives: stream events and control messages (`session.revoked`). */
export type LiveEvent = AnyEnvelope;

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
  /**
   * Asks the gateway for at most one event per entity and type per window of this many ms, the
   * newest (`subscribe` `conflate`, docs/contract.md, Realtime): a grid shows the latest stock,
   * not every step of a burst. Default: DEFAULT_CATALOG_CONFLATE_MS on `catalog`, off elsewhere
   * (orders and a single product get every event); `false` turns it off.
   */
  conflate?: number | false;
}

/** The default `conflate` of a `catalog` subscription (ms): a grid repaints at most ~4 times a second. */
export const DEFAULT_CATALOG_CONFLATE_MS = 250;

/** The window a subscription asks for: its option, else the channel's default. */
export function conflateWindow(channel: Channel, option: number | false | undefined): number | undefined {
  if (option === false) return undefined;
  return option ?? (channel === 'catalog' ? DEFAULT_CATALOG_CONFLATE_MS : undefined);
}

export interface Subscription<S = unknown> {
  readonly channel: Channel;
  /** The newest offset this subscription reflects (snapshot or delivered event). */
  readonly offset: number;
  readonly snapshot: S | undefined;
  /** Resolves once the snapshot is read and the channel subscribed. */
  readonly ready: Promise<void>;
  unsubscribe(): void;
}

/** What the live client drives, whatever the subscription's snapshot type. */
export interface Subscriber {
  readonly channel: Channel;
  readonly offset: number;
  /** The conflation window it asks the gateway for (ms), if any. */
  readonly conflate: number | undefined;
  readonly joining: boolean;
  readonly started: boolean;
  closed: boolean;
  hold(fresh?: boolean): void;
  loadSnapshot(reason: 'initial' | 'resync'): Promise<boolean>;
  receive(event: StreamEvent): void;
  receiveControl(envelope: ControlEnvelope): void;
  catchUp(recent: Iterable<StreamEvent>): void;
  fail(error: Error): void;
}

/** Ids remembered per subscription to drop repeats (relay redeliveries, overlapping replays). */
const DELIVERED_IDS = 2000;
/** Entity versions remembered per subscription (a catalog grid's products, a user's orders). */
const KNOWN_VERSIONS = 10_000;

/**
 * A well-formed envelope of a known type, as received from the network: stream events need their
 * offset. Anything else is dropped rather than handed to application code.
 */
export function isLiveEvent(value: unknown): value is LiveEvent {
  if (typeof value !== 'object' || value === null) return false;
  const { id, type, channels, offset, data } = value as Partial<Record<keyof StreamEvent, unknown>>;
  if (typeof id !== 'string' || !Array.isArray(channels) || typeof data !== 'object' || data === null) return false;
  if (isEventType(type)) return typeof offset === 'number';
  return isControlEventType(type);
}

export function isStreamEvent(event: LiveEvent): event is StreamEvent {
  return isEventType(event.type);
}

/**
 * One subscription's merge of a REST snapshot with the live stream (docs/client-sdk.md, "What
 * `live.subscribe` does for you"): while it joins, events wait; once subscribed, the waiting
 * events and the connection's recent ones are merged, sorted by offset and delivered; from then on
 * each event is delivered once per id, and only if its offset is above what the subscription
 * already reflects and its entity's version above the one it holds (docs/contract.md, "Events":
 * an event may arrive whose effect the snapshot already shows).
 */
export class LiveSubscription<S = unknown> implements Subscription<S>, Subscriber {
  offset = 0;
  snapshot: S | undefined;
  readonly ready: Promise<void>;
  /** Snapshot read or subscribe ack pending: events wait in `pending`. */
  joining = true;
  closed = false;
  private pending: StreamEvent[] = [];
  private readonly delivered = new LRUCache<string, true>({ max: DELIVERED_IDS });
  /** Newest version seen per entity id (products, orders), from snapshots and events. */
  private readonly versions = new LRUCache<string, number>({ max: KNOWN_VERSIONS });
  readonly conflate: number | undefined;
  private settled = false;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;

  constructor(
    readonly channel: Channel,
    private readonly handler: (event: LiveEvent) => void,
    private readonly options: SubscribeOptions<S>,
    private readonly readSnapshot: () => Promise<Read<S>>,
    private readonly onUnsubscribe: (subscription: Subscriber) => void = () => undefined,
  ) {
    this.conflate = conflateWindow(channel, options.conflate);
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A failure before ready reaches onError through here (and rejects `ready` for whoever awaits it).
    this.ready.catch((error: Error) => this.options.onError?.(error));
  }

  /** Whether the subscription has ever read a snapshot, or is subscribed already. */
  get started(): boolean {
    return this.snapshot !== undefined || !this.joining;
  }

  /** From now on, events wait until `catchUp`. `fresh` also drops what waited so far. */
  hold(fresh = false): void {
    this.joining = true;
    if (fresh) this.pending = [];
  }

  /**
   * Reads the snapshot: `initial` sets the offset to the snapshot's; `resync` never moves it back
   * (the snapshot reflects everything up to its offset, and later events follow). False when the
   * subscription was closed meanwhile.
   */
  async loadSnapshot(reason: 'initial' | 'resync'): Promise<boolean> {
    const read = await this.readSnapshot();
    if (this.closed) return false;
    this.snapshot = read.data;
    this.offset = reason === 'initial' ? read.offset : Math.max(this.offset, read.offset);
    this.noteVersions(read.data);
    this.options.onSnapshot?.(read.data, reason);
    return true;
  }

  /** An event of the live stream: held while joining, delivered otherwise. */
  receive(event: StreamEvent): void {
    if (!event.channels.includes(this.channel)) return;
    if (this.joining) this.pending.push(event);
    else this.deliver(event);
  }

  /** Control messages carry no offset: delivered once per id. */
  receiveControl(envelope: ControlEnvelope): void {
    if (this.closed || !envelope.channels.includes(this.channel) || this.delivered.has(envelope.id)) return;
    this.delivered.set(envelope.id, true);
    this.handler(envelope);
  }

  /**
   * Subscribed: merges what waited with the connection's recent events (a channel joining late
   * picks up events the connection already got for others), in offset order; then ready.
   */
  catchUp(recent: Iterable<StreamEvent>): void {
    const candidates = new Map<string, StreamEvent>();
    for (const event of [...this.pending, ...recent]) {
      if (event.channels.includes(this.channel) && event.offset > this.offset) candidates.set(event.id, event);
    }
    this.pending = [];
    this.joining = false;
    for (const event of [...candidates.values()].sort((a, b) => a.offset - b.offset)) this.deliver(event);
    this.settled = true;
    this.resolveReady();
  }

  /** Before ready: `ready` rejects (and onError is called through it); after: onError. */
  fail(error: Error): void {
    if (this.settled) {
      this.options.onError?.(error);
      return;
    }
    this.settled = true;
    this.rejectReady(error);
  }

  /** Remembers the versions a snapshot shows: a product or an order, or a page of them (`items`). */
  private noteVersions(data: unknown): void {
    const items = (data as { items?: unknown } | null)?.items;
    for (const value of Array.isArray(items) ? items : [data]) {
      const { id, version } = (value ?? {}) as { id?: unknown; version?: unknown };
      if (typeof id !== 'string' || typeof version !== 'number') continue;
      this.versions.set(id, Math.max(version, this.versions.get(id) ?? 0));
    }
  }

  unsubscribe(): void {
    this.closed = true;
    this.onUnsubscribe(this);
  }

  /**
   * Once per id, in offset order: anything at or below what the subscription reflects is a repeat,
   * and so is an event whose entity version is not newer than the one held (its effect is already
   * in the snapshot or an earlier event): it moves the offset but reaches no handler.
   */
  private deliver(event: StreamEvent): void {
    if (this.closed || this.delivered.has(event.id) || event.offset <= this.offset) return;
    this.delivered.set(event.id, true);
    this.offset = event.offset;
    const entity = eventEntity(event);
    if (entity) {
      const known = this.versions.get(entity.id);
      if (known !== undefined && entity.version <= known) return;
      this.versions.set(entity.id, entity.version);
    }
    try {
      this.handler(event);
    } catch (error) {
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
