import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { OutboxModule, OutboxRecord } from '@tandem/messaging';
import type { OutboxModuleOptions } from '@tandem/messaging';
import { databaseAppInfrastructure, DatabaseProbe, HealthModule, RedisProbe } from '@tandem/platform';
import { SecurityModule } from '@tandem/security';
import { CallerRateLimitGuard, REQUEST_BUDGETS } from './caller-rate-limit.guard.js';
import type { RequestBudgets } from './caller-rate-limit.guard.js';
import { CatalogService } from './catalog.service.js';
import { CommerceConfig, CommerceSettings } from './commerce.config.js';
import { commerceMigrations } from './migrations/index.js';
import { IDEMPOTENCY_RETENTION_HOURS, IdempotencyJanitor } from './idempotency-janitor.js';
import { OrderExpiry } from './order-expiry.js';
import { ORDER_POLICY } from './order-policy.js';
import type { OrderPolicy } from './order-policy.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';
import { ProductRecord } from './product.entity.js';
import { ProductsController } from './products.controller.js';

export const commerceEntities = [ProductRecord, OutboxRecord];
export { commerceMigrations };

/**
 * The commerce feature: catalog and orders. Needs a global DataSource, REDIS and an
 * AccessTokenVerifier (SecurityModule); the app module below, or standalone, provides them. Its
 * request budgets guard its own controllers only (they carry `@UseGuards(CallerRateLimitGuard)`),
 * so in a process shared with other apps it does not throttle their routes, `/health` or `/metrics`.
 */
@Module({})
export class CommerceModule {
  static register(settings: CommerceSettings): DynamicModule {
    const budgets: RequestBudgets = {
      perUserPerMinute: settings.REQUESTS_PER_USER_PER_MINUTE,
      perIpPerMinute: settings.REQUESTS_PER_IP_PER_MINUTE,
    };
    const policy: OrderPolicy = {
      pendingTtlSeconds: settings.PENDING_ORDER_TTL_SECONDS,
      maxPendingPerUser: settings.MAX_PENDING_ORDERS_PER_USER,
    };
    return {
      module: CommerceModule,
      controllers: [ProductsController, OrdersController],
      providers: [
        CatalogService,
        OrdersService,
        CallerRateLimitGuard,
        { provide: REQUEST_BUDGETS, useValue: budgets },
        { provide: ORDER_POLICY, useValue: policy },
        { provide: IDEMPOTENCY_RETENTION_HOURS, useValue: settings.RETENTION_HOURS },
        IdempotencyJanitor,
        OrderExpiry,
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
