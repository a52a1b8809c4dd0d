import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { ErrorAck } from '@tandem/contracts';
import { channels } from '@tandem/contracts';
import { clientIp } from '@tandem/platform';
import type { Principal } from '@tandem/security';
import { ChannelAccessService } from '../../delivery/channel-access.service.js';
import { ClientRegistry } from '../../delivery/client-registry.service.js';
import { ConnectionSlots, slotKeys } from '../../delivery/connection-slots.js';
import type { Slot } from '../../delivery/connection-slots.js';
import type { RealtimeSettings } from '../../realtime.config.js';
import { REALTIME_SETTINGS } from '../../realtime.tokens.js';
import { RealtimeMetrics } from '../../ops/realtime.metrics.js';
import { ClientAuthService } from '../client-auth.service.js';
import { MessageLimitsService } from './message-limits.service.js';
import type { RealtimeServer, RealtimeSocket } from './realtime-server.js';
import { SocketSubscriber } from './socket-subscriber.js';

export function errorAck(code: ErrorAck['error']['code'], message: string): ErrorAck {
  return { ok: false, error: { code, message } };
}

interface Handshake {
  ip: string;
  /** Absent for an anonymous socket. */
  identity?: { principal: Principal; token: string };
}

/** connect_error / ack message when a cap is reached (docs/realtime.md, "Limits"). */
const TOO_MANY = 'too_many_connections';

/**
 * A socket's life as a client (docs/realtime.md, "Handshake", "Token lifetime", "Limits"):
 * handshake authentication in `io.use` (before Nest's handleConnection; guards do not cover the
 * connection itself), the connection caps (per user, anonymous per IP: one slot per socket, taken
 * at the handshake or at the `auth` swap that signs an anonymous socket in, released when it goes),
 * registration in the ClientRegistry, the implicit `user:{sub}` subscription, token swaps and the
 * re-authorization of every channel after one, per-message rate limits.
 */
@Injectable()
export class SocketConnectionService {
  /** What the handshake learnt of each socket, until Nest's handleConnection registers it. */
  private readonly handshaken = new WeakMap<RealtimeSocket, Handshake>();
  /** The connection slot each live socket holds, by socket id. */
  private readonly slots = new Map<string, Slot>();

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly registry: ClientRegistry,
    private readonly auth: ClientAuthService,
    private readonly limits: MessageLimitsService,
    private readonly connectionSlots: ConnectionSlots,
    private readonly access: ChannelAccessService,
    private readonly metrics: RealtimeMetrics,
  ) {}

  attach(io: RealtimeServer): void {
    // Socket.IO memory guide: the first HTTP request of each connection would otherwise stay
    // referenced for the connection's lifetime. Keep only the client address, then drop it.
    io.engine.on('connection', (raw: { request: IncomingMessage | null; tandemIp?: string }) => {
      if (raw.request) raw.tandemIp = clientIp(raw.request, this.settings.TRUST_PROXY_HOPS);
      raw.request = null;
    });
    io.use((socket, next) => {
      this.handshake(socket).then(
        () => {
          // A connection that closes before it is registered (no disconnect follows) frees its slot too.
          const release = () => this.releaseSlot(socket.id);
          socket.conn.once('close', release);
          socket.once('disconnect', () => socket.conn.off('close', release));
          next();
        },
        (error: Error) => {
          this.releaseSlot(socket.id);
          next(error);
        },
      );
    });
  }

  /** The registered client of a socket (undefined before handleConnection or after disconnect). */
  clientOf(socket: RealtimeSocket): SocketSubscriber | undefined {
    const client = this.registry.get(socket.id);
    return client instanceof SocketSubscriber ? client : undefined;
  }

  /** No token → anonymous; a token must verify, and its user must be under the connection cap. */
  private async handshake(socket: RealtimeSocket): Promise<void> {
    const ip = (socket.conn as unknown as { tandemIp?: string }).tandemIp ?? socket.conn.remoteAddress;
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === 'object' && auth !== null ? (auth as { token?: unknown }).token : undefined;
    if (token === undefined || token === null) {
      const cap = this.settings.MAX_ANONYMOUS_CONNECTIONS_PER_IP;
      await this.takeSlot(socket.id, slotKeys.anonymousSockets(ip), cap, 'anonymous_ip');
      this.handshaken.set(socket, { ip });
      return;
    }
    const principal = typeof token === 'string' ? await this.auth.verify(token) : undefined;
    if (!principal || typeof token !== 'string') throw new Error('unauthorized');
    await this.takeSlot(socket.id, slotKeys.userSockets(principal.id), this.settings.MAX_CONNECTIONS_PER_USER, 'user');
    this.handshaken.set(socket, { ip, identity: { principal, token } });
  }

  /** Takes the socket's connection slot, or refuses the connection (`too_many_connections`). */
  private async takeSlot(socketId: string, key: string, cap: number, scope: string): Promise<void> {
    const slot = await this.connectionSlots.acquire(key, socketId, cap);
    if (!slot) {
      this.metrics.connectionsRefused.inc({ scope });
      throw new Error(TOO_MANY);
    }
    this.slots.set(socketId, slot);
  }

  /** Gives back the socket's slot (a refused handshake, a disconnect, a move to a user's slot). */
  private releaseSlot(socketId: string): void {
    const slot = this.slots.get(socketId);
    if (!slot) return;
    this.slots.delete(socketId);
    this.connectionSlots.release(slot);
  }

  connected(socket: RealtimeSocket): void {
    const handshake = this.handshaken.get(socket);
    this.handshaken.delete(socket);
    if (!handshake) {
      socket.disconnect(true);
      return;
    }
    const client = new SocketSubscriber(
      socket,
      handshake.ip,
      { seenIds: this.settings.CLIENT_SEEN_IDS, maxBuffered: this.settings.CLIENT_MAX_BUFFERED },
      this.settings.SOCKET_MAX_UNSENT_BYTES,
    );
    client.onShed = () => this.metrics.slowConsumers.inc({ transport: 'socket' });
    client.onConflatedWrite = (count) => this.metrics.eventsEmitted.inc(count);
    this.registry.add(client);
    socket.use((packet, next) => this.limit(client, packet, next));
    if (handshake.identity) {
      const { principal, token } = handshake.identity;
      this.auth.signIn(client, principal, token);
      this.enterUser(client, principal);
    }
  }

  disconnected(socket: RealtimeSocket): void {
    this.releaseSlot(socket.id);
    const client = this.clientOf(socket);
    if (!client) return;
    this.registry.remove(client);
    this.limits.forget(client.id);
  }

  /**
   * `auth {token}`: swaps in a fresh access token for the same user, or signs in an anonymous
   * socket, which then needs a slot under the user's cap like a handshake (docs/contract.md,
   * Realtime: "connections per user (also through `auth` swaps)"). After any successful swap every
   * channel is authorized again with the new token: the ones it may not read are dropped.
   */
  async swapToken(client: SocketSubscriber, token: string): Promise<ErrorAck | undefined> {
    const principal = await this.auth.verify(token);
    if (!principal) return errorAck('unauthorized', 'the token is not valid');
    if (client.principal && client.principal.id !== principal.id) {
      return errorAck('unauthorized', 'the token is for another user');
    }
    const signingIn = !client.principal;
    let slot: Slot | undefined;
    if (signingIn) {
      const key = slotKeys.userSockets(principal.id);
      slot = await this.connectionSlots.acquire(key, client.id, this.settings.MAX_CONNECTIONS_PER_USER);
      if (!slot) {
        this.metrics.connectionsRefused.inc({ scope: 'user' });
        return errorAck('rate_limited', `${TOO_MANY}: this user has too many connections`);
      }
    }
    if (this.registry.get(client.id) !== client || this.auth.signIn(client, principal, token) !== 'ok') {
      // Gone while the slot was taken, or a parallel swap signed it in as someone else.
      if (slot) this.connectionSlots.release(slot);
      return errorAck('unauthorized', 'the token is for another user');
    }
    // Moves from the IP's anonymous slot to the user's; a parallel swap that already moved it keeps it.
    const previous = this.slots.get(client.id);
    if (slot && previous?.key !== slot.key) {
      if (previous) this.connectionSlots.release(previous);
      this.slots.set(client.id, slot);
    }
    this.enterUser(client, principal);
    await this.reauthorize(client);
    return undefined;
  }

  /** Drops every channel the client's current identity may no longer read (an admin token swapped for a customer's). */
  private async reauthorize(client: SocketSubscriber): Promise<void> {
    for (const channel of [...client.channels]) {
      const decision = await this.access.check(channel, client.principal, client.token);
      if (!decision.ok) this.registry.leave(client, channel);
    }
  }

  /** An authenticated socket is joined to `user:{sub}` at once (docs/contract.md, Realtime). */
  private enterUser(client: SocketSubscriber, principal: Principal): void {
    this.registry.join(client, channels.user(principal.id));
  }

  private limit(client: SocketSubscriber, packet: unknown[], next: (error?: Error) => void): void {
    // Acks (an `rpc` answer can be large) queue like events: a client that sends without reading
    // is measured here, before its next message is handled (docs/realtime.md, "Slow consumers").
    client.keepUp();
    if (client.shedding) return;
    this.limits.consume(client.id, client.ip).then(
      (outcome) => {
        if (outcome === 'ok') return next();
        if (outcome === 'abuse') return client.close();
        const ack = packet[packet.length - 1];
        if (typeof ack === 'function') ack(errorAck('rate_limited', 'too many messages; slow down'));
      },
      () => next(),
    );
  }
}
