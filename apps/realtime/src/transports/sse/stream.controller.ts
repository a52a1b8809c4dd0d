import { randomUUID } from 'node:crypto';
import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RESYNC_EVENT } from '@tandem/contracts';
import { clientIp, Problems } from '@tandem/platform';
import { bearerToken } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { ChannelAccessService } from '../../delivery/channel-access.service.js';
import { ClientRegistry } from '../../delivery/client-registry.service.js';
import { SubscriptionService } from '../../delivery/subscription.service.js';
import type { RealtimeSettings } from '../../realtime.config.js';
import { REALTIME_SETTINGS } from '../../realtime.tokens.js';
import { ClientAuthService } from '../client-auth.service.js';
import { SseSubscriber } from './sse-subscriber.js';
import { parseStreamRequest } from './stream-request.js';

/**
 * Server-Sent Events fallback (docs/contract.md, SSE): same auth and channel rules as the socket,
 * `: ok` once subscribed, `Last-Event-ID` resumes like `since`, heartbeat comments.
 */
@Controller('api/v1/stream')
export class StreamController {
  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly registry: ClientRegistry,
    private readonly auth: ClientAuthService,
    private readonly access: ChannelAccessService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  @Get()
  async stream(
    @Req() req: Request,
    @Res() res: Response,
    @Query('channels') channelsParam: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Promise<void> {
    if (!this.registry.accepting) throw Problems.unavailable('The gateway is shutting down; reconnect');
    const request = parseStreamRequest(channelsParam, lastEventId, this.settings.SSE_MAX_CHANNELS);
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
    this.open(req, res, channels, request.since, principal && token ? { principal, token } : undefined);
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
    channels: string[],
    since: number | undefined,
    identity: { principal: Principal; token: string } | undefined,
  ): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
    });
    const client = new SseSubscriber(
      randomUUID(),
      clientIp(req, this.settings.TRUST_PROXY_HOPS),
      { seenIds: this.settings.CLIENT_SEEN_IDS, maxBuffered: this.settings.CLIENT_MAX_BUFFERED },
      res,
      this.settings.SSE_MAX_UNSENT_BYTES,
    );
    this.registry.add(client);
    if (identity) this.auth.signIn(client, identity.principal, identity.token);
    const heartbeat = setInterval(() => client.comment('hb'), this.settings.SSE_HEARTBEAT_MS);
    heartbeat.unref();
    client.onClose = () => {
      clearInterval(heartbeat);
      this.registry.remove(client);
    };
    req.on('close', () => client.close());
    this.subscriptions
      .subscribeMany(client, channels, since, () => client.comment('ok'))
      .then((lost) => {
        if (lost.length > 0) client.notify(RESYNC_EVENT, { channels: lost });
      })
      .catch(() => client.close());
  }
}
