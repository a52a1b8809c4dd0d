import { Inject, Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit } from '@nestjs/websockets';
import { channels } from '@tandem/contracts';
import type { ErrorAck, OkAck, RpcResponse, SubscribeAck } from '@tandem/contracts';
import { CommercePort } from '../../commerce/commerce.port.js';
import { ChannelAccessService } from '../../delivery/channel-access.service.js';
import { ClientRegistry } from '../../delivery/client-registry.service.js';
import { FanoutService } from '../../delivery/fanout.service.js';
import { SubscriptionService } from '../../delivery/subscription.service.js';
import type { RealtimeSettings } from '../../realtime.config.js';
import { REALTIME_SETTINGS } from '../../realtime.tokens.js';
import type { RealtimeServer, RealtimeSocket } from './realtime-server.js';
import { MessageLimitsService } from './message-limits.service.js';
import { forwardedHeaders, isForwardablePath } from './rpc-policy.js';
import { errorAck, SocketConnectionService } from './socket-connection.service.js';
import { SocketScaleOutService } from './socket-scale-out.service.js';
import { AuthPayload, RpcPayload, SubscribePayload, UnsubscribePayload, validatePayload } from './socket-payloads.js';
import type { SocketSubscriber } from './socket-subscriber.js';

/**
 * The Socket.IO face of the gateway (docs/contract.md, Realtime): validates each message against
 * its schema, delegates, and answers with the contract's acks. A handler never throws to Nest:
 * every failure is an error ack. Server options (Origin check, message size) come from
 * RealtimeIoAdapter.
 */
@WebSocketGateway()
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('realtime:gateway');
  @WebSocketServer() io!: RealtimeServer;

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly connections: SocketConnectionService,
    private readonly registry: ClientRegistry,
    private readonly subscriptions: SubscriptionService,
    private readonly access: ChannelAccessService,
    private readonly fanout: FanoutService,
    private readonly scaleOut: SocketScaleOutService,
    private readonly commerce: CommercePort,
    private readonly limits: MessageLimitsService,
  ) {}

  afterInit(io: RealtimeServer): void {
    this.fanout.attach(io, this.scaleOut.attach(io));
    this.connections.attach(io);
  }

  handleConnection(socket: RealtimeSocket): void {
    this.connections.connected(socket);
  }

  handleDisconnect(socket: RealtimeSocket): void {
    this.connections.disconnected(socket);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    const client = this.connections.clientOf(socket);
    if (!client) return notConnected();
    const request = validatePayload(SubscribePayload, body);
    if (!request.ok) return errorAck('invalid_request', request.message);
    const { channel: name, since, conflate } = request.payload;
    try {
      const decision = await this.access.check(name, client.principal, client.token);
      if (!decision.ok) return errorAck(decision.code, decision.message);
      const { channel } = decision;
      const held = client.channels.has(channel);
      // Held, and already replayed from `since` or earlier: every later event has been delivered,
      // so nothing is replayed again (docs/contract.md, Realtime) and no history is read.
      const from = held ? client.replayedFrom.get(channel) : undefined;
      // A re-subscribe sets the channel's conflation anew (absent = off).
      if (held) client.conflateChannel(channel, conflate);
      if (held && (since === undefined || (from !== undefined && since >= from))) return { ok: true, recovered: true };
      if (!held && client.channels.size >= this.settings.MAX_SUBSCRIPTIONS_PER_SOCKET) {
        return errorAck('invalid_request', 'too many subscriptions on this connection');
      }
      if (since !== undefined && !(await this.limits.consumeReplay(client.id))) {
        return errorAck('rate_limited', 'too many replays; subscribe without since or slow down');
      }
      const recovered = await this.subscriptions.subscribe(client, channel, since, conflate);
      if (recovered && since !== undefined) client.replayedFrom.set(channel, Math.min(since, from ?? since));
      return { ok: true, recovered };
    } catch (error) {
      this.logger.warn(`subscribe failed: ${(error as Error).message}`);
      return errorAck('internal', 'subscription failed; try again');
    }
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown): OkAck {
    const client = this.connections.clientOf(socket);
    if (!client) return notConnected();
    const request = validatePayload(UnsubscribePayload, body);
    if (!request.ok) return errorAck('invalid_request', request.message);
    // `user:{sub}` cannot be left (docs/contract.md, Realtime).
    if (!this.isOwnUserChannel(client, request.payload.channel)) {
      this.registry.leave(client, request.payload.channel);
      client.replayedFrom.delete(request.payload.channel);
    }
    return { ok: true };
  }

  @SubscribeMessage('auth')
  async auth(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown): Promise<OkAck> {
    const client = this.connections.clientOf(socket);
    if (!client) return notConnected();
    const request = validatePayload(AuthPayload, body);
    if (!request.ok) return errorAck('invalid_request', request.message);
    try {
      return (await this.connections.swapToken(client, request.payload.token)) ?? { ok: true };
    } catch (error) {
      this.logger.warn(`auth swap failed: ${(error as Error).message}`);
      return errorAck('internal', 'token swap failed; try again');
    }
  }

  @SubscribeMessage('rpc')
  async rpc(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown): Promise<RpcResponse | ErrorAck> {
    const client = this.connections.clientOf(socket);
    if (!client) return notConnected();
    const request = validatePayload(RpcPayload, body);
    if (!request.ok) return errorAck('invalid_request', request.message);
    const { method, path, body: payload, headers } = request.payload;
    if (!isForwardablePath(path)) return { status: 404, headers: {}, body: null };
    const hasBody = payload !== undefined && method !== 'GET';
    if (hasBody && Buffer.byteLength(JSON.stringify(payload) ?? '') > this.settings.RPC_MAX_BODY_BYTES) {
      return { status: 413, headers: {}, body: null };
    }
    try {
      return await this.commerce.call(
        { method, path, body: hasBody ? payload : undefined, headers: forwardedHeaders(headers, client.ip) },
        client.token,
      );
    } catch (error) {
      this.logger.warn(`rpc failed: ${(error as Error).message}`);
      return { status: 502, headers: {}, body: null };
    }
  }

  private isOwnUserChannel(client: SocketSubscriber, channel: string): boolean {
    return client.principal !== undefined && channel === channels.user(client.principal.id);
  }
}

function notConnected(): ErrorAck {
  return errorAck('unauthorized', 'not connected');
}
