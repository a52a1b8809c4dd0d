/**
 * `@tandem/client`: the storefront SDK (docs/client-sdk.md). Everything a storefront needs is
 * exported from here, including the contract's types, so an app depends on this package alone.
 */
export { TandemClient } from './client.js';
export type { TandemClientOptions } from './client.js';
export { LiveClient } from './live.js';
export type { LiveState } from './live.js';
export type { LiveEvent, StreamEvent, SubscribeOptions, Subscription } from './subscription.js';
export { DEFAULT_CATALOG_CONFLATE_MS } from './subscription.js';
export type { Read, FetchLike } from './http.js';
export { TandemApiError, TandemSocketError } from './errors.js';
export { SessionManager } from './session.js';
export {
  CONTROL_EVENT_TYPES,
  EVENT_TYPES,
  PROBLEM_TYPES,
  STREAM_OFFSET_HEADER,
  channels,
  isUuid,
  parseChannel,
} from '@tandem/contracts';
export type {
  AdminSettableStatus,
  Channel,
  ControlEnvelope,
  ControlEventType,
  EventEnvelope,
  EventMap,
  EventType,
  Money,
  NewOrder,
  NewProduct,
  Order,
  OrderItem,
  OrderLine,
  OrderStatus,
  Page,
  PageQuery,
  ProblemDetails,
  ProblemType,
  Product,
  ProductPatch,
  ProductQuery,
  Role,
  Session,
  User,
} from '@tandem/contracts';
