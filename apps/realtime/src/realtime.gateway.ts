import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { OkAck, RpcResponse, SubscribeAck } from '@tandem/contracts';
import { ChannelAccess } from './channel-access.js';
import { CommerceClient, parseRpcRequest, RpcValidationError } from './commerce.client.js';
import { FanoutService } from './fanout.service.js';
import { REALTIME_SETTINGS } from './realtime.tokens.js';
import type { RealtimeSettings } from './realtime.config.js';
import { SocketScaleOut } from './socket-scale-out.js';
import { errorAck, SocketSessions } from './socket-sessions.service.js';
import { SubscriptionService } from './subscriptions.service.js';
import { Inject } from '@nestjs/common';

function parseSubscribe(body: unknown): { channel: unknown; since?: number } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { channel, since, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) return undefined;
  return { channel, since: since as number | undefined };
}

/**
 * The Socket.IO face of the gateway (contract: Realtime): validates each message, delegates, and
 * answers with the contract's acks. A handler never throws to Nest: every failure is an error ack.
 * Server options (Origin check, message size) come from RealtimeIoAdapter.
 */
@WebSocketGateway()
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('realtime:gateway');
  @WebSocketServer() io!: Server;

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly sessions: SocketSessions,
    private readonly subscriptions: SubscriptionService,
    private readonly access: ChannelAccess,
    private readonly fanout: FanoutService,
    private readonly scaleOut: SocketScaleOut,
    private readonly commerce: CommerceClient,
  ) {}

  afterInit(io: Server): void {
    const clustered = this.scaleOut.attach(io);
    this.fanout.attach(io, clustered);
    this.sessions.attach(io);
  }

  handleConnection(socket: Socket): void {
    this.sessions.connected(socket);
  }

  handleDisconnect(socket: Socket): void {
    this.sessions.disconnected(socket);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscribeAck> {
    const subscriber = this.sessions.get(socket);
    if (!subscriber) return errorAck('unauthorized', 'not connected');
    const request = parseSubscribe(body);
    if (!request) return errorAck('invalid_request', 'expected { channel, since? } with since a non-negative integer');
    try {
      const decision = await this.access.check(request.channel, subscriber.principal, subscriber.token);
      if (!decision.ok) return errorAck(decision.code, decision.message);
      const { channel } = decision;
      if (!subscriber.channels.has(channel) && subscriber.channels.size >= this.settings.MAX_SUBSCRIPTIONS_PER_SOCKET) {
        return errorAck('invalid_request', 'too many subscriptions on this connection');
      }
      const recovered = await this.subscriptions.subscribe(subscriber, channel, request.since, () => {
        void socket.join(channel);
      });
      return { ok: true, recovered };
    } catch (error) {
      this.logger.warn(`subscribe failed: ${(error as Error).message}`);
      return errorAck('internal', 'subscription failed; try again');
    }
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): OkAck {
    const subscriber = this.sessions.get(socket);
    if (!subscriber) return errorAck('unauthorized', 'not connected');
    const request = parseSubscribe(body);
    if (!request || request.since !== undefined || typeof request.channel !== 'string') {
      return errorAck('invalid_request', 'expected { channel }');
    }
    const channel = request.channel;
    if (subscriber.channels.has(channel)) {
      this.subscriptions.unsubscribe(subscriber, channel, () => void socket.leave(channel));
    }
    return { ok: true };
  }

  @SubscribeMessage('auth')
  async auth(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<OkAck> {
    const subscriber = this.sessions.get(socket);
    if (!subscriber) return errorAck('unauthorized', 'not connected');
    try {
      return await this.sessions.swapToken(subscriber, body);
    } catch (error) {
      this.logger.warn(`auth swap failed: ${(error as Error).message}`);
      return errorAck('internal', 'token swap failed; try again');
    }
  }

  @SubscribeMessage('rpc')
  async rpc(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<RpcResponse | OkAck> {
    const subscriber = this.sessions.get(socket);
    if (!subscriber) return errorAck('unauthorized', 'not connected');
    try {
      return await this.commerce.call(parseRpcRequest(body), subscriber.token);
    } catch (error) {
      if (error instanceof RpcValidationError) return errorAck('invalid_request', error.message);
      this.logger.warn(`rpc failed: ${(error as Error).message}`);
      return { status: 502, headers: {}, body: null };
    }
  }
}
