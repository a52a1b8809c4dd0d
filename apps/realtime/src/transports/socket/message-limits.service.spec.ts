import { MetricsRegistry } from '@tandem/platform';
import { RealtimeMetrics } from '../../ops/realtime.metrics.js';
import { RealtimeSettings } from '../../realtime.config.js';
import { MessageLimitsService } from './message-limits.service.js';

function limits(perSocket: number, perIp: number) {
  const settings = Object.assign(new RealtimeSettings(), {
    SOCKET_MESSAGES_PER_SECOND: perSocket,
    IP_MESSAGES_PER_SECOND: perIp,
  });
  return new MessageLimitsService(settings, null, new RealtimeMetrics(new MetricsRegistry()));
}

async function spend(service: MessageLimitsService, count: number, socket: string, ip: string) {
  const outcomes: string[] = [];
  for (let i = 0; i < count; i += 1) outcomes.push(await service.consume(socket, ip));
  return outcomes;
}

describe('MessageLimitsService (in memory)', () => {
  it('limits one socket, then calls twice its budget abuse', async () => {
    const service = limits(2, 100);
    expect(await spend(service, 5, 's1', '10.0.0.1')).toEqual(['ok', 'ok', 'limited', 'limited', 'abuse']);
    expect(await service.consume('s2', '10.0.0.1')).toBe('ok'); // another socket has its own budget
  });

  it('limits all sockets of one IP together', async () => {
    const service = limits(100, 3);
    const outcomes = [...(await spend(service, 2, 's1', '10.0.0.1')), ...(await spend(service, 2, 's2', '10.0.0.1'))];
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'limited']);
    expect(await service.consume('s3', '10.0.0.2')).toBe('ok');
  });

  it('starts a forgotten socket afresh', async () => {
    const service = limits(1, 100);
    await spend(service, 2, 's1', '10.0.0.1');
    service.forget('s1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await service.consume('s1', '10.0.0.1')).toBe('ok');
  });
});
