import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { EventConsumer } from './event-consumer.service.js';
import { REALTIME_SETTINGS } from './realtime.tokens.js';
import type { RealtimeSettings } from './realtime.config.js';
import { SocketSessions } from './socket-sessions.service.js';
import { StreamRegistry } from './stream.controller.js';

const STEPS = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Shutdown and rollout (issue 4 §7). Runs before Nest closes the servers: refuse new connections,
 * stop the broker consumer (the delivery in hand finishes and is acked; unacked ones return to the
 * queue for the other replicas), then close clients in STEPS batches spread over
 * SHUTDOWN_DRAIN_MS, so they reconnect elsewhere without a storm. Sockets are closed at the
 * transport level: socket.io-client treats that as a lost connection and reconnects by itself
 * (a server-side `disconnect()` would tell it not to).
 */
@Injectable()
export class DrainService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('realtime:drain');

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly sessions: SocketSessions,
    private readonly consumer: EventConsumer,
    private readonly streams: StreamRegistry,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    this.sessions.draining = true;
    await this.consumer.stop();
    const sockets = this.sessions.all();
    const streams = [...this.streams.open];
    const total = sockets.length + streams.length;
    if (total === 0) return;
    this.logger.log(`draining ${total} clients over ${this.settings.SHUTDOWN_DRAIN_MS} ms`);
    const closers = [
      ...sockets.map((subscriber) => () => subscriber.socket.conn.close()),
      ...streams.map((stream) => () => stream.close()),
    ];
    const perStep = Math.ceil(closers.length / STEPS);
    const pause = this.settings.SHUTDOWN_DRAIN_MS / STEPS;
    for (let start = 0; start < closers.length; start += perStep) {
      if (start > 0) await sleep(pause);
      for (const close of closers.slice(start, start + perStep)) close();
    }
  }
}
