import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { HealthModule, loggingModule, MetricsModule, RedisModule, RedisProbe } from '@tandem/platform';
import { RealtimeConfig } from './realtime.config.js';

/** Skeleton: health and metrics only until the gateway lands (issue 4). */
@Module({})
export class RealtimeAppModule {
  static forRoot(config: RealtimeConfig): DynamicModule {
    return {
      module: RealtimeAppModule,
      imports: [
        loggingModule('realtime', config.LOG_LEVEL),
        RedisModule.forRoot(config.REDIS_URL, 'realtime'),
        MetricsModule,
        HealthModule.forRoot([RedisProbe]),
      ],
    };
  }
}
