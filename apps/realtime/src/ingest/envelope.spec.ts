import { randomUUID } from 'node:crypto';
import { orderOwner, parseEnvelope } from './envelope.js';

const MAX = 256 * 1024;
const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const valid = () => ({
  id: randomUUID(),
  type: 'inventory.changed',
  channels: ['catalog', `product:${randomUUID()}`],
  offset: 7,
  occurredAt: new Date().toISOString(),
  data: { productId: randomUUID(), stock: 3, delta: -1 },
});

describe('parseEnvelope', () => {
  it('accepts an envelope of the contract and drops duplicate channel names', () => {
    const value = { ...valid(), channels: ['catalog', 'catalog'] };
    const parsed = parseEnvelope(body(value), MAX);
    expect(parsed).toEqual({ envelope: { ...value, channels: ['catalog'] } });
  });

  it('accepts session.revoked without an offset', () => {
    const value = {
      id: randomUUID(),
      type: 'session.revoked',
      channels: [`user:${randomUUID()}`],
      occurredAt: new Date().toISOString(),
      data: { userId: 'u', sid: 's' },
    };
    expect(parseEnvelope(body(value), MAX)).toEqual({ envelope: value });
  });

  it.each([
    ['not JSON', Buffer.from('{'), 'not JSON'],
    ['an array', body([]), 'not an object'],
    ['a bad id', body({ ...valid(), id: 'x' }), 'id is not a uuid'],
    ['an unknown type', body({ ...valid(), type: 'order.deleted' }), 'unknown type'],
    ['no channels', body({ ...valid(), channels: [] }), 'channels must be a non-empty array'],
    [
      'too many channels',
      body({ ...valid(), channels: Array(17).fill('catalog') }),
      'channels must be a non-empty array',
    ],
    ['an unknown channel', body({ ...valid(), channels: ['elsewhere'] }), 'unknown channel'],
    ['a bad time', body({ ...valid(), occurredAt: 'yesterday' }), 'occurredAt is not a date'],
    ['no data', body({ ...valid(), data: null }), 'data is not an object'],
    ['a zero offset', body({ ...valid(), offset: 0 }), 'offset must be a positive integer'],
    ['a fractional offset', body({ ...valid(), offset: 1.5 }), 'offset must be a positive integer'],
    [
      'a revocation without sid',
      body({ ...valid(), type: 'session.revoked', data: { userId: 'u' } }),
      'session.revoked needs userId and sid',
    ],
  ])('rejects %s', (_what, message, error) => {
    expect(parseEnvelope(message, MAX)).toEqual({ error });
  });

  it('rejects a message over the size limit before parsing it', () => {
    expect(parseEnvelope(body(valid()), 10)).toEqual({ error: 'message too large' });
  });
});

describe('orderOwner', () => {
  const orderId = randomUUID();
  const userId = randomUUID();
  const order = { id: orderId, userId, status: 'pending', items: [], total: { amount: 0, currency: 'EUR' } };
  const base = { id: randomUUID(), channels: [], offset: 1, occurredAt: new Date().toISOString() };

  it('reads the owner of order.created and order.status_changed', () => {
    const created = parseEnvelope(body({ ...base, type: 'order.created', channels: ['catalog'], data: order }), MAX);
    const changed = parseEnvelope(
      body({ ...base, type: 'order.status_changed', channels: ['catalog'], data: { orderId, order } }),
      MAX,
    );
    for (const parsed of [created, changed]) {
      if (!('envelope' in parsed) || parsed.envelope.type === 'session.revoked') throw new Error('not parsed');
      expect(orderOwner(parsed.envelope)).toEqual({ orderId, userId });
    }
  });

  it('knows no owner for other events or payloads without one', () => {
    const other = parseEnvelope(body(valid()), MAX);
    const bare = parseEnvelope(
      body({ ...base, type: 'order.status_changed', channels: ['catalog'], data: { orderId } }),
      MAX,
    );
    for (const parsed of [other, bare]) {
      if (!('envelope' in parsed) || parsed.envelope.type === 'session.revoked') throw new Error('not parsed');
      expect(orderOwner(parsed.envelope)).toBeUndefined();
    }
  });
});
