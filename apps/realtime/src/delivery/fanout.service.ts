import { Injectable, Logger } from '@nestjs/common';
import { isControlEvent } from '@tandem/contracts';
import type { AnyEnvelope, EventEnvelope } from '@tandem/contracts';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import { ClientAuthService } from '../transports/client-auth.service.js';
import { clientEmitter, FANOUT_EVENT } from '../transports/socket/realtime-server.js';
import type { RealtimeServer } from '../transports/socket/realtime-server.js';
import { ClientRegistry } from './client-registry.service.js';
import type { Subscriber } from './subscriber.js';

/**
 * Delivers events to this replica's clients. The replica that consumed an event calls `publish`:
 * it delivers locally and hands the envelope to every other replica with `serverSideEmit` (Redis
 * adapter), where `deliverLocal` runs too. Each replica therefore decides per client what to send
 * (replay buffering, per-client de-duplication), and still encodes an event once for its
 * sockets: one broadcast to the sockets that take it. SSE streams are written one by one.
 */
@Injectable()
export class FanoutService {
  private readonly logger = new Logger('realtime:fanout');
  private io?: RealtimeServer;
  private clustered = false;
  /** Newest offset delivered on this replica (where a resync after a Redis outage starts). */
  headOffset = 0;

  constructor(
    private readonly registry: ClientRegistry,
    private readonly auth: ClientAuthService,
    private readonly metrics: RealtimeMetrics,
  ) {}

  attach(io: RealtimeServer, clustered: boolean): void {
    this.io = io;
    this.clustered = clustered;
    if (clustered) {
      io.of('/').on(FANOUT_EVENT, (envelope) => {
        try {
          this.deliverLocal(envelope);
        } catch (error) {
          this.logger.error(`fan-out failed: ${(error as Error).message}`);
        }
      });
    }
  }

  /** Delivers an event on every replica (this one included). */
  publish(envelope: AnyEnvelope): void {
    this.deliverLocal(envelope);
    if (this.clustered) this.io?.of('/').serverSideEmit(FANOUT_EVENT, envelope);
  }

  deliverLocal(envelope: AnyEnvelope): void {
    if (isControlEvent(envelope)) return this.auth.revoke(envelope);
    if (envelope.offset > this.headOffset) this.headOffset = envelope.offset;
    const emitted = this.deliver(envelope);
    if (emitted > 0) {
      this.metrics.eventsEmitted.inc(emitted);
      const lag = (Date.now() - Date.parse(envelope.occurredAt)) / 1000;
      if (lag >= 0) this.metrics.lag.observe(lag);
    }
  }

  /** Writes the event to every client of its channels that takes it; returns how many did. */
  private deliver(envelope: EventEnvelope): number {
    const sockets: Subscriber[] = [];
    let written = 0;
    for (const client of this.registry.inChannels(envelope.channels)) {
      if (client.transport === 'socket') {
        if (client.accept(envelope) === 'send') sockets.push(client);
      } else if (client.offer(envelope)) {
        written += 1;
      }
    }
    // Every socket is in the room named by its id: one broadcast encodes the packet once.
    if (sockets.length > 0 && this.io) {
      clientEmitter(this.io.local.to(sockets.map((client) => client.id))).emit(envelope.type, envelope);
      for (const client of sockets) client.keepUp();
    }
    return written + sockets.length;
  }
}
