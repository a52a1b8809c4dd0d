import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { isControlEvent } from '@tandem/contracts';
import type { Delivery, EventConsumerSource } from '@tandem/messaging';
import type { ReadinessProbe } from '@tandem/platform';
import { FanoutService } from '../delivery/fanout.service.js';
import { ORDER_OWNERS } from '../delivery/order-owners.js';
import type { OrderOwners } from '../delivery/order-owners.js';
import { EVENT_HISTORY } from '../history/event-history.js';
import type { EventHistory } from '../history/event-history.js';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import type { RealtimeSettings } from '../realtime.config.js';
import { REALTIME_EVENT_SOURCE, REALTIME_OWNS_SOURCE, REALTIME_SETTINGS } from '../realtime.tokens.js';
import { orderOwner, parseEnvelope } from './envelope.js';
import { PROCESSED_EVENTS } from './processed-events.js';
import type { ProcessedEvents } from './processed-events.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The broker side (docs/realtime.md, "Broker" and "Ordering"): one durable queue bound to every
 * event type, shared by all replicas with a single active consumer (so the stream stays in offset
 * order), prefetch bounded. Per delivery: validate → claim the id (drops redeliveries and relay
 * retries) → record in history → fan out to every replica → ack. A malformed message cannot
 * become valid: it is dead-lettered at once. A failure while handling (Redis down) is retried,
 * and dead-lettered after BROKER_MAX_ATTEMPTS; the queue never blocks. Deliveries are handled one
 * at a time, in the order the broker hands them out, so live events leave in offset order.
 */
@Injectable()
export class EventConsumerService implements OnApplicationBootstrap, OnApplicationShutdown, ReadinessProbe {
  readonly name = 'broker';
  private readonly logger = new Logger('realtime:consumer');
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private consuming = false;

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    @Inject(REALTIME_EVENT_SOURCE) private readonly source: EventConsumerSource,
    @Inject(REALTIME_OWNS_SOURCE) private readonly ownsSource: boolean,
    @Inject(EVENT_HISTORY) private readonly history: EventHistory,
    @Inject(PROCESSED_EVENTS) private readonly processed: ProcessedEvents,
    @Inject(ORDER_OWNERS) private readonly owners: OrderOwners,
    private readonly fanout: FanoutService,
    private readonly metrics: RealtimeMetrics,
  ) {}

  /** Starts consuming without holding up the boot: readiness reports the broker until it is up. */
  onApplicationBootstrap(): void {
    this.source
      .consume(
        {
          queue: this.settings.REALTIME_QUEUE,
          bindings: ['#'],
          prefetch: this.settings.BROKER_PREFETCH,
          // The contract lets a client resume any set of channels from one offset, which holds
          // only if live events reach it in offset order: one replica consumes at a time (the
          // others stand by and take over at once); all replicas still share the socket writes.
          singleActiveConsumer: true,
        },
        (delivery) => this.enqueue(delivery),
      )
      .then(() => {
        this.consuming = true;
      })
      .catch((error: Error) => this.logger.error(`cannot consume: ${error.message}`));
  }

  /**
   * The push path step by step for the benchmark (docs/benchmarks.md, "Push path"): a handful of
   * histogram observations per event, nothing on the wire. `occurredAt` has ms resolution and is
   * the writing transaction's start, so the broker step includes the commit and the relay.
   */
  private observeSteps(occurredAt: string, arrived: number, started: number, claimed: number, recorded: number): void {
    const step = this.metrics.ingestStep;
    const now = performance.now();
    const broker = Date.now() - (now - arrived) - Date.parse(occurredAt);
    if (broker >= 0) step.observe({ step: 'broker' }, broker / 1000);
    step.observe({ step: 'queue' }, (started - arrived) / 1000);
    step.observe({ step: 'claim' }, (claimed - started) / 1000);
    step.observe({ step: 'record' }, (recorded - claimed) / 1000);
    step.observe({ step: 'emit' }, (now - recorded) / 1000);
  }

  async check(): Promise<void> {
    if (!this.consuming || !this.source.isConnected()) throw new Error('not consuming from the broker');
  }

  private enqueue(delivery: Delivery): Promise<void> {
    if (this.stopped) {
      delivery.nack(true);
      return Promise.resolve();
    }
    const arrived = performance.now();
    this.chain = this.chain.then(() => this.handle(delivery, arrived));
    return this.chain;
  }

  /** `arrived` (performance.now() when the broker handed it over) times the wait in the chain. */
  async handle(delivery: Delivery, arrived?: number): Promise<void> {
    const started = performance.now();
    const parsed = parseEnvelope(delivery.body, this.settings.BROKER_MAX_MESSAGE_BYTES);
    if ('error' in parsed) {
      this.logger.warn(`dead-lettering a malformed event: ${parsed.error}`);
      this.metrics.eventsConsumed.inc({ result: 'invalid' });
      delivery.nack(false);
      return;
    }
    const { envelope } = parsed;
    let claimed = false;
    try {
      claimed = await this.processed.claim(envelope.id);
      if (!claimed) {
        this.metrics.eventsConsumed.inc({ result: 'duplicate' });
        delivery.ack();
        return;
      }
      const afterClaim = performance.now();
      if (!isControlEvent(envelope)) {
        const owner = orderOwner(envelope);
        if (owner) await this.owners.remember(owner.orderId, owner.userId);
        await this.history.record(envelope);
      }
      const afterRecord = performance.now();
      this.fanout.publish(envelope);
      delivery.ack();
      this.metrics.eventsConsumed.inc({ result: 'handled' });
      this.observeSteps(envelope.occurredAt, arrived ?? started, started, afterClaim, afterRecord);
    } catch (error) {
      if (claimed) await this.processed.release(envelope.id).catch(() => undefined);
      const attempts = delivery.deliveryCount + 1;
      this.logger.warn(`event ${envelope.id} failed (attempt ${attempts}): ${(error as Error).message}`);
      if (attempts >= this.settings.BROKER_MAX_ATTEMPTS) {
        this.metrics.eventsConsumed.inc({ result: 'dead_lettered' });
        delivery.nack(false);
      } else {
        this.metrics.eventsConsumed.inc({ result: 'failed' });
        await sleep(Math.min(100 * attempts, 1000)); // back off before the broker hands it out again
        delivery.nack(true);
      }
    }
  }

  /** Shutdown: no new deliveries; the ones in hand finish (acked) or go back to the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.source.cancel().catch(() => undefined);
    await this.chain;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.stopped) await this.stop();
    if (this.ownsSource) await this.source.close();
  }
}
