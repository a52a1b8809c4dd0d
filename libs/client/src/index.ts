export { TandemClient } from './client.js';
export type { NewOrder, NewProduct, ProductPatch, TandemClientOptions } from './client.js';
export { LiveClient } from './live.js';
export type { LiveEvent, LiveState, StreamEvent, SubscribeOptions, Subscription } from './live.js';
export type { Read, FetchLike } from './http.js';
export { TandemApiError, TandemSocketError } from './errors.js';
export { SessionManager } from './session.js';
export { Backoff } from './backoff.js';
export { STREAM_OFFSET_HEADER } from './constants.js';
export type {
  EventEnvelope,
  ControlEnvelope,
  EventMap,
  EventType,
  Money,
  Order,
  OrderStatus,
  Page,
  Product,
  Session,
  User,
} from '@tandem/contracts';
