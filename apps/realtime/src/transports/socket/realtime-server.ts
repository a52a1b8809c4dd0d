import type { Server, Socket } from 'socket.io';
import type {
  AnyEnvelope,
  ClientToServerEvents,
  EventEnvelope,
  EventType,
  GatewayNoticeMap,
  ServerToClientEvents,
} from '@tandem/contracts';

/** Server-to-server message carrying one envelope to every replica (through the Redis adapter). */
export const FANOUT_EVENT = 'tandem:fanout';

/** Between replicas (`serverSideEmit`): the fan-out of one envelope. */
interface InterServerEvents {
  [FANOUT_EVENT]: (envelope: AnyEnvelope) => void;
}

/** The gateway's Socket.IO server and sockets, typed by the contract's event maps at both ends. */
export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents>;
export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents>;

/**
 * What sends to sockets (a socket, or a broadcast), seen with the pairing the contract's event
 * map guarantees: an event is emitted under its own `type`, a notice under its name. Socket.IO's
 * typed `emit` cannot correlate a union of names with a union of payloads, so it would refuse
 * `emit(envelope.type, envelope)`; these signatures keep both sides checked at every call site.
 */
interface ClientEmitter {
  emit<T extends EventType>(event: T, envelope: EventEnvelope<T>): boolean;
  emit<N extends keyof GatewayNoticeMap>(event: N, notice: GatewayNoticeMap[N]): boolean;
}

export function clientEmitter(target: RealtimeSocket | ReturnType<RealtimeServer['to']>): ClientEmitter {
  return target as unknown as ClientEmitter;
}
