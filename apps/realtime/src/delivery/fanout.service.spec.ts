import { randomUUID } from 'node:crypto';
import type { Channel, ControlEnvelope, EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { MetricsRegistry } from '@tandem/platform';
import { AccessTokenVerifier } from '@tandem/security';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import { ClientAuthService } from '../transports/client-auth.service.js';
import { ClientRegistry } from './client-registry.service.js';
import { FanoutService } from './fanout.service.js';
import { Subscriber } from './subscriber.js';

class StreamClient extends Subscriber {
  readonly transport = 'sse';
  written: string[] = [];
  notices: string[] = [];
  closed = false;
  protected write(envelope: EventEnvelope): void {
    this.written.push(envelope.id);
  }
  notify<N extends keyof GatewayNoticeMap>(event: N, _notice: GatewayNoticeMap[N]): void {
    this.notices.push(event);
  }
  close(): void {
    this.closed = true;
  }
}

function event(channels: Channel[], offset = 1): EventEnvelope {
  const data = { productId: randomUUID(), stock: 1, delta: -1, version: 2 };
  return { id: randomUUID(), type: 'inventory.changed', channels, offset, occurredAt: new Date().toISOString(), data };
}

describe('FanoutService (no socket server: SSE clients only)', () => {
  let registry: ClientRegistry;
  let fanout: FanoutService;
  let metrics: RealtimeMetrics;

  beforeEach(() => {
    metrics = new RealtimeMetrics(new MetricsRegistry());
    registry = new ClientRegistry(metrics);
    const auth = new ClientAuthService(
      AccessTokenVerifier.local({ keys: [] }, { issuer: 'i', audience: 'a' }),
      registry,
    );
    fanout = new FanoutService(registry, auth, metrics);
  });

  const client = (id: string, ...channels: string[]) => {
    const c = new StreamClient(id, '127.0.0.1', { seenIds: 16, maxBuffered: 16 });
    registry.add(c);
    for (const channel of channels) registry.join(c, channel);
    return c;
  };

  it('writes an event once to each client of any of its channels, and to no one else', async () => {
    const both = client('a', 'catalog', 'product:p');
    const one = client('b', 'product:p');
    const other = client('c', 'product:q');
    const e = event(['catalog', 'product:p'], 7);
    fanout.publish(e);
    expect(both.written).toEqual([e.id]);
    expect(one.written).toEqual([e.id]);
    expect(other.written).toEqual([]);
    expect(fanout.headOffset).toBe(7);
    expect((await metrics.eventsEmitted.get()).values[0]?.value).toBe(2);
  });

  it('closes the clients of a revoked session, after telling them', () => {
    const revoked = client('a', 'catalog');
    const kept = client('b', 'catalog');
    registry.identify(revoked, { id: 'u', sid: 'gone', roles: ['customer'], exp: 0 }, 't');
    registry.identify(kept, { id: 'u', sid: 'kept', roles: ['customer'], exp: 0 }, 't');
    const revocation: ControlEnvelope = {
      id: randomUUID(),
      type: 'session.revoked',
      channels: ['user:u'],
      occurredAt: new Date().toISOString(),
      data: { userId: 'u', sid: 'gone' },
    };
    fanout.publish(revocation);
    expect(revoked.notices).toEqual(['session.revoked']);
    expect(revoked.closed).toBe(true);
    expect(kept.closed).toBe(false);
  });
});
