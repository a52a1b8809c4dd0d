import { isControlEventType, isEventType, isUuid, parseChannel } from '@tandem/contracts';
import type { AnyEnvelope, EventEnvelope } from '@tandem/contracts';

/** Channels one envelope may name (the contract's producers name at most a handful). */
const MAX_CHANNELS = 16;

type ParsedEnvelope = { envelope: AnyEnvelope } | { error: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Why `value` is not an envelope of the contract (docs/contract.md, Events), or undefined when it
 * is one: known type, channel names the contract knows, a positive integer offset (except control
 * events, which have none), a parseable time, an object payload (`userId` and `sid` for
 * `session.revoked`). The payload's fields are the producer's: the gateway only reads an order's
 * owner and a revoked session's `sid`, and checks those where it reads them.
 */
function envelopeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not an object';
  const { id, type, channels, offset, occurredAt, data } = value;
  if (!isUuid(id)) return 'id is not a uuid';
  const control = isControlEventType(type);
  if (!control && !isEventType(type)) return 'unknown type';
  if (!Array.isArray(channels) || channels.length === 0 || channels.length > MAX_CHANNELS) {
    return 'channels must be a non-empty array';
  }
  if (!channels.every((channel) => parseChannel(channel) !== null)) return 'unknown channel';
  if (typeof occurredAt !== 'string' || Number.isNaN(Date.parse(occurredAt))) return 'occurredAt is not a date';
  if (!isObject(data)) return 'data is not an object';
  if (control) {
    if (typeof data['userId'] !== 'string' || typeof data['sid'] !== 'string') {
      return 'session.revoked needs userId and sid';
    }
    return undefined;
  }
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 1) {
    return 'offset must be a positive integer';
  }
  return undefined;
}

function isEnvelope(value: unknown): value is AnyEnvelope {
  return envelopeProblem(value) === undefined;
}

/**
 * Parses and validates a broker message before anything fans it out (docs/realtime.md, Design
 * notes, "Broker"). Returns the envelope (duplicate channel names dropped), or why it is
 * malformed.
 */
export function parseEnvelope(body: Buffer, maxBytes: number): ParsedEnvelope {
  if (body.length > maxBytes) return { error: 'message too large' };
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { error: 'not JSON' };
  }
  if (!isEnvelope(value)) return { error: envelopeProblem(value)! };
  value.channels = [...new Set(value.channels)];
  return { envelope: value };
}

/** The owner of an order, from an order.* event; undefined when the payload does not name it. */
export function orderOwner(envelope: EventEnvelope): { orderId: string; userId: string } | undefined {
  let orderId: unknown;
  let userId: unknown;
  switch (envelope.type) {
    case 'order.created':
      ({ id: orderId, userId } = envelope.data);
      break;
    case 'order.status_changed':
      if (isObject(envelope.data.order)) ({ id: orderId, userId } = envelope.data.order);
      orderId ??= envelope.data.orderId;
      break;
    default:
      return undefined;
  }
  return isUuid(orderId) && isUuid(userId) ? { orderId, userId } : undefined;
}
