import type { SocketError } from './problem.js';

/**
 * Socket.IO payloads and acks of the realtime gateway (contract: Realtime). Shared by the gateway,
 * its tests and the client SDK, so both sides agree on one shape.
 */
export interface SubscribeRequest {
  channel: string;
  /** The last offset the client saw; the gateway first replays every later event of the channel. */
  since?: number;
}

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
export const SESSION_EXPIRED_EVENT = 'session.expired';
/**
 * Sent when the gateway could not guarantee delivery for a while (its Redis subscription dropped)
 * and could not replay what was missed from history: the client re-reads these channels over REST
 * and subscribes again with the new `X-Stream-Offset`.
 */
export const RESYNC_EVENT = 'resync';
export interface ResyncNotice {
  channels: string[];
}
