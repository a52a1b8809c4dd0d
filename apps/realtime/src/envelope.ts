import { CONTROL_EVENT_TYPES, EVENT_TYPES, isUuid, parseChannel } from '@tandem/contracts';
import type { AnyEnvelope, Channel, ControlEnvelope, EventEnvelope } from '@tandem/contracts';

/** Largest broker message the gateway accepts (an Order with 100 lines is well below). */
export const MAX_ENVELOPE_BYTES = 256 * 1024;
const MAX_CHANNELS = 16;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and validates a broker message before anything fans it out (issue 4 §3). Returns the
 * envelope, or a reason it is malformed. Only the contract's shape passes: known type, channel
 * names the contract knows, a positive integer offset (except control events), a parseable time.
 */
export function parseEnvelope(body: Buffer): { envelope: AnyEnvelope } | { error: string } {
  if (body.length > MAX_ENVELOPE_BYTES) return { error: 'message too large' };
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { error: 'not JSON' };
  }
  if (!isObject(value)) return { error: 'not an object' };
  const { id, type, channels, offset, occurredAt, data } = value;
  if (!isUuid(id)) return { error: 'id is not a uuid' };
  const control = (CONTROL_EVENT_TYPES as readonly unknown[]).includes(type);
  if (!control && !(EVENT_TYPES as readonly unknown[]).includes(type)) return { error: 'unknown type' };
  if (!Array.isArray(channels) || channels.length === 0 || channels.length > MAX_CHANNELS) {
    return { error: 'channels must be a non-empty array' };
  }
  if (!channels.every((channel) => parseChannel(channel) !== null)) return { error: 'unknown channel' };
  if (typeof occurredAt !== 'string' || Number.isNaN(Date.parse(occurredAt))) {
    return { error: 'occurredAt is not a date' };
  }
  if (!isObject(data)) return { error: 'data is not an object' };
  if (control) {
    if (typeof data['userId'] !== 'string' || typeof data['sid'] !== 'string') {
      return { error: 'session.revoked needs userId and sid' };
    }
    const envelope: ControlEnvelope = {
      id,
      type: type as ControlEnvelope['type'],
      channels: [...new Set(channels as Channel[])],
      occurredAt,
      data: data as unknown as ControlEnvelope['data'],
    };
    return { envelope };
  }
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 1) {
    return { error: 'offset must be a positive integer' };
  }
  const envelope = {
    id,
    type,
    channels: [...new Set(channels as Channel[])],
    offset,
    occurredAt,
    data,
  } as EventEnvelope;
  return { envelope };
}

/** The owner of an order, from an order.* event (`data.userId` or `data.order.userId`). */
export function orderOwner(envelope: EventEnvelope): { orderId: string; userId: string } | undefined {
  if (envelope.type !== 'order.created' && envelope.type !== 'order.status_changed') return undefined;
  const data = envelope.data as unknown as Record<string, unknown>;
  const order = isObject(data['order']) ? data['order'] : data;
  const orderId = order['id'] ?? data['orderId'];
  const userId = order['userId'] ?? data['userId'];
  return isUuid(orderId) && isUuid(userId) ? { orderId, userId } : undefined;
}
