import type { Socket } from 'socket.io';
import type { EventEnvelope } from '@tandem/contracts';
import type { Principal } from '@tandem/security';
import { Subscriber } from './subscriber.js';

/** A Socket.IO connection's delivery state plus what the gateway must remember about it. */
export class SocketSubscriber extends Subscriber {
  /** The access token in use: rpc calls and order-ownership lookups run with it. */
  token?: string;
  expiry?: NodeJS.Timeout;

  constructor(
    readonly socket: Socket,
    principal: Principal | undefined,
    token: string | undefined,
    readonly ip: string,
  ) {
    super(socket.id, principal);
    this.token = token;
  }

  protected write(envelope: EventEnvelope): void {
    this.socket.emit(envelope.type, envelope);
  }

  notify(event: string, body: unknown): void {
    this.socket.emit(event, body);
  }

  close(): void {
    this.socket.disconnect(true);
  }
}
