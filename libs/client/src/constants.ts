import type * as Contracts from '@tandem/contracts';
import type { ControlEventType, EventType } from '@tandem/contracts';

/*
 * The few runtime values the SDK needs from the contract, restated here so that the browser bundle
 * never pulls in @tandem/contracts' runtime (its DTOs carry class-validator). Each is typed against
 * the contract, so a change there fails the type check here.
 */
export const STREAM_OFFSET_HEADER: typeof Contracts.STREAM_OFFSET_HEADER = 'X-Stream-Offset';
export const SESSION_EXPIRED_EVENT: typeof Contracts.SESSION_EXPIRED_EVENT = 'session.expired';
export const RESYNC_EVENT: typeof Contracts.RESYNC_EVENT = 'resync';

const streamEvents: Record<EventType, true> = {
  'order.created': true,
  'order.status_changed': true,
  'product.created': true,
  'product.updated': true,
  'inventory.changed': true,
};
const controlEvents: Record<ControlEventType, true> = { 'session.revoked': true };

export const STREAM_EVENT_TYPES = Object.keys(streamEvents) as EventType[];
export const CONTROL_EVENT_TYPES = Object.keys(controlEvents) as ControlEventType[];

export const API_PREFIX = '/api/v1';
