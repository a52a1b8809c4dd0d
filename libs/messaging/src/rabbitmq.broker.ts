import { Logger } from '@nestjs/common';
import amqp from 'amqp-connection-manager';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { EVENTS_EXCHANGE } from '@tandem/contracts';
import type { AnyEnvelope } from '@tandem/contracts';
import type { ConsumerOptions, Delivery, EventConsumerSource, EventPublisher } from './broker.js';

const DEAD_LETTER_EXCHANGE = `${EVENTS_EXCHANGE}.dlx`;

/**
 * RabbitMQ through amqp-connection-manager: it reconnects on its own and re-runs the channel setup
 * (exchange, queues, bindings) after every reconnect. Publishing uses a confirm channel, so
 * `publish` resolves only when the broker has taken responsibility for the message. Consumers ack
 * manually (Nest's RMQ transport auto-acks by default: at-most-once, which would lose events).
 */
export class RabbitMqBroker implements EventPublisher, EventConsumerSource {
  private readonly logger: Logger;
  private readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;
  private consumer?: ChannelWrapper;
  private connected = false;

  constructor(url: string, name: string, options: { publishTimeoutMs?: number } = {}) {
    this.logger = new Logger(`rabbitmq:${name}`);
    this.connection = amqp.connect([url], {
      heartbeatIntervalInSeconds: 10,
      reconnectTimeInSeconds: 1,
      connectionOptions: { clientProperties: { connection_name: `tandem-${name}` } },
    });
    this.connection.on('connect', () => {
      this.connected = true;
      this.logger.log('connected to RabbitMQ');
    });
    this.connection.on('disconnect', ({ err }) => {
      if (this.connected) this.logger.warn(`RabbitMQ connection lost: ${err?.message ?? 'closed'}`);
      this.connected = false;
    });
    this.connection.on('connectFailed', () => {
      this.connected = false;
    });
    this.publisher = this.connection.createChannel({
      name: `${name}-publisher`,
      confirm: true,
      publishTimeout: options.publishTimeoutMs ?? 5000,
      setup: (channel: ConfirmChannel) => channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true }),
    });
    this.publisher.on('error', (error: Error) => this.logger.warn(`publisher channel error: ${error.message}`));
  }

  isConnected(): boolean {
    return this.connected;
  }

  async publish(envelope: AnyEnvelope): Promise<void> {
    await this.publisher.publish(EVENTS_EXCHANGE, envelope.type, Buffer.from(JSON.stringify(envelope)), {
      persistent: true,
      contentType: 'application/json',
      messageId: envelope.id,
      type: envelope.type,
      timestamp: Math.floor(Date.parse(envelope.occurredAt) / 1000),
    });
  }

  async consume(options: ConsumerOptions, handler: (delivery: Delivery) => Promise<void>): Promise<void> {
    const { queue, bindings, prefetch, singleActiveConsumer = false } = options;
    const deadLetterQueue = `${queue}.dead`;
    const consumer = this.connection.createChannel({
      name: `${queue}-consumer`,
      setup: async (channel: Channel) => {
        await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
        await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'topic', { durable: true });
        await channel.assertQueue(deadLetterQueue, { durable: true });
        await channel.bindQueue(deadLetterQueue, DEAD_LETTER_EXCHANGE, queue);
        // A quorum queue counts deliveries (x-delivery-count), so a poison message is recognised
        // however it failed (even by a crash before nack) and can be dead-lettered.
        await channel.assertQueue(queue, {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
            'x-dead-letter-routing-key': queue,
            ...(singleActiveConsumer ? { 'x-single-active-consumer': true } : {}),
          },
        });
        for (const pattern of bindings) await channel.bindQueue(queue, EVENTS_EXCHANGE, pattern);
      },
    });
    this.consumer = consumer;
    consumer.on('error', (error: Error) => this.logger.warn(`consumer channel error: ${error.message}`));
    await consumer.waitForConnect();
    // The wrapper re-establishes this consumer after every reconnect.
    await consumer.consume(
      queue,
      (message: ConsumeMessage) => {
        void handler(this.delivery(consumer, message));
      },
      { prefetch },
    );
  }

  private delivery(channel: ChannelWrapper, message: ConsumeMessage): Delivery {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
    };
    return {
      body: message.content,
      deliveryCount: Number(message.properties.headers?.['x-delivery-count'] ?? 0),
      ack: () => settle(() => channel.ack(message)),
      nack: (requeue: boolean) => settle(() => channel.nack(message, false, requeue)),
    };
  }

  async cancel(): Promise<void> {
    await this.consumer?.cancelAll().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.consumer?.close().catch(() => undefined);
    await this.publisher.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
