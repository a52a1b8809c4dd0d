import { EventEmitter } from 'node:events';
import type { AnyEnvelope } from '@tandem/contracts';
import type { ConsumerOptions, Delivery, EventConsumerSource, EventPublisher } from './broker.js';

/**
 * The standalone mode's broker: one process, so an EventEmitter carries the relayed events. It is
 * fed by the same outbox relay as RabbitMQ, so delivery is still at-least-once from the table;
 * what it lacks is durability of in-flight messages across a crash (the relay re-sends those).
 */
export class InProcessBroker implements EventPublisher, EventConsumerSource {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private active = true;

  isConnected(): boolean {
    return true;
  }

  async publish(envelope: AnyEnvelope): Promise<void> {
    const body = Buffer.from(JSON.stringify(envelope));
    this.emitter.emit('event', body);
  }

  async consume(_options: ConsumerOptions, handler: (delivery: Delivery) => Promise<void>): Promise<void> {
    this.emitter.on('event', (body: Buffer) => {
      if (!this.active) return;
      const noop = () => undefined;
      void handler({ body, deliveryCount: 0, ack: noop, nack: noop });
    });
  }

  async cancel(): Promise<void> {
    this.active = false;
  }

  async close(): Promise<void> {
    this.active = false;
    this.emitter.removeAllListeners();
  }
}
