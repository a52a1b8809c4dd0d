import { Controller, Get, Inject, Module } from '@nestjs/common';
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';

/** A real dependency the app cannot serve without (database, Redis, broker). */
export interface ReadinessProbe {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (or times out) otherwise. */
  check(): Promise<void>;
}

const READINESS_PROBES = Symbol('READINESS_PROBES');
/** A probe that has not answered by then counts as down (terminus's attempt timeout). */
export const PROBE_TIMEOUT_MS = 2000;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[],
  ) {}

  /** Liveness: the process and its event loop answer; never depends on other services. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Readiness: every real dependency answers. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      this.probes.map(
        (probe) => () =>
          this.indicators
            .check(probe.name)
            .attempt(() => probe.check())
            .withTimeout(PROBE_TIMEOUT_MS),
      ),
    );
  }
}

@Module({})
export class HealthModule {
  /** `probes` are provider classes of the importing app (they may inject its DataSource, clients…). */
  static forRoot(probes: Type<ReadinessProbe>[]): DynamicModule {
    const collect: Provider = {
      provide: READINESS_PROBES,
      useFactory: (...instances: ReadinessProbe[]) => instances,
      inject: probes,
    };
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [...probes, collect],
    };
  }
}
