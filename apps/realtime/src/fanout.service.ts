import { Injectable, Logger } from '@nestjs/common';
import type { Server } from 'socket.io';
import { isControlEvent } from '@tandem/contracts';
import type { AnyEnvelope, ControlEnvelope, EventEnvelope } from '@tandem/contracts';
import { RealtimeMetrics } from './realtime.metrics.js';
import type { Subscriber } from './subscriber.js';

/** Server-to-server message carrying one envelope to every replica (through the Redis adapter). */
export const FANOUT_EVENT = 'tandem:fanout';

export const sessionRoom = (sid: string) => `sid:${sid}`;

/**
 * Delivers events to this replica's clients. The replica that consumed an event calls `publish`:
 * it delivers locally and hands the envelope to every other replica with `serverSideEmit` (Redis
 * adapter), where `deliverLocal` runs too. Each replica therefore decides per client what to send
 * (replay buffering, per-client de-duplication) and still encodes an event once: sockets receive
 * it as one broadcast to the union of its channels, minus the sockets that must not get it.
 */
@Injectable()
export class FanoutService {
  private readonly logger = new Logger('realtime:fanout');
  private io?: Server;
  private clustered = false;
  private readonly sockets = new Map<string, Subscriber>();
  private readonly streams = new Map<string, Set<Subscriber>>();
  private readonly streamSubscribers = new Set<Subscriber>();
  /** Newest offset delivered on this replica (where a resync after a Redis outage starts). */
  headOffset = 0;

  constructor(private readonly metrics: RealtimeMetrics) {}

  attach(io: Server, clustered: boolean): void {
    this.io = io;
    this.clustered = clustered;
    if (clustered) {
      io.of('/').on(FANOUT_EVENT, (envelope: AnyEnvelope) => {
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

  addSocket(subscriber: Subscriber): void {
    this.sockets.set(subscriber.id, subscriber);
  }

  removeSocket(id: string): void {
    this.sockets.delete(id);
  }

  /** SSE streams are not Socket.IO sockets: they live in their own channel index. */
  addStream(subscriber: Subscriber, channel: string): void {
    this.streamSubscribers.add(subscriber);
    let set = this.streams.get(channel);
    if (!set) this.streams.set(channel, (set = new Set()));
    set.add(subscriber);
  }

  removeStream(subscriber: Subscriber): void {
    this.streamSubscribers.delete(subscriber);
    for (const channel of subscriber.channels) {
      const set = this.streams.get(channel);
      set?.delete(subscriber);
      if (set?.size === 0) this.streams.delete(channel);
    }
  }

  /** Every client of this replica (for resync and drain). */
  subscribers(): Subscriber[] {
    return [...this.sockets.values(), ...this.streamSubscribers];
  }

  deliverLocal(envelope: AnyEnvelope): void {
    if (isControlEvent(envelope)) return this.closeSession(envelope);
    if (envelope.offset > this.headOffset) this.headOffset = envelope.offset;
    const emitted = this.deliverToSockets(envelope) + this.deliverToStreams(envelope);
    if (emitted > 0) {
      this.metrics.eventsEmitted.inc(emitted);
      const lag = (Date.now() - Date.parse(envelope.occurredAt)) / 1000;
      if (lag >= 0) this.metrics.lag.observe(lag);
    }
  }

  private deliverToSockets(envelope: EventEnvelope): number {
    const io = this.io;
    if (!io) return 0;
    const rooms = io.of('/').adapter.rooms;
    const visited = new Set<string>();
    const except: string[] = [];
    let recipients = 0;
    for (const channel of envelope.channels) {
      for (const socketId of rooms.get(channel) ?? []) {
        if (visited.has(socketId)) continue;
        visited.add(socketId);
        const decision = this.sockets.get(socketId)?.accept(envelope) ?? 'skip';
        if (decision === 'send') recipients += 1;
        else except.push(socketId);
      }
    }
    if (recipients > 0) io.local.to(envelope.channels).except(except).emit(envelope.type, envelope);
    return recipients;
  }

  private deliverToStreams(envelope: EventEnvelope): number {
    const targets = new Set<Subscriber>();
    for (const channel of envelope.channels) for (const stream of this.streams.get(channel) ?? []) targets.add(stream);
    let written = 0;
    for (const stream of targets) if (stream.offer(envelope)) written += 1;
    return written;
  }

  /** session.revoked: this replica's sockets and streams of that session are told and closed. */
  private closeSession(envelope: ControlEnvelope): void {
    const { sid } = envelope.data;
    if (typeof sid !== 'string') return;
    const io = this.io;
    if (io) {
      const room = sessionRoom(sid);
      io.local.to(room).emit(envelope.type, envelope);
      io.local.in(room).disconnectSockets(true);
    }
    for (const stream of this.streamSubscribers) {
      if (stream.principal?.sid === sid) stream.close();
    }
  }
}
