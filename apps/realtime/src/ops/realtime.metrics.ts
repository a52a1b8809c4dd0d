import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@tandem/platform';

/** The gateway's metrics (docs/realtime.md, "Metrics"), on the app's own registry. */
@Injectable()
export class RealtimeMetrics {
  readonly connectedSockets: Gauge;
  readonly sseStreams: Gauge;
  readonly subscriptions: Gauge;
  readonly eventsConsumed: Counter<'result'>;
  readonly eventsEmitted: Counter;
  readonly lag: Histogram;
  readonly ingestStep: Histogram<'step'>;
  readonly recoveries: Counter<'recovered'>;
  readonly rateLimited: Counter<'scope'>;
  readonly slowConsumers: Counter<'transport'>;
  readonly connectionsRefused: Counter<'scope'>;

  constructor(registry: MetricsRegistry) {
    const registers = [registry];
    this.connectedSockets = new Gauge({
      name: 'realtime_connected_sockets',
      help: 'Socket.IO connections on this replica',
      registers,
    });
    this.sseStreams = new Gauge({ name: 'realtime_sse_streams', help: 'Open SSE streams on this replica', registers });
    this.subscriptions = new Gauge({
      name: 'realtime_subscriptions',
      help: 'Channel subscriptions (sockets and SSE) on this replica',
      registers,
    });
    this.eventsConsumed = new Counter({
      name: 'realtime_events_consumed_total',
      help: 'Broker deliveries by outcome (handled, duplicate, invalid, failed, dead_lettered)',
      labelNames: ['result'] as const,
      registers,
    });
    this.eventsEmitted = new Counter({
      name: 'realtime_events_emitted_total',
      help: 'Events written to clients (one per socket or stream that received it)',
      registers,
    });
    this.lag = new Histogram({
      name: 'realtime_publish_to_emit_seconds',
      help: 'Time from an event occurredAt to its emit on this replica',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    // Per event, one observation per step of the push path on the consuming replica
    // (docs/realtime.md, "Metrics"); sub-millisecond buckets, since most steps are that short.
    this.ingestStep = new Histogram({
      name: 'realtime_ingest_step_seconds',
      help: 'Per event: occurredAt to arrival here (broker), wait behind earlier events (queue), claim, history record (record), fan-out call (emit)',
      labelNames: ['step'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.recoveries = new Counter({
      name: 'realtime_recoveries_total',
      help: 'subscribe/SSE resumes with since, by outcome',
      labelNames: ['recovered'] as const,
      registers,
    });
    this.rateLimited = new Counter({
      name: 'realtime_rate_limited_total',
      help: 'Messages refused by a rate limit, by scope (socket, ip, replay)',
      labelNames: ['scope'] as const,
      registers,
    });
    this.slowConsumers = new Counter({
      name: 'realtime_slow_consumers_disconnected_total',
      help: 'Clients ended because more than their bound waited unsent for them, by transport (socket, sse)',
      labelNames: ['transport'] as const,
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'realtime_connections_refused_total',
      help: 'Connections refused by a cap or rate, by scope (user, anonymous_ip, sse_ip, sse_rate)',
      labelNames: ['scope'] as const,
      registers,
    });
  }
}
