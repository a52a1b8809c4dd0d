import type { Channel } from '@tandem/contracts';
import { toEnvelope } from './outbox.relay.js';

const row = (type: string) => ({
  offset: '42',
  id: '0c6c2a4e-0000-4000-8000-000000000042',
  type,
  channels: ['user:u1'] as Channel[],
  data: { any: 'thing' },
  occurred_at: new Date('2026-12-01T08:00:00.000Z'),
});

describe('toEnvelope (outbox row → published envelope)', () => {
  it('gives stream events their offset as a number', () => {
    expect(toEnvelope(row('order.created'))).toEqual({
      id: '0c6c2a4e-0000-4000-8000-000000000042',
      type: 'order.created',
      channels: ['user:u1'],
      occurredAt: '2026-12-01T08:00:00.000Z',
      offset: 42,
      data: { any: 'thing' },
    });
  });

  it('gives control messages no offset: they are not part of the resumable stream', () => {
    const envelope = toEnvelope(row('session.revoked'));
    expect(envelope).not.toHaveProperty('offset');
    expect(envelope.type).toBe('session.revoked');
  });
});
