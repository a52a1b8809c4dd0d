import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { ErrorAck } from '@tandem/contracts';
import { channels } from '@tandem/contracts';
import { clientIp } from '@tandem/platform';
import type { Principal } from '@tandem/security';
import { ClientRegistry } from '../../delivery/client-registry.service.js';
import type { RealtimeSettings } from '../../realtime.config.js';
import { REALTIME_SETTINGS } from '../../realtime.tokens.js';
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

/** Socket.IO room of a user's sockets on every replica: the Redis adapter counts them cluster-wide. */
const userRoom = (userId: string) => `user:${userId}`;

/**
 * A socket's life as a client (docs/realtime.md, "Handshake", "Token lifetime"): handshake
 * authentication in `io.use` (before Nest's handleConnection; guards do not cover the connection
 * itself), the per-user connection cap, registration in the ClientRegistry, the implicit
 * `user:{sub}` subscription, token swaps, per-message rate limits.
 */
@Injectable()
export class SocketConnectionService {
  /** What the handshake learnt of each socket, until Nest's handleConnection registers it. */
  private readonly handshaken = new WeakMap<RealtimeSocket, Handshake>();
  private io?: RealtimeServer;

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly registry: ClientRegistry,
    private readonly auth: ClientAuthService,
    private readonly limits: MessageLimitsService,
  ) {}

  attach(io: RealtimeServer): void {
    this.io = io;
    // Socket.IO memory guide: the first HTTP request of each connection would otherwise stay
    // referenced for the connection's lifetime. Keep only the client address, then drop it.
    io.engine.on('connection', (raw: { request: IncomingMessage | null; tandemIp?: string }) => {
      if (raw.request) raw.tandemIp = clientIp(raw.request, this.settings.TRUST_PROXY_HOPS);
      raw.request = null;
    });
    io.use((socket, next) => {
      this.handshake(socket).then(
        () => next(),
        (error: Error) => next(error),
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
      this.handshaken.set(socket, { ip });
      return;
    }
    const principal = typeof token === 'string' ? await this.auth.verify(token) : undefined;
    if (!principal || typeof token !== 'string') throw new Error('unauthorized');
    if (await this.overCap(principal)) throw new Error('too_many_connections');
    this.handshaken.set(socket, { ip, identity: { principal, token } });
  }

  connected(socket: RealtimeSocket): void {
    const handshake = this.handshaken.get(socket);
    this.handshaken.delete(socket);
    if (!handshake) {
      socket.disconnect(true);
      return;
    }
    const client = new SocketSubscriber(socket, handshake.ip, {
      seenIds: this.settings.CLIENT_SEEN_IDS,
      maxBuffered: this.settings.CLIENT_MAX_BUFFERED,
    });
    this.registry.add(client);
    socket.use((packet, next) => this.limit(client, packet, next));
    if (handshake.identity) {
      const { principal, token } = handshake.identity;
      this.auth.signIn(client, principal, token);
      this.enterUser(client, principal);
    }
  }

  disconnected(socket: RealtimeSocket): void {
    const client = this.clientOf(socket);
    if (!client) return;
    this.registry.remove(client);
    this.limits.forget(client.id);
  }

  /** `auth {token}`: swaps in a fresh access token for the same user (or signs in an anonymous socket). */
  async swapToken(client: SocketSubscriber, token: string): Promise<ErrorAck | undefined> {
    const principal = await this.auth.verify(token);
    if (!principal) return errorAck('unauthorized', 'the token is not valid');
    if (this.auth.signIn(client, principal, token) === 'other_user') {
      return errorAck('unauthorized', 'the token is for another user');
    }
    this.enterUser(client, principal);
    return undefined;
  }

  /** An authenticated socket is joined to `user:{sub}` at once (docs/contract.md, Realtime). */
  private enterUser(client: SocketSubscriber, principal: Principal): void {
    void client.socket.join(userRoom(principal.id));
    this.registry.join(client, channels.user(principal.id));
  }

  /** Sockets of the user: on every replica through the Redis adapter, else (or if that fails) here. */
  private async overCap(principal: Principal): Promise<boolean> {
    let count = this.registry.socketsOfUser(principal.id);
    try {
      if (this.io) count = Math.max(count, (await this.io.in(userRoom(principal.id)).fetchSockets()).length);
    } catch {
      // the other replicas did not answer in time: the local count still applies
    }
    return count >= this.settings.MAX_CONNECTIONS_PER_USER;
  }

  private limit(client: SocketSubscriber, packet: unknown[], next: (error?: Error) => void): void {
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
