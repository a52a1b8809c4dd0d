import type { AnyEnvelope } from '@tandem/contracts';

/** What the outbox relay needs from a broker: a publish that resolves once the broker has the event. */
export interface EventPublisher {
  publish(envelope: AnyEnvelope): Promise<void>;
  /** True while the broker connection is up (readiness). */
  isConnected(): boolean;
  close(): Promise<void>;
}

/** A delivered event. `ack` removes it; `nack(requeue)` returns it or sends it to the dead-letter queue. */
export interface Delivery {
  body: Buffer;
  /** Times RabbitMQ has already delivered it and seen it rejected (x-delivery-count / x-death). */
  deliveryCount: number;
  ack(): void;
  nack(requeue: boolean): void;
}

export interface ConsumerOptions {
  /** Durable queue shared by every replica of the consumer (which of them receives: see singleActiveConsumer). */
  queue: string;
  /** Routing-key patterns to bind on the events exchange. */
  bindings: string[];
  /** Unacknowledged deliveries in flight per consumer. */
  prefetch: number;
  /**
   * One consumer at a time receives everything, the others stand by and take over at once
   * (RabbitMQ's x-single-active-consumer): keeps the stream in offset order across replicas.
   */
  singleActiveConsumer?: boolean;
}

export interface EventConsumerSource {
  consume(options: ConsumerOptions, handler: (delivery: Delivery) => Promise<void>): Promise<void>;
  /** Stops taking new deliveries; in-flight ones can still be acked. */
  cancel(): Promise<void>;
  isConnected(): boolean;
  close(): Promise<void>;
}

export const EVENT_PUBLISHER = Symbol('EVENT_PUBLISHER');
