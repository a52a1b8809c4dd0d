import amqp from 'amqplib';
import { EVENTS_EXCHANGE } from '@tandem/contracts';
import type { AnyEnvelope } from '@tandem/contracts';

export const TEST_BROKER_URL = process.env['TEST_BROKER_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface EventCollector {
  events: AnyEnvelope[];
  /** Resolves with the matching events once `count` have arrived (rejects after `timeoutMs`). */
  waitFor(predicate: (event: AnyEnvelope) => boolean, count?: number, timeoutMs?: number): Promise<AnyEnvelope[]>;
  close(): Promise<void>;
}

/** A real consumer on tandem.events: an exclusive, auto-deleted queue bound to every routing key. */
export async function collectEvents(): Promise<EventCollector> {
  const connection = await amqp.connect(TEST_BROKER_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, EVENTS_EXCHANGE, '#');
  const events: AnyEnvelope[] = [];
  const waiters = new Set<() => void>();
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      events.push(JSON.parse(message.content.toString()) as AnyEnvelope);
      for (const wake of waiters) wake();
    },
    { noAck: true },
  );
  return {
    events,
    waitFor(predicate, count = 1, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matching = events.filter(predicate);
          if (matching.length >= count) {
            cleanup();
            resolve(matching);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${count} events; saw ${events.filter(predicate).length}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      await channel.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
