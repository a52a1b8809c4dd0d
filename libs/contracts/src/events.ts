import type { Order, OrderStatus } from './orders.js';
import type { Product } from './catalog.js';
import type { Channel } from './channels.js';

/** One typed map of event type → payload, shared by producers, the gateway and the client SDK. */
export interface EventMap {
  'order.created': Order;
  'order.status_changed': { orderId: string; from: OrderStatus; to: OrderStatus; order: Order };
  'product.created': Product;
  'product.updated': Product;
  /** `version`: the product's after this change (docs/contract.md, "Events"). */
  'inventory.changed': { productId: string; stock: number; delta: number; version: number };
}

/** Control messages: not part of the offset-ordered stream and never kept in history. */
export interface ControlEventMap {
  'session.revoked': { userId: string; sid: string };
}

/** Every event type of the offset-ordered stream, once; `EventType` is derived from it. */
export const EVENT_TYPES = [
  'order.created',
  'order.status_changed',
  'product.created',
  'product.updated',
  'inventory.changed',
] as const satisfies readonly (keyof EventMap)[];
export const CONTROL_EVENT_TYPES = ['session.revoked'] as const satisfies readonly (keyof ControlEventMap)[];

export type EventType = (typeof EVENT_TYPES)[number];
export type ControlEventType = (typeof CONTROL_EVENT_TYPES)[number];
export type AnyEventType = EventType | ControlEventType;
export type AnyEventMap = EventMap & ControlEventMap;

// The lists above are exhaustive: a type added to a map but not to its list fails to compile here.
type Exhaustive<List, Keys> = [Keys] extends [List] ? true : never;
const _eventTypesExhaustive: Exhaustive<EventType, keyof EventMap> = true;
const _controlTypesExhaustive: Exhaustive<ControlEventType, keyof ControlEventMap> = true;
void _eventTypesExhaustive;
void _controlTypesExhaustive;

/**
 * The envelope, identical on the broker, on Socket.IO and on SSE (docs/contract.md, Events).
 * Distributive over `T`: `type` and `data` are linked, so narrowing on `type` narrows `data`, and
 * a mismatched pair does not compile.
 */
export type EventEnvelope<T extends EventType = EventType> = T extends EventType
  ? {
      id: string;
      type: T;
      channels: Channel[];
      /** Strictly increasing along the whole stream (the producer's outbox sequence). */
      offset: number;
      occurredAt: string;
      data: EventMap[T];
    }
  : never;

/** Control messages (`session.revoked`): no offset, never kept in history. */
export type ControlEnvelope<T extends ControlEventType = ControlEventType> = T extends ControlEventType
  ? { id: string; type: T; channels: Channel[]; occurredAt: string; data: ControlEventMap[T] }
  : never;

export type AnyEnvelope = EventEnvelope | ControlEnvelope;

export function isEventType(type: unknown): type is EventType {
  return (EVENT_TYPES as readonly unknown[]).includes(type);
}

export function isControlEventType(type: unknown): type is ControlEventType {
  return (CONTROL_EVENT_TYPES as readonly unknown[]).includes(type);
}

export function isControlEvent(envelope: AnyEnvelope): envelope is ControlEnvelope {
  return isControlEventType(envelope.type);
}

/**
 * The entity an event is about and its version after the event (docs/contract.md, "Events"):
 * a product (`product.*`, `inventory.changed`) or an order (`order.*`). Clients drop an event whose
 * version is not newer than the one they hold; the gateway conflates per entity and type.
 * Undefined for a payload without them (nothing to compare, so the event is taken as new).
 */
export function eventEntity(envelope: EventEnvelope): { id: string; version: number } | undefined {
  const data = envelope.data as unknown as Record<string, unknown> | null;
  if (typeof data !== 'object' || data === null) return undefined;
  const holder =
    envelope.type === 'order.status_changed' ? (data['order'] as Record<string, unknown> | undefined) : data;
  const id = envelope.type === 'inventory.changed' ? data['productId'] : holder?.['id'];
  const version = holder?.['version'];
  return typeof id === 'string' && typeof version === 'number' ? { id, version } : undefined;
}

/** RabbitMQ topic exchange carrying every event; routing key = event type. */
export const EVENTS_EXCHANGE = 'tandem.events';

/** Response header carrying the newest stream offset reflected in a REST read. */
export const STREAM_OFFSET_HEADER = 'X-Stream-Offset';
