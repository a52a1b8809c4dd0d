import { Inject, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { InProcessBroker, OutboxModule } from '@tandem/messaging';
import { DatabaseProbe, HealthModule, loggingModule, MetricsModule, RedisModule, RedisProbe } from '@tandem/platform';
import { AccessTokenVerifier, SecurityModule } from '@tandem/security';
import { AuthModule } from '../../auth/src/index.js';
import type { AuthConfig } from '../../auth/src/index.js';
import { CommerceModule } from '../../commerce/src/index.js';
import { RealtimeBrokerProbe, RealtimeModule } from '../../realtime/src/index.js';
import type { CommercePort } from '../../realtime/src/index.js';
import type { EmbeddedDatabase } from './embedded/embedded-database.js';
import { RelayWaker } from './relay-waker.js';
import type { StandaloneSettings } from './standalone.config.js';

export interface StandaloneParts {
  settings: StandaloneSettings;
  /** Auth's settings with the database and signing key standalone provides. */
  auth: AuthConfig;
  database: DataSourceOptions;
  /** Absent when DATABASE_URL is set. */
  embedded?: EmbeddedDatabase;
  /** The in-process event bus; absent when BROKER_URL is set (RabbitMQ then carries the events). */
  broker?: InProcessBroker;
  /** Verifies access tokens with the key this process signs them with: no JWKS round trip. */
  verifier: AccessTokenVerifier;
  /** The gateway's way to commerce: dispatched into this process's own HTTP app. */
  commerce: CommercePort;
}

const PARTS = Symbol('STANDALONE_PARTS');

/** Runs last on shutdown (root module): after TypeORM and the relay are closed, the bus and the database go. */
@Injectable()
class EmbeddedResourcesCloser implements OnApplicationShutdown {
  constructor(@Inject(PARTS) private readonly parts: StandaloneParts) {}
  async onApplicationShutdown(): Promise<void> {
    await this.parts.broker?.close();
    await this.parts.embedded?.stop();
  }
}

/**
 * Auth, commerce and realtime in one process (docs/standalone.md): their feature modules unchanged,
 * imported through each app's public entry, with the infrastructure each app's own module would
 * provide replaced by embedded defaults where the contract's variables are absent.
 */
@Module({})
export class StandaloneModule {
  static forRoot(parts: StandaloneParts): DynamicModule {
    const { settings, auth, broker, verifier, embedded, commerce: commercePort } = parts;
    const { standalone, commerce, realtime } = settings;
    const providers: Provider[] = [{ provide: PARTS, useValue: parts }, EmbeddedResourcesCloser];
    if (embedded) providers.push(RelayWaker);
    return {
      module: StandaloneModule,
      imports: [
        loggingModule('standalone', standalone.LOG_LEVEL),
        TypeOrmModule.forRoot(parts.database),
        RedisModule.forRoot(standalone.REDIS_URL, 'standalone'),
        SecurityModule.forRoot(verifier),
        OutboxModule.forRoot({
          name: 'standalone',
          ...(broker ? { publisher: broker } : { brokerUrl: standalone.BROKER_URL }),
          relay: {
            retentionMs: commerce.RETENTION_HOURS * 3600_000,
            // Embedded: commits wake the relay (RelayWaker); the poll only catches a wake that
            // arrived while a batch was running.
            ...(embedded ? { pollIntervalMs: 250 } : {}),
          },
        }),
        MetricsModule,
        AuthModule.register(auth),
        CommerceModule.register(commerce),
        RealtimeModule.register(realtime, { eventSource: broker, verifier, commerce: commercePort }),
        HealthModule.forRoot([DatabaseProbe, RedisProbe, RealtimeBrokerProbe]),
      ],
      providers,
    };
  }
}
