import { MemoryProcessedEvents } from './processed-events.js';

describe('MemoryProcessedEvents', () => {
  it('lets an id be claimed once, and again after a release', async () => {
    const processed = new MemoryProcessedEvents(1000, 60);
    expect(await processed.claim('a')).toBe(true);
    expect(await processed.claim('a')).toBe(false);
    await processed.release('a');
    expect(await processed.claim('a')).toBe(true);
  });

  it('stays bounded: the least recently used ids go first', async () => {
    const processed = new MemoryProcessedEvents(1000, 60);
    for (let i = 0; i <= 1000; i += 1) await processed.claim(`id-${i}`);
    expect(await processed.claim('id-0')).toBe(true);
    expect(await processed.claim('id-1000')).toBe(false);
  });
});
