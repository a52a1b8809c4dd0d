import { Inject, Injectable, Logger } from '@nestjs/common';
import { RESYNC_EVENT } from '@tandem/contracts';
import type { RealtimeSettings } from '../realtime.config.js';
import { REALTIME_SETTINGS } from '../realtime.tokens.js';
import { EVENT_HISTORY } from '../history/event-history.js';
import type { EventHistory } from '../history/event-history.js';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import { ClientRegistry } from './client-registry.service.js';
import type { Subscriber } from './subscriber.js';

/**
 * Subscribing with optional `since` (docs/contract.md, Realtime and SSE), for sockets and streams
 * alike: join first (live events start flowing, held back for these channels), replay from
 * history, then release what was held. Nothing falls between history and live, and nothing
 * arrives twice.
 */
@Injectable()
export class SubscriptionService {
  private readonly logger = new Logger('realtime:subscriptions');

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    @Inject(EVENT_HISTORY) private readonly history: EventHistory,
    private readonly registry: ClientRegistry,
    private readonly metrics: RealtimeMetrics,
  ) {}

  /** Subscribes to one channel; false when history did not reach back to `since`. */
  async subscribe(client: Subscriber, channel: string, since: number | undefined, conflate?: number): Promise<boolean> {
    const lost = await this.subscribeMany(client, [channel], since, undefined, conflate);
    return lost.length === 0;
  }

  /**
   * Subscribes to several channels at once (SSE); `ready` runs once all are joined, before the
   * replay (SSE writes its `: ok` there). Replays are merged in offset order; each is bounded by
   * REPLAY_MAX_EVENTS (a longer one is not sent: its channel is reported lost). Returns the
   * channels whose history did not reach back to `since`. With `conflate` (ms), live events on these
   * channels are conflated; the replay is sent as is (docs/realtime.md, "Conflation").
   */
  async subscribeMany(
    client: Subscriber,
    channels: string[],
    since: number | undefined,
    ready: () => void = () => undefined,
    conflate?: number,
  ): Promise<string[]> {
    for (const channel of channels) client.beginReplay(channel);
    const lost: string[] = [];
    try {
      for (const channel of channels) {
        if (this.registry.join(client, channel)) client.conflateChannel(channel, conflate);
      }
      ready();
      if (since !== undefined) {
        const replays = await Promise.all(
          channels.map((channel) => this.history.since(channel, since, this.settings.REPLAY_MAX_EVENTS)),
        );
        const events = replays.flatMap((replay, index) => {
          this.metrics.recoveries.inc({ recovered: String(replay.recovered) });
          if (!replay.recovered) lost.push(channels[index]!);
          return replay.events;
        });
        events.sort((a, b) => a.offset - b.offset);
        for (const envelope of events) client.replay(envelope);
      }
    } finally {
      for (const channel of channels) client.endReplay(channel);
    }
    return lost;
  }

  /**
   * After this replica's Redis subscription came back: replays, per client and channel, whatever
   * was published while it was down (from the newest offset it had delivered before). Channels
   * whose history no longer reaches back are named in a `resync` notice: the client re-reads them
   * over REST. Returns the number of clients replayed.
   */
  async resync(since: number): Promise<number> {
    const clients = this.registry.all();
    for (const client of clients) {
      const lost: string[] = [];
      for (const channel of [...client.channels]) {
        try {
          if (!(await this.subscribe(client, channel, since))) lost.push(channel);
        } catch (error) {
          this.logger.warn(`resync failed: ${(error as Error).message}`);
          lost.push(channel);
        }
      }
      if (lost.length > 0) client.notify(RESYNC_EVENT, { channels: lost });
    }
    return clients.length;
  }
}
