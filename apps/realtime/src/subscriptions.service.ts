import { Inject, Injectable, Logger } from '@nestjs/common';
import { RESYNC_EVENT } from '@tandem/contracts';
import { EVENT_HISTORY } from './event-history.js';
import type { EventHistory } from './event-history.js';
import { RealtimeMetrics } from './realtime.metrics.js';
import type { Subscriber } from './subscriber.js';

/**
 * Subscribing with optional `since` (contract: Realtime, SSE), for sockets and streams alike:
 * join first (live events start flowing, held back for this channel), replay from history, then
 * release what was held. Nothing falls between history and live, and nothing arrives twice.
 */
@Injectable()
export class SubscriptionService {
  private readonly logger = new Logger('realtime:subscriptions');

  constructor(
    @Inject(EVENT_HISTORY) private readonly history: EventHistory,
    private readonly metrics: RealtimeMetrics,
  ) {}

  async subscribe(
    subscriber: Subscriber,
    channel: string,
    since: number | undefined,
    join: (channel: string) => void,
  ): Promise<boolean> {
    const lost = await this.subscribeMany(subscriber, [channel], since, join);
    return lost.length === 0;
  }

  /**
   * Subscribes to several channels at once (SSE); `ready` runs once all are joined, before the
   * replay (SSE writes its `: ok` there). Replays are merged in offset order. Returns the channels
   * whose history did not reach back to `since`.
   */
  async subscribeMany(
    subscriber: Subscriber,
    channels: string[],
    since: number | undefined,
    join: (channel: string) => void,
    ready: () => void = () => undefined,
  ): Promise<string[]> {
    for (const channel of channels) subscriber.beginReplay(channel);
    const lost: string[] = [];
    try {
      for (const channel of channels) {
        join(channel);
        if (!subscriber.channels.has(channel)) {
          subscriber.channels.add(channel);
          this.metrics.subscriptions.inc();
        }
      }
      ready();
      if (since !== undefined) {
        const replays = await Promise.all(channels.map((channel) => this.history.since(channel, since)));
        const events = replays.flatMap((replay, index) => {
          this.metrics.recoveries.inc({ recovered: String(replay.recovered) });
          if (!replay.recovered) lost.push(channels[index]!);
          return replay.events;
        });
        events.sort((a, b) => a.offset - b.offset);
        for (const envelope of events) subscriber.replay(envelope);
      }
    } finally {
      for (const channel of channels) subscriber.endReplay(channel);
    }
    return lost;
  }

  unsubscribe(subscriber: Subscriber, channel: string, leave: () => void): void {
    leave();
    if (subscriber.channels.delete(channel)) this.metrics.subscriptions.dec();
  }

  /** Called when a subscriber goes away. */
  forget(subscriber: Subscriber): void {
    this.metrics.subscriptions.dec(subscriber.channels.size);
  }

  /**
   * After this replica's Redis subscription came back: replays, per client and channel, whatever
   * was published while it was down (from the newest offset it had delivered before). Channels whose history no longer reaches back are named in
   * a `resync` event: the client re-reads them over REST.
   */
  async resync(subscribers: Subscriber[], since: number): Promise<number> {
    let replayed = 0;
    for (const subscriber of subscribers) {
      const lost: string[] = [];
      for (const channel of [...subscriber.channels]) {
        try {
          const recovered = await this.subscribe(subscriber, channel, since, () => undefined);
          if (!recovered) lost.push(channel);
        } catch (error) {
          this.logger.warn(`resync failed: ${(error as Error).message}`);
          lost.push(channel);
        }
      }
      if (lost.length > 0) subscriber.notify(RESYNC_EVENT, { channels: lost });
      replayed += 1;
    }
    return replayed;
  }
}
