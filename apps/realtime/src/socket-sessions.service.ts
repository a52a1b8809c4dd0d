import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import { SESSION_EXPIRED_EVENT } from '@tandem/contracts';
import type { ErrorAck, OkAck } from '@tandem/contracts';
import { AccessTokenVerifier, InvalidTokenError, principalFrom } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { clientIp } from './client-ip.js';
import { FanoutService, sessionRoom } from './fanout.service.js';
import { MessageLimits } from './message-limits.js';
import { REALTIME_SETTINGS } from './realtime.tokens.js';
import type { RealtimeSettings } from './realtime.config.js';
import { RealtimeMetrics } from './realtime.metrics.js';
import { SocketSubscriber } from './socket-subscriber.js';
import { SubscriptionService } from './subscriptions.service.js';

export const userRoom = (userId: string) => `user:${userId}`;
/** Longest timer Node accepts; tokens live minutes, so this only guards against odd `exp` values. */
const MAX_TIMER_MS = 2_147_483_647;

interface Handshake {
  principal?: Principal;
  token?: string;
  ip: string;
}

export function errorAck(code: ErrorAck['error']['code'], message: string): ErrorAck {
  return { ok: false, error: { code, message } };
}

/**
 * Connection lifecycle (issue 4 §1): handshake authentication in `io.use` (before Nest's
 * handleConnection; guards do not cover the connection itself), per-user connection cap, the
 * user and session rooms, token expiry, in-band token swap, per-message rate limits.
 */
@Injectable()
export class SocketSessions {
  private readonly logger = new Logger('realtime:sessions');
  private readonly pending = new WeakMap<Socket, Handshake>();
  private readonly subscribers = new Map<string, SocketSubscriber>();
  private io?: Server;
  /** Set on shutdown: new connections are refused while the others drain. */
  draining = false;

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly verifier: AccessTokenVerifier,
    private readonly fanout: FanoutService,
    private readonly subscriptions: SubscriptionService,
    private readonly limits: MessageLimits,
    private readonly metrics: RealtimeMetrics,
  ) {}

  attach(io: Server): void {
    this.io = io;
    // Socket.IO memory guide: the first HTTP request of each connection would otherwise stay
    // referenced for the connection's lifetime. Keep only the client address, then drop it.
    io.engine.on('connection', (raw: { request: unknown; tandemIp?: string }) => {
      raw.tandemIp = clientIp(raw.request as never, this.settings.TRUST_PROXY_HOPS);
      raw.request = null;
    });
    io.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: Error) => next(error),
      );
    });
  }

  get(socket: Socket): SocketSubscriber | undefined {
    return this.subscribers.get(socket.id);
  }

  all(): SocketSubscriber[] {
    return [...this.subscribers.values()];
  }

  private async authenticate(socket: Socket): Promise<void> {
    if (this.draining) throw new Error('unavailable');
    const ip = (socket.conn as unknown as { tandemIp?: string }).tandemIp ?? socket.conn.remoteAddress;
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>)['token'] : undefined;
    if (token === undefined || token === null) {
      this.pending.set(socket, { ip });
      return;
    }
    const principal = await this.verify(token);
    if (!principal) throw new Error('unauthorized');
    if ((await this.connectionCount(principal.id)) >= this.settings.MAX_CONNECTIONS_PER_USER) {
      throw new Error('too_many_connections');
    }
    this.pending.set(socket, { principal, token: token as string, ip });
  }

  private async verify(token: unknown): Promise<Principal | undefined> {
    if (typeof token !== 'string') return undefined;
    try {
      return principalFrom(await this.verifier.verify(token));
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) this.logger.warn(`token check failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Sockets of a user on every replica (the Redis adapter asks them); local count if that fails. */
  private async connectionCount(userId: string): Promise<number> {
    const io = this.io!;
    try {
      return (await io.in(userRoom(userId)).fetchSockets()).length;
    } catch {
      return io.of('/').adapter.rooms.get(userRoom(userId))?.size ?? 0;
    }
  }

  connected(socket: Socket): void {
    const handshake = this.pending.get(socket);
    this.pending.delete(socket);
    if (!handshake) {
      socket.disconnect(true);
      return;
    }
    const subscriber = new SocketSubscriber(socket, handshake.principal, handshake.token, handshake.ip);
    this.subscribers.set(socket.id, subscriber);
    this.fanout.addSocket(subscriber);
    this.metrics.connectedSockets.inc();
    socket.use((packet, next) => this.limit(subscriber, packet, next));
    if (subscriber.principal) this.enterSession(subscriber, subscriber.principal);
  }

  disconnected(socket: Socket): void {
    const subscriber = this.subscribers.get(socket.id);
    if (!subscriber) return;
    this.subscribers.delete(socket.id);
    this.fanout.removeSocket(socket.id);
    this.subscriptions.forget(subscriber);
    this.limits.forget(socket.id);
    clearTimeout(subscriber.expiry);
    this.metrics.connectedSockets.dec();
  }

  /** `auth {token}`: swaps in a fresh access token for the same user (or signs in an anonymous socket). */
  async swapToken(subscriber: SocketSubscriber, body: unknown): Promise<OkAck> {
    const token = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['token'] : undefined;
    if (typeof token !== 'string') return errorAck('invalid_request', 'token must be a string');
    const principal = await this.verify(token);
    if (!principal) return errorAck('unauthorized', 'the token is not valid');
    const previous = subscriber.principal;
    if (previous && previous.id !== principal.id) return errorAck('unauthorized', 'the token is for another user');
    if (previous && previous.sid !== principal.sid) void subscriber.socket.leave(sessionRoom(previous.sid));
    subscriber.principal = principal;
    subscriber.token = token;
    this.enterSession(subscriber, principal);
    return { ok: true };
  }

  private enterSession(subscriber: SocketSubscriber, principal: Principal): void {
    const room = userRoom(principal.id);
    void subscriber.socket.join([room, sessionRoom(principal.sid)]);
    if (!subscriber.channels.has(room)) {
      subscriber.channels.add(room);
      this.metrics.subscriptions.inc();
    }
    clearTimeout(subscriber.expiry);
    const ms = Math.min(Math.max(principal.exp * 1000 - Date.now(), 0), MAX_TIMER_MS);
    subscriber.expiry = setTimeout(() => {
      subscriber.socket.emit(SESSION_EXPIRED_EVENT, { reason: 'the access token expired' });
      subscriber.socket.disconnect(true);
    }, ms);
    subscriber.expiry.unref();
  }

  private limit(subscriber: SocketSubscriber, packet: unknown[], next: (error?: Error) => void): void {
    this.limits.consume(subscriber.id, subscriber.ip).then(
      (outcome) => {
        if (outcome === 'ok') return next();
        const ack = packet[packet.length - 1];
        if (outcome === 'abuse') {
          subscriber.socket.disconnect(true);
          return;
        }
        if (typeof ack === 'function') ack(errorAck('rate_limited', 'too many messages; slow down'));
      },
      () => next(),
    );
  }
}
