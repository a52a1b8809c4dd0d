import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown, Provider } from '@nestjs/common';
import { EVENT_PUBLISHER } from './broker.js';
import type { EventPublisher } from './broker.js';
import { DEFAULT_RELAY_OPTIONS, OutboxRelay, RELAY_OPTIONS } from './outbox.relay.js';
import type { RelayOptions } from './outbox.relay.js';
import { RabbitMqBroker } from './rabbitmq.broker.js';

export interface OutboxModuleOptions {
  name: string;
  /** RabbitMQ; ignored when `publisher` is given. */
  brokerUrl?: string;
  /** A publisher made elsewhere (the standalone mode's in-process broker). */
  publisher?: EventPublisher;
  relay?: Partial<RelayOptions>;
}

@Injectable()
class PublisherCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher) {}
  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}

/** The relay half of the transactional outbox; the writing half is `appendToOutbox`. */
@Module({})
export class OutboxModule {
  static forRoot(options: OutboxModuleOptions): DynamicModule {
    if (!options.publisher && !options.brokerUrl) {
      new Logger('OutboxModule').warn(`${options.name}: no broker configured; events stay in the outbox table`);
      return { module: OutboxModule };
    }
    const providers: Provider[] = [
      { provide: RELAY_OPTIONS, useValue: { ...DEFAULT_RELAY_OPTIONS, ...options.relay } },
      OutboxRelay,
    ];
    if (options.publisher) {
      providers.push({ provide: EVENT_PUBLISHER, useValue: options.publisher });
    } else {
      providers.push(
        { provide: EVENT_PUBLISHER, useFactory: () => new RabbitMqBroker(options.brokerUrl!, `${options.name}-relay`) },
        PublisherCloser,
      );
    }
    return { module: OutboxModule, providers, exports: [OutboxRelay, EVENT_PUBLISHER] };
  }
}
