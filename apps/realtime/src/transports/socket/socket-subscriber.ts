import type { EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { Subscriber } from '../../delivery/subscriber.js';
import type { SubscriberLimits } from '../../delivery/subscriber.js';
import { clientEmitter } from './realtime-server.js';
import type { RealtimeSocket } from './realtime-server.js';

/** A Socket.IO connection as a client of the gateway. */
export class SocketSubscriber extends Subscriber {
  readonly transport = 'socket';

  constructor(
    readonly socket: RealtimeSocket,
    ip: string,
    limits: SubscriberLimits,
  ) {
    super(socket.id, ip, limits);
  }

  protected write(envelope: EventEnvelope): void {
    clientEmitter(this.socket).emit(envelope.type, envelope);
  }

  notify<N extends keyof GatewayNoticeMap>(event: N, notice: GatewayNoticeMap[N]): void {
    clientEmitter(this.socket).emit(event, notice);
  }

  /** Server-side disconnect: the client is told not to reconnect by itself (expiry, revocation, too slow). */
  close(): void {
    this.socket.disconnect(true);
  }

  /** Transport-level close: socket.io-client takes it for a lost connection and reconnects (drain). */
  override drop(): void {
    this.socket.conn.close();
  }
}
