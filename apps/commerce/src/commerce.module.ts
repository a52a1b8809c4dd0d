import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { OutboxModule, OutboxRecord } from '@tandem/messaging';
import type { OutboxModuleOptions } from '@tandem/messaging';
import {
  databaseAppInfrastructure,
  DatabaseProbe,
  HealthModule,
  RedisProbe,
  REQUESTS_PER_IP_PER_MINUTE,
} from '@tandem/platform';
import { SecurityModule } from '@tandem/security';
import { CatalogService } from './catalog.service.js';
import { CommerceConfig, CommerceSettings } from './commerce.config.js';
import { commerceMigrations } from './migrations/index.js';
import { IDEMPOTENCY_RETENTION_HOURS, IdempotencyJanitor } from './idempotency-janitor.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';
import { ProductRecord } from './product.entity.js';
import { ProductsController } from './products.controller.js';

export const commerceEntities = [ProductRecord, OutboxRecord];
export { commerceMigrations };

/**
 * The commerce feature: catalog and orders. Needs a global DataSource, REDIS and an
 * AccessTokenVerifier (SecurityModule); the app module below, or standalone, provides them. Its
 * per-IP budget guards its own controllers only (they carry `@UseGuards(IpRateLimitGuard)`), so in
 * a process shared with other apps it does not throttle their routes, `/health` or `/metrics`.
 */
@Module({})
export class CommerceModule {
  static register(settings: Pick<CommerceSettings, 'REQUESTS_PER_IP_PER_MINUTE' | 'RETENTION_HOURS'>): DynamicModule {
    return {
      module: CommerceModule,
      controllers: [ProductsController, OrdersController],
      providers: [
        CatalogService,
        OrdersService,
        { provide: REQUESTS_PER_IP_PER_MINUTE, useValue: settings.REQUESTS_PER_IP_PER_MINUTE },
        { provide: IDEMPOTENCY_RETENTION_HOURS, useValue: settings.RETENTION_HOURS },
        IdempotencyJanitor,
      ],
      exports: [CatalogService],
    };
  }
}

/** The commerce app as deployed on its own. */
@Module({})
export class CommerceAppModule {
  static forRoot(config: CommerceConfig, outbox: Partial<OutboxModuleOptions> = {}): DynamicModule {
    return {
      module: CommerceAppModule,
      imports: [
        ...databaseAppInfrastructure('commerce', config, {
          entities: commerceEntities,
          migrations: commerceMigrations,
        }),
        SecurityModule.forRoot({
          jwksUrl: config.AUTH_JWKS_URL,
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        }),
        OutboxModule.forRoot({
          name: 'commerce',
          brokerUrl: config.BROKER_URL,
          ...outbox,
          relay: { retentionMs: config.RETENTION_HOURS * 3600_000, ...outbox.relay },
        }),
        HealthModule.forRoot([DatabaseProbe, RedisProbe]),
        CommerceModule.register(config),
      ],
    };
  }
}
