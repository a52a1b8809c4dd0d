import type { RealtimeSettings } from '../realtime.config.js';
import { ConnectionSlots, slotKeys } from './connection-slots.js';

const settings = { REALTIME_REDIS_PREFIX: 'test:', SLOT_LEASE_SECONDS: 60 } as RealtimeSettings;

describe('ConnectionSlots (one replica, in memory)', () => {
  let slots: ConnectionSlots;
  beforeEach(() => {
    slots = new ConnectionSlots(settings, null);
  });
  afterEach(() => slots.onModuleDestroy());

  it('gives at most `cap` slots of a key, however many ask at once', async () => {
    const key = slotKeys.userSockets('alice');
    const taken = await Promise.all(Array.from({ length: 10 }, (_, i) => slots.acquire(key, `s${i}`, 3)));
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(slots.localCount(key)).toBe(3);
    expect(await slots.acquire(slotKeys.userSockets('bob'), 's1', 3)).toBeDefined(); // keys are separate
  });

  it('frees a slot on release, once', async () => {
    const key = slotKeys.sseStreams('10.0.0.1');
    const first = (await slots.acquire(key, 'a', 1))!;
    expect(await slots.acquire(key, 'b', 1)).toBeUndefined();
    slots.release(first);
    slots.release(first);
    expect(slots.localCount(key)).toBe(0);
    expect(await slots.acquire(key, 'b', 1)).toBeDefined();
  });

  it('counts a holder once: asking again for the same holder keeps its slot', async () => {
    const key = slotKeys.anonymousSockets('10.0.0.2');
    expect(await slots.acquire(key, 'a', 1)).toBeDefined();
    expect(await slots.acquire(key, 'a', 1)).toBeDefined();
    expect(slots.localCount(key)).toBe(1);
  });
});
