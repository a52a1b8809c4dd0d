import type { EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { Subscriber } from '../../delivery/subscriber.js';
import type { SubscriberLimits } from '../../delivery/subscriber.js';
import { clientEmitter } from './realtime-server.js';
import type { RealtimeSocket } from './realtime-server.js';

/** What a Socket.IO connection holds for its client before the kernel takes it (engine.io internals). */
interface EngineConnection {
  writeBuffer?: { data?: unknown }[];
  transport?: { socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(discard?: boolean): void;
}

/** A Socket.IO connection as a client of the gateway. */
export class SocketSubscriber extends Subscriber {
  readonly transport = 'socket';
  /** Per held channel, the `since` its subscription replayed from (a re-subscribe vouches only from there). */
  readonly replayedFrom = new Map<string, number>();

  /** Set once the client was torn down for not reading. */
  shedding = false;

  constructor(
    readonly socket: RealtimeSocket,
    ip: string,
    limits: SubscriberLimits,
    /** More than this unsent (SOCKET_MAX_UNSENT_BYTES) ends the connection. */
    private readonly maxUnsentBytes: number,
  ) {
    super(socket.id, ip, limits);
  }

  protected write(envelope: EventEnvelope): void {
    clientEmitter(this.socket).emit(envelope.type, envelope);
    this.keepUp();
  }

  override keepUp(): void {
    if (this.shedding || this.unsentBytes() <= this.maxUnsentBytes) return;
    this.shedding = true;
    this.onShed?.();
    this.shed();
  }

  notify<N extends keyof GatewayNoticeMap>(event: N, notice: GatewayNoticeMap[N]): void {
    clientEmitter(this.socket).emit(event, notice);
  }

  /**
   * Bytes written for this client that it has not taken yet: engine.io's queue (packets waiting
   * while the transport is busy or a poll is missing) plus the WebSocket's own send buffer.
   */
  unsentBytes(): number {
    const conn = this.socket.conn as unknown as EngineConnection;
    let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
    for (const packet of conn.writeBuffer ?? []) {
      const data = packet.data;
      if (typeof data === 'string') bytes += data.length;
      else if (data instanceof Uint8Array) bytes += data.byteLength;
    }
    return bytes;
  }

  /** Server-side disconnect: the client is told not to reconnect by itself (expiry, revocation). */
  close(): void {
    this.socket.disconnect(true);
  }

  /** A polite close would wait behind what the client never reads: the connection is torn down, its buffers freed now. */
  private shed(): void {
    const conn = this.socket.conn as unknown as EngineConnection;
    const ws = conn.transport?.socket;
    if (ws?.terminate) ws.terminate();
    else conn.close(true);
  }

  /** Transport-level close: socket.io-client takes it for a lost connection and reconnects (drain). */
  override drop(): void {
    this.socket.conn.close();
  }
}
