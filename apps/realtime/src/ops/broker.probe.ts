import { Injectable } from '@nestjs/common';
import type { ReadinessProbe } from '@tandem/platform';
import { EventConsumerService } from '../ingest/event-consumer.service.js';

/** Readiness: the gateway is ready once it consumes from the broker. */
@Injectable()
export class RealtimeBrokerProbe implements ReadinessProbe {
  readonly name = 'broker';
  constructor(private readonly consumer: EventConsumerService) {}
  check(): Promise<void> {
    return this.consumer.check();
  }
}
