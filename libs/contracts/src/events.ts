import type { Order, OrderStatus } from './orders.dto.js';
import type { Product } from './catalog.dto.js';
import type { Channel } from './channels.js';

/** One typed map of event type → payload, shared by producers, the gateway and the client SDK. */
export interface EventMap {
  'order.created': Order;
  'order.status_changed': { orderId: string; from: OrderStatus; to: OrderStatus; order: Order };
  'product.created': Product;
  'product.updated': Product;
  'inventory.changed': { productId: string; stock: number; delta: number };
}

/** Control messages: not part of the offset-ordered stream and never kept in history. */
export interface ControlEventMap {
  'session.revoked': { userId: string; sid: string };
}

export type EventType = keyof EventMap;
export type ControlEventType = keyof ControlEventMap;
export type AnyEventType = EventType | ControlEventType;
export type AnyEventMap = EventMap & ControlEventMap;

export const EVENT_TYPES: readonly EventType[] = [
  'order.created',
  'order.status_changed',
  'product.created',
  'product.updated',
  'inventory.changed',
];
export const CONTROL_EVENT_TYPES: readonly ControlEventType[] = ['session.revoked'];

/** The envelope, identical on the broker, on Socket.IO and on SSE (contract: Events). */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  channels: Channel[];
  /** Strictly increasing along the whole stream (the producer's outbox sequence). */
  offset: number;
  occurredAt: string;
  data: EventMap[T];
}

export interface ControlEnvelope<T extends ControlEventType = ControlEventType> {
  id: string;
  type: T;
  channels: Channel[];
  occurredAt: string;
  data: ControlEventMap[T];
}

export type AnyEnvelope = EventEnvelope | ControlEnvelope;

export function isControlEvent(envelope: AnyEnvelope): envelope is ControlEnvelope {
  return (CONTROL_EVENT_TYPES as readonly string[]).includes(envelope.type);
}

/** RabbitMQ topic exchange carrying every event; routing key = event type. */
export const EVENTS_EXCHANGE = 'tandem.events';

/** Response header carrying the newest stream offset reflected in a REST read. */
export const STREAM_OFFSET_HEADER = 'X-Stream-Offset';
