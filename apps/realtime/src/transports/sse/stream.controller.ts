import { randomUUID } from 'node:crypto';
import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RESYNC_EVENT } from '@tandem/contracts';
import { clientIp, Problems } from '@tandem/platform';
import { bearerToken } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { ChannelAccessService } from '../../delivery/channel-access.service.js';
import { ClientRegistry } from '../../delivery/client-registry.service.js';
import { ConnectionSlots, slotKeys } from '../../delivery/connection-slots.js';
import type { Slot } from '../../delivery/connection-slots.js';
import { RealtimeMetrics } from '../../ops/realtime.metrics.js';
import { SubscriptionService } from '../../delivery/subscription.service.js';
import type { RealtimeSettings } from '../../realtime.config.js';
import { REALTIME_SETTINGS } from '../../realtime.tokens.js';
import { ClientAuthService } from '../client-auth.service.js';
import { MessageLimitsService } from '../socket/message-limits.service.js';
import { SseSubscriber } from './sse-subscriber.js';
import { parseStreamRequest } from './stream-request.js';

/**
 * Server-Sent Events fallback (docs/contract.md, SSE): same auth and channel rules as the socket,
 * `: ok` once subscribed, `Last-Event-ID` resumes like `since`, heartbeat comments. Requests per
 * IP are rate-limited and open streams per IP capped (docs/realtime.md, "Limits").
 */
@Controller('api/v1/stream')
export class StreamController {
  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly registry: ClientRegistry,
    private readonly auth: ClientAuthService,
    private readonly access: ChannelAccessService,
    private readonly subscriptions: SubscriptionService,
    private readonly limits: MessageLimitsService,
    private readonly slots: ConnectionSlots,
    private readonly metrics: RealtimeMetrics,
  ) {}

  @Get()
  async stream(
    @Req() req: Request,
    @Res() res: Response,
    @Query('channels') channelsParam: unknown,
    @Query('conflate') conflateParam: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Promise<void> {
    if (!this.registry.accepting) throw Problems.unavailable('The gateway is shutting down; reconnect');
    const ip = clientIp(req, this.settings.TRUST_PROXY_HOPS);
    const retryAfter = await this.limits.consumeSseRequest(ip);
    if (retryAfter !== undefined)
      throw Problems.tooManyRequests(retryAfter, 'Too many stream requests; try again later');
    const request = parseStreamRequest(channelsParam, lastEventId, this.settings.SSE_MAX_CHANNELS, conflateParam);
    if ('title' in request) {
      throw Problems.badRequest(request.title, [{ field: request.field, message: request.message }]);
    }
    const { principal, token } = await this.authenticate(authorization);
    const channels: string[] = [];
    for (const name of request.names) {
      const decision = await this.access.check(name, principal, token);
      if (decision.ok) {
        channels.push(decision.channel);
        continue;
      }
      if (decision.code === 'invalid_channel') {
        throw Problems.badRequest(`${name.slice(0, 64)} is not a channel`, [
          { field: 'channels', message: `unknown channel ${name.slice(0, 64)}` },
        ]);
      }
      throw principal ? Problems.forbidden('This channel is private') : Problems.unauthorized();
    }
    const id = randomUUID();
    const slot = await this.slots.acquire(slotKeys.sseStreams(ip), id, this.settings.MAX_SSE_STREAMS_PER_IP);
    if (!slot) {
      this.metrics.connectionsRefused.inc({ scope: 'sse_ip' });
      throw Problems.tooManyRequests(
        Math.ceil(this.settings.SSE_HEARTBEAT_MS / 1000),
        'Too many open streams from this address',
      );
    }
    const identity = principal && token ? { principal, token } : undefined;
    this.open(req, res, { id, ip, slot }, channels, request, identity);
  }

  private async authenticate(header: string | undefined): Promise<{ principal?: Principal; token?: string }> {
    if (header === undefined) return {};
    const token = bearerToken(header);
    if (!token) throw Problems.unauthorized();
    const principal = await this.auth.verify(token);
    if (!principal) throw Problems.unauthorized('The access token is not valid');
    return { principal, token };
  }

  private open(
    req: Request,
    res: Response,
    stream: { id: string; ip: string; slot: Slot },
    channels: string[],
    { since, conflate }: { since?: number; conflate?: number },
    identity: { principal: Principal; token: string } | undefined,
  ): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
    });
    const client = new SseSubscriber(
      stream.id,
      stream.ip,
      { seenIds: this.settings.CLIENT_SEEN_IDS, maxBuffered: this.settings.CLIENT_MAX_BUFFERED },
      res,
      this.settings.SSE_MAX_UNSENT_BYTES,
    );
    this.registry.add(client);
    if (identity) this.auth.signIn(client, identity.principal, identity.token);
    const heartbeat = setInterval(() => client.comment('hb'), this.settings.SSE_HEARTBEAT_MS);
    heartbeat.unref();
    client.onShed = () => this.metrics.slowConsumers.inc({ transport: 'sse' });
    client.onConflatedWrite = (count) => this.metrics.eventsEmitted.inc(count);
    client.onClose = () => {
      clearInterval(heartbeat);
      this.registry.remove(client);
      this.slots.release(stream.slot);
    };
    req.on('close', () => client.close());
    if (req.socket.destroyed) client.close(); // gone while its checks ran: free its slot now
    this.subscriptions
      .subscribeMany(client, channels, since, () => client.comment('ok'), conflate)
      .then((lost) => {
        if (lost.length > 0) client.notify(RESYNC_EVENT, { channels: lost });
      })
      .catch(() => client.close());
  }
}
