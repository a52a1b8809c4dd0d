import type { SocketError } from './problem.js';
import type { ControlEnvelope, ControlEventType, EventEnvelope, EventType } from './events.js';

/**
 * Socket.IO payloads and acks of the realtime gateway (docs/contract.md, Realtime). Shared by the gateway,
 * its tests and the client SDK, so both sides agree on one shape.
 */
export interface SubscribeRequest {
  channel: string;
  /** The last offset the client saw; the gateway first replays every later event of the channel. */
  since?: number;
  /**
   * A window in ms (CONFLATE_MIN_MS–CONFLATE_MAX_MS): at most one event per entity and type per
   * window on this channel, the newest (docs/contract.md, Realtime; docs/realtime.md, "Conflation").
   */
  conflate?: number;
}

/** The range of a `subscribe` `conflate` window (docs/contract.md, Realtime). */
export const CONFLATE_MIN_MS = 50;
export const CONFLATE_MAX_MS = 5000;

export interface UnsubscribeRequest {
  channel: string;
}

export interface AuthRequest {
  token: string;
}

export type ErrorAck = { ok: false; error: SocketError };
export type SubscribeAck = { ok: true; recovered: boolean } | ErrorAck;
export type OkAck = { ok: true } | ErrorAck;

export const RPC_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type RpcMethod = (typeof RPC_METHODS)[number];

export interface RpcRequest {
  method: RpcMethod;
  /** `/api/v1/products/**` or `/api/v1/orders/**`, optionally with a query string. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RpcResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Server → client events of the gateway besides the event types themselves. */
export const SESSION_EXPIRED_EVENT = 'session.expired' as const;
/**
 * Sent when the gateway could not guarantee delivery for a while (its Redis subscription dropped)
 * and could not replay what was missed from history: the client re-reads these channels over REST
 * and subscribes again with the new `X-Stream-Offset`.
 */
export const RESYNC_EVENT = 'resync' as const;
export interface ResyncNotice {
  channels: string[];
}

export interface SessionExpiredNotice {
  reason: string;
}

/**
 * Socket.IO events, typed at both ends (docs/contract.md, Realtime): the gateway is a
 * `Server<ClientToServerEvents, ServerToClientEvents>` and the SDK a
 * `Socket<ServerToClientEvents, ClientToServerEvents>`, so a payload or ack that drifts on one
 * side fails to compile on the other. Stream events and control messages are emitted under their `type`.
 */
export type ServerToClientEvents = {
  [T in EventType]: (envelope: EventEnvelope<T>) => void;
} & {
  [N in keyof GatewayNoticeMap]: (notice: GatewayNoticeMap[N]) => void;
};

/**
 * What the gateway tells a client besides the stream's events: `session.expired`, `resync`, and
 * the `session.revoked` control message before it closes that session's connections.
 */
export type GatewayNoticeMap = {
  [SESSION_EXPIRED_EVENT]: SessionExpiredNotice;
  [RESYNC_EVENT]: ResyncNotice;
} & {
  [T in ControlEventType]: ControlEnvelope<T>;
};

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (answer: SubscribeAck) => void) => void;
  unsubscribe: (request: UnsubscribeRequest, ack: (answer: OkAck) => void) => void;
  auth: (request: AuthRequest, ack: (answer: OkAck) => void) => void;
  rpc: (request: RpcRequest, ack: (answer: RpcResponse | ErrorAck) => void) => void;
}
