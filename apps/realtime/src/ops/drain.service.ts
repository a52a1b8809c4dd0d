import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { ClientRegistry } from '../delivery/client-registry.service.js';
import { EventConsumerService } from '../ingest/event-consumer.service.js';
import type { RealtimeSettings } from '../realtime.config.js';
import { REALTIME_SETTINGS } from '../realtime.tokens.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Shutdown and rollout (docs/realtime.md, "Shutdown and rollout"). Runs before Nest closes the
 * servers: refuse new clients, stop the broker consumer (the delivery in hand finishes and is
 * acked; unacked ones return to the queue for the other replicas), then close every client in
 * SHUTDOWN_DRAIN_STEPS batches spread over SHUTDOWN_DRAIN_MS, so they reconnect elsewhere without
 * a storm. Sockets are closed at the transport level: socket.io-client treats that as a lost
 * connection and reconnects by itself (a server-side `disconnect()` would tell it not to).
 */
@Injectable()
export class DrainService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('realtime:drain');

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    private readonly registry: ClientRegistry,
    private readonly consumer: EventConsumerService,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    this.registry.draining = true;
    await this.consumer.stop();
    const clients = this.registry.all();
    if (clients.length === 0) return;
    this.logger.log(`draining ${clients.length} clients over ${this.settings.SHUTDOWN_DRAIN_MS} ms`);
    const steps = this.settings.SHUTDOWN_DRAIN_STEPS;
    const perStep = Math.ceil(clients.length / steps);
    const pause = this.settings.SHUTDOWN_DRAIN_MS / steps;
    for (let start = 0; start < clients.length; start += perStep) {
      if (start > 0) await sleep(pause);
      for (const client of clients.slice(start, start + perStep)) client.drop();
    }
  }
}
