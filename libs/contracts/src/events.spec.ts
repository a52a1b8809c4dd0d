import {
  CONTROL_EVENT_TYPES,
  EVENT_TYPES,
  eventEntity,
  isControlEvent,
  isControlEventType,
  isEventType,
} from './events.js';
import type { AnyEnvelope, EventEnvelope } from './events.js';
import type { Channel } from './channels.js';

describe('event type guards', () => {
  it('know every stream event type and nothing else', () => {
    for (const type of EVENT_TYPES) {
      expect(isEventType(type)).toBe(true);
      expect(isControlEventType(type)).toBe(false);
    }
  });

  it('know the control messages apart from stream events', () => {
    for (const type of CONTROL_EVENT_TYPES) {
      expect(isControlEventType(type)).toBe(true);
      expect(isEventType(type)).toBe(false);
    }
  });

  it.each(['order.deleted', 'ORDER.CREATED', '', 'session.expired', 'resync', 42, null, undefined, {}])(
    'refuse %p',
    (value) => {
      expect(isEventType(value)).toBe(false);
      expect(isControlEventType(value)).toBe(false);
    },
  );

  it('the two lists do not overlap', () => {
    const stream: readonly string[] = EVENT_TYPES;
    expect(CONTROL_EVENT_TYPES.filter((type) => stream.includes(type))).toEqual([]);
  });
});

describe('isControlEvent', () => {
  const base: { id: string; channels: Channel[]; occurredAt: string } = {
    id: 'e1',
    channels: ['catalog'],
    occurredAt: '2026-12-01T00:00:00.000Z',
  };

  it('tells a control message from a stream event, narrowing the envelope', () => {
    const revoked: AnyEnvelope = { ...base, type: 'session.revoked', data: { userId: 'u1', sid: 's1' } };
    const changed: AnyEnvelope = {
      ...base,
      type: 'inventory.changed',
      offset: 3,
      data: { productId: 'p1', stock: 4, delta: -1, version: 2 },
    };
    expect(isControlEvent(revoked)).toBe(true);
    expect(isControlEvent(changed)).toBe(false);
    if (isControlEvent(revoked)) expect(revoked.data.sid).toBe('s1');
  });
});

describe('eventEntity', () => {
  const base = { id: 'e1', offset: 3, occurredAt: '2026-12-01T00:00:00.000Z' };
  const order = { id: 'o1', version: 4 };
  const product = { id: 'p1', version: 7 };

  it.each([
    ['inventory.changed', { productId: 'p1', stock: 1, delta: -1, version: 7 }, product],
    ['product.updated', product, product],
    ['product.created', product, product],
    ['order.created', order, order],
    ['order.status_changed', { orderId: 'o1', from: 'pending', to: 'paid', order }, order],
  ])('names the entity and version of %s', (type, data, expected) => {
    const envelope = { ...base, type, channels: ['catalog'], data } as unknown as EventEnvelope;
    expect(eventEntity(envelope)).toEqual(expected);
  });

  it.each([null, {}, { id: 'p1' }, { id: 'p1', version: '7' }, { version: 7 }])('is undefined for %p', (data) => {
    const envelope = { ...base, type: 'product.updated', channels: ['catalog'], data } as unknown as EventEnvelope;
    expect(eventEntity(envelope)).toBeUndefined();
  });
});
