import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

export const IDEMPOTENCY_RETENTION_HOURS = Symbol('IDEMPOTENCY_RETENTION_HOURS');
const SWEEP_EVERY_MS = 10 * 60_000;

/** Forgets idempotency keys past retention: a retry after that is a new order. */
@Injectable()
export class IdempotencyJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyJanitor.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(IDEMPOTENCY_RETENTION_HOURS) private readonly retentionHours: number,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep().catch((e: Error) => this.logger.warn(e.message)), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    const [, count] = await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`,
      [this.retentionHours],
    );
    return Number(count ?? 0);
  }
}
