import { randomUUID } from 'node:crypto';
import { Controller, Get, Headers, Inject, Injectable, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Problems } from '@tandem/platform';
import { AccessTokenVerifier, bearerToken, InvalidTokenError, principalFrom } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { ChannelAccess } from './channel-access.js';
import { FanoutService } from './fanout.service.js';
import { REALTIME_SETTINGS } from './realtime.tokens.js';
import type { RealtimeSettings } from './realtime.config.js';
import { RealtimeMetrics } from './realtime.metrics.js';
import { SocketSessions } from './socket-sessions.service.js';
import { SseSubscriber } from './sse-subscriber.js';
import { SubscriptionService } from './subscriptions.service.js';
import { RESYNC_EVENT } from '@tandem/contracts';

const MAX_STREAM_CHANNELS = 20;

/** Open SSE streams of this replica (the drain closes them on shutdown). */
@Injectable()
export class StreamRegistry {
  readonly open = new Set<SseSubscriber>();
}

/**
 * Server-Sent Events fallback (contract: SSE; issue 4 §6): same auth and channel rules as the
 * socket, `: ok` once subscribed, `Last-Event-ID` resumes like `since`, heartbeat comments.
 */
@Controller('api/v1/stream')
export class StreamController {
  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly verifier: AccessTokenVerifier,
    private readonly access: ChannelAccess,
    private readonly subscriptions: SubscriptionService,
    private readonly fanout: FanoutService,
    private readonly sessions: SocketSessions,
    private readonly registry: StreamRegistry,
    private readonly metrics: RealtimeMetrics,
  ) {}

  @Get()
  async stream(
    @Req() req: Request,
    @Res() res: Response,
    @Query('channels') channelsParam: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Promise<void> {
    if (this.sessions.draining) throw Problems.unavailable('The gateway is shutting down; reconnect');
    if (typeof channelsParam !== 'string' || channelsParam.length === 0 || channelsParam.length > 2048) {
      throw Problems.badRequest('channels is required', [{ field: 'channels', message: 'comma-separated channels' }]);
    }
    const names = [...new Set(channelsParam.split(',').map((name) => name.trim()))];
    if (names.length > MAX_STREAM_CHANNELS) {
      throw Problems.badRequest(`at most ${MAX_STREAM_CHANNELS} channels`, [
        { field: 'channels', message: `at most ${MAX_STREAM_CHANNELS} channels` },
      ]);
    }
    let since: number | undefined;
    if (lastEventId !== undefined && lastEventId !== '') {
      if (!/^\d{1,15}$/.test(lastEventId)) {
        throw Problems.badRequest('Last-Event-ID must be an offset', [
          { field: 'Last-Event-ID', message: 'must be a non-negative integer' },
        ]);
      }
      since = Number(lastEventId);
    }
    const { principal, token } = await this.authenticate(authorization);
    const channels: string[] = [];
    for (const name of names) {
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
    this.open(req, res, principal, channels, since);
  }

  private async authenticate(header: string | undefined): Promise<{ principal?: Principal; token?: string }> {
    if (header === undefined) return {};
    const token = bearerToken(header);
    if (!token) throw Problems.unauthorized();
    try {
      return { principal: principalFrom(await this.verifier.verify(token)), token };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw Problems.unauthorized('The access token is not valid');
      throw error;
    }
  }

  private open(req: Request, res: Response, principal: Principal | undefined, channels: string[], since?: number) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
    });
    const subscriber = new SseSubscriber(randomUUID(), principal, res);
    this.registry.open.add(subscriber);
    this.metrics.sseStreams.inc();
    const heartbeat = setInterval(() => subscriber.comment('hb'), this.settings.SSE_HEARTBEAT_MS);
    heartbeat.unref();
    const expiry = principal
      ? setTimeout(() => subscriber.close(), Math.min(Math.max(principal.exp * 1000 - Date.now(), 0), 2 ** 31 - 1))
      : undefined;
    expiry?.unref();
    let cleaned = false;
    const cleanup = () => {
      if (cleaned) return;
      cleaned = true;
      clearInterval(heartbeat);
      clearTimeout(expiry);
      this.fanout.removeStream(subscriber);
      this.subscriptions.forget(subscriber);
      this.registry.open.delete(subscriber);
      this.metrics.sseStreams.dec();
    };
    subscriber.onClose = cleanup;
    req.on('close', () => {
      subscriber.close();
      cleanup();
    });
    this.subscriptions
      .subscribeMany(
        subscriber,
        channels,
        since,
        (channel) => this.fanout.addStream(subscriber, channel),
        () => subscriber.comment('ok'),
      )
      .then((lost) => {
        if (lost.length > 0) subscriber.notify(RESYNC_EVENT, { channels: lost });
      })
      .catch(() => subscriber.close());
  }
}
