import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { CONTROL_EVENT_TYPES, EVENT_TYPES, RESYNC_EVENT, SESSION_EXPIRED_EVENT } from '@tandem/contracts';
import type {
  AnyEnvelope,
  Channel,
  ClientToServerEvents,
  ServerToClientEvents,
  SubscribeRequest,
} from '@tandem/contracts';
import { Backoff } from './backoff.js';
import { API_PREFIX } from './http.js';
import type { FetchLike } from './http.js';
import { TandemSocketError } from './errors.js';
import { EventStreamError, readEventStream } from './sse.js';

/** The gateway's socket, typed by the contract's event maps (docs/contract.md, Realtime). */
export type TandemSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the live layer needs from a transport; implemented over Socket.IO and over SSE. */
export interface TransportEvents {
  /** Connected (again): every channel must be (re)subscribed. */
  onConnected(): void;
  onDisconnected(reason: string): void;
  /** An envelope as received: not validated yet (the SSE stream is plain JSON). */
  onEnvelope(envelope: unknown): void;
  onResync(channels: string[]): void;
  /** The server says the token is bad or expired: refresh it. */
  onUnauthorized(): void;
  /** The WebSocket could not connect at all: switch to SSE. */
  onWebSocketBlocked?(): void;
}

export interface Transport {
  readonly kind: 'websocket' | 'sse';
  readonly connected: boolean;
  /** `conflate`: the gateway's conflation window for the channel (ms), or none. */
  subscribe(channel: Channel, since: number | undefined, conflate?: number): Promise<{ recovered: boolean }>;
  unsubscribe(channel: Channel): void;
  /** A new access token: swapped on the live connection (socket) or by reopening the stream (SSE). */
  tokenChanged(): void;
  close(): void;
}

export interface TransportOptions {
  baseUrl: string;
  token: () => Promise<string | null>;
  events: TransportEvents;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

const ACK_TIMEOUT_MS = 10_000;

/** The channels of a `resync` notice; a malformed one names none. */
function resyncChannels(notice: unknown): string[] {
  const channels = (notice as { channels?: unknown } | null)?.channels;
  return Array.isArray(channels) ? channels.filter((c): c is string => typeof c === 'string') : [];
}

/** Socket.IO over WebSocket only (no long-polling: no sticky sessions needed behind a balancer). */
export class SocketTransport implements Transport {
  readonly kind = 'websocket';
  private readonly socket: TandemSocket;
  private readonly backoff: Backoff;
  private everConnected = false;
  private failures = 0;
  private closed = false;
  private retryTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly options: TransportOptions,
    private readonly attemptsBeforeFallback: number,
  ) {
    this.backoff = new Backoff(options.reconnectMinMs, options.reconnectMaxMs);
    const socketOptions = {
      transports: ['websocket'],
      // Called before every (re)connection: always the current token (refreshed when due).
      auth: (cb: (data: object) => void) => {
        void options.token().then(
          (token) => cb(token ? { token } : {}),
          () => cb({}),
        );
      },
      // Socket.IO's own reconnection: exponential with ±50 % jitter.
      reconnectionDelay: options.reconnectMinMs,
      reconnectionDelayMax: options.reconnectMaxMs,
      randomizationFactor: 0.5,
      timeout: 5000,
    };
    this.socket = options.baseUrl ? io(options.baseUrl, socketOptions) : io(socketOptions);
    const { events } = options;
    this.socket.on('connect', () => {
      this.everConnected = true;
      this.failures = 0;
      this.backoff.reset();
      events.onConnected();
    });
    this.socket.on('connect_error', (error: Error) => {
      if (error.message === 'unauthorized') {
        events.onUnauthorized();
        return;
      }
      this.failures += 1;
      if (!this.everConnected && this.failures >= this.attemptsBeforeFallback && events.onWebSocketBlocked) {
        events.onWebSocketBlocked();
      }
    });
    this.socket.on('disconnect', (reason: string) => {
      events.onDisconnected(reason);
      // The server closed it (token expired, session revoked, drain): Socket.IO does not retry
      // those by itself. Come back after a jittered delay, with a fresh token.
      if (reason === 'io server disconnect' && !this.closed) {
        this.retryTimer = setTimeout(() => this.socket.connect(), this.backoff.next());
      }
    });
    this.socket.on(SESSION_EXPIRED_EVENT, () => events.onUnauthorized());
    this.socket.on(RESYNC_EVENT, (notice) => events.onResync(resyncChannels(notice)));
    const onEnvelope = (envelope: AnyEnvelope) => events.onEnvelope(envelope);
    for (const type of [...EVENT_TYPES, ...CONTROL_EVENT_TYPES]) this.socket.on(type, onEnvelope);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** For tests and diagnostics: the underlying Socket.IO socket. */
  get raw(): TandemSocket {
    return this.socket;
  }

  async subscribe(channel: Channel, since: number | undefined, conflate?: number): Promise<{ recovered: boolean }> {
    const request: SubscribeRequest = { channel };
    if (since !== undefined) request.since = since;
    if (conflate !== undefined) request.conflate = conflate;
    const ack = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe', request);
    if (!ack.ok) throw new TandemSocketError(ack.error);
    return { recovered: ack.recovered };
  }

  unsubscribe(channel: Channel): void {
    if (this.socket.connected) this.socket.emit('unsubscribe', { channel }, () => undefined);
  }

  tokenChanged(): void {
    if (!this.socket.connected) return;
    void this.options.token().then(async (token) => {
      if (!token) {
        // Logged out: reconnect anonymously (private channels end with forbidden).
        this.socket.disconnect().connect();
        return;
      }
      const ack = await this.socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck('auth', { token })
        .catch(() => ({ ok: false }) as const);
      // A refused swap: reconnect, the handshake carries the fresh token.
      if (!ack.ok) this.socket.disconnect().connect();
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}

/**
 * The contract's SSE fallback: one stream for every subscribed channel. Adding a channel reopens
 * it with `Last-Event-ID` (one offset resumes any set of channels; the live layer drops what it has
 * already delivered), and so does a new access token (a stream is bound to the token it opened with).
 * A stream has one `conflate` for all its channels: the shortest window asked, and only when every
 * channel asked for one (docs/client-sdk.md, "Conflation").
 */
export class SseTransport implements Transport {
  readonly kind = 'sse';
  /** Subscribed channels and the conflation window each asked for. */
  private readonly channels = new Map<Channel, number | undefined>();
  private readonly backoff: Backoff;
  private abort?: AbortController;
  private ready?: { promise: Promise<void>; resolve: () => void };
  private reopenTimer?: ReturnType<typeof setTimeout>;
  private isConnected = false;
  private closed = false;

  constructor(
    private readonly options: TransportOptions,
    private readonly fetchImpl: FetchLike,
    /** The offset to resume from (the lowest any subscription needs); undefined: live only. */
    private readonly resumeOffset: () => number | undefined,
  ) {
    this.backoff = new Backoff(options.reconnectMinMs, options.reconnectMaxMs);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async subscribe(channel: Channel, _since?: number, conflate?: number): Promise<{ recovered: boolean }> {
    const known = this.channels.has(channel) && this.isConnected && this.channels.get(channel) === conflate;
    this.channels.set(channel, conflate);
    if (known) return { recovered: true };
    this.scheduleReopen(0);
    await this.ready!.promise;
    // Lost history arrives as a `resync` event on the stream.
    return { recovered: true };
  }

  unsubscribe(channel: Channel): void {
    if (this.channels.delete(channel)) this.scheduleReopen(0);
  }

  tokenChanged(): void {
    if (this.channels.size > 0) this.scheduleReopen(0);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.abort?.abort();
  }

  private scheduleReopen(delayMs: number): void {
    if (this.closed) return;
    if (!this.ready) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.ready = { promise, resolve };
    }
    clearTimeout(this.reopenTimer);
    // Coalesces the burst of subscriptions a page makes at start into one request.
    this.reopenTimer = setTimeout(() => void this.open(), delayMs || 20);
  }

  private async open(): Promise<void> {
    this.abort?.abort();
    if (this.channels.size === 0) return;
    const abort = new AbortController();
    this.abort = abort;
    const wasConnected = this.isConnected;
    this.isConnected = false;
    if (wasConnected) this.options.events.onDisconnected('stream reopened');
    const headers: Record<string, string> = {};
    const token = await this.options.token().catch(() => null);
    if (token) headers['Authorization'] = `Bearer ${token}`;
    const since = this.resumeOffset();
    if (since !== undefined) headers['Last-Event-ID'] = String(since);
    const windows = [...this.channels.values()];
    const conflate = windows.every((ms) => ms !== undefined) ? `&conflate=${Math.min(...windows)}` : '';
    const url = `${this.options.baseUrl}${API_PREFIX}/stream?channels=${encodeURIComponent([...this.channels.keys()].join(','))}${conflate}`;
    try {
      await readEventStream(this.fetchImpl, url, headers, abort.signal, {
        onComment: (text) => {
          if (text !== 'ok') return;
          this.isConnected = true;
          this.backoff.reset();
          const ready = this.ready;
          this.ready = undefined;
          this.options.events.onConnected();
          ready?.resolve();
        },
        onMessage: (message) => {
          let payload: unknown;
          try {
            payload = JSON.parse(message.data);
          } catch {
            return; // A malformed message is skipped, not fatal.
          }
          if (message.event === RESYNC_EVENT) this.options.events.onResync(resyncChannels(payload));
          else this.options.events.onEnvelope(payload);
        },
      });
    } catch (error) {
      if (abort.signal.aborted) return;
      if (error instanceof EventStreamError && error.status === 401) this.options.events.onUnauthorized();
    }
    if (abort.signal.aborted || this.closed) return;
    // The server ended the stream (token expiry, drain) or the network failed: resume after a
    // jittered delay from the last offset delivered.
    this.isConnected = false;
    this.options.events.onDisconnected('stream ended');
    this.scheduleReopen(this.backoff.next());
  }
}
